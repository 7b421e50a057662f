"""The two-way tables and the parsers of Fyers' answers, on fixtures built from the documentation."""

from __future__ import annotations

import pytest

from brokers.fyers import mapping
from brokers.fyers.tests.conftest import http_fixture
from generated.api import MarginRequest, ModifyOrderRequest, PlaceOrderRequest
from generated.errors import BrokerBadResponse


@pytest.mark.parametrize(
    ("table", "reverse"),
    [
        (mapping.PRODUCT_TO_UPSTREAM, mapping.PRODUCT_FROM_UPSTREAM),
        (mapping.PRICE_TYPE_TO_UPSTREAM, mapping.PRICE_TYPE_FROM_UPSTREAM),
        (mapping.ACTION_TO_UPSTREAM, mapping.ACTION_FROM_UPSTREAM),
        (mapping.INTERVAL_TO_UPSTREAM, mapping.INTERVAL_FROM_UPSTREAM),
    ],
)
def test_every_table_round_trips(table, reverse):
    assert {reverse[upstream]: upstream for upstream in table.values()} == table


def test_the_documented_codes():
    assert mapping.PRODUCT_TO_UPSTREAM == {"CNC": "CNC", "MIS": "INTRADAY", "NRML": "MARGIN"}
    assert mapping.PRICE_TYPE_TO_UPSTREAM == {"LIMIT": 1, "MARKET": 2, "SL-M": 3, "SL": 4}
    assert mapping.ACTION_TO_UPSTREAM == {"BUY": 1, "SELL": -1}
    assert mapping.SEGMENTS[(10, 11)] == "NFO" and mapping.SEGMENTS[(11, 20)] == "MCX"


@pytest.mark.parametrize(
    ("status", "order_type", "unified"),
    [
        (1, 2, "cancelled"),
        (2, 2, "complete"),
        (4, 1, "open"),
        (5, 2, "rejected"),
        (6, 1, "open"),
        (6, 3, "trigger pending"),
        (6, 4, "trigger pending"),
        (7, 1, "cancelled"),
    ],
)
def test_order_status_reads_pending_stop_orders_as_trigger_pending(status, order_type, unified):
    assert mapping.order_status({"status": status, "type": order_type}) == unified


def test_an_unknown_status_is_the_brokers_mistake():
    with pytest.raises(BrokerBadResponse, match="order status"):
        mapping.order_status({"status": 3, "type": 1})


def test_an_order_request_becomes_fyers_json(book):
    instrument = book.to_upstream("NFO", "NIFTY05DEC2426000CE")
    request = PlaceOrderRequest(
        strategy="my-strategy 1", exchange="NFO", symbol="NIFTY05DEC2426000CE", action="SELL", quantity=25,
        pricetype="SL", product="NRML", price=120.5, trigger_price=121,
    )  # fmt: skip
    body = mapping.to_upstream_order(request, instrument)
    assert body == {
        "symbol": "NSE:NIFTY24D0526000CE", "qty": 25, "type": 4, "side": -1, "productType": "MARGIN",
        "limitPrice": 120.5, "stopPrice": 121.0, "validity": "DAY", "disclosedQty": 0, "offlineOrder": False,
        "stopLoss": 0, "takeProfit": 0, "orderTag": "mystrategy1",
    }  # fmt: skip


def test_a_market_order_sends_no_prices(book):
    request = PlaceOrderRequest(strategy="", exchange="NSE", symbol="SBIN", action="BUY", quantity=1, price=500)
    body = mapping.to_upstream_order(request, book.to_upstream("NSE", "SBIN"))
    assert (body["type"], body["limitPrice"], body["stopPrice"], body["productType"]) == (2, 0, 0, "INTRADAY")
    assert "orderTag" not in body


def test_a_modification_carries_the_order_id():
    request = ModifyOrderRequest(
        strategy="s", orderid="808058117761", exchange="NSE", symbol="SBIN", action="BUY", product="CNC",
        pricetype="LIMIT", price=580, quantity=2,
    )  # fmt: skip
    assert mapping.to_upstream_modification(request) == {
        "id": "808058117761",
        "type": 1,
        "qty": 2,
        "limitPrice": 580.0,
        "stopPrice": 0,
    }


def test_margin_orders(book):
    request = MarginRequest(
        positions=[
            {
                "symbol": "SBIN",
                "exchange": "NSE",
                "action": "BUY",
                "quantity": 5,
                "product": "CNC",
                "pricetype": "MARKET",
            }
        ]
    )
    [entry] = mapping.to_upstream_margin_orders(request, [book.to_upstream("NSE", "SBIN")])
    assert (entry["symbol"], entry["qty"], entry["side"], entry["type"], entry["productType"]) == (
        "NSE:SBIN-EQ",
        5,
        1,
        2,
        "CNC",
    )


def test_the_order_book_maps_back_to_unified_names_and_statuses(book):
    orders = mapping.order_book_from_upstream(http_fixture("orders_list_ok")["orderBook"], book)
    first, option, stop, rejected = orders.orders
    assert (first.orderid, first.symbol, first.exchange, first.order_status) == (
        "23080444447604",
        "SBIN",
        "NSE",
        "complete",
    )
    assert (first.average_price, first.product, first.pricetype) == (586.3, "CNC", "MARKET")
    assert (option.symbol, option.exchange, option.action, option.product, option.pending_quantity) == (
        "NIFTY05DEC2426000CE", "NFO", "SELL", "NRML", 25,
    )  # fmt: skip
    assert (stop.order_status, stop.trigger_price, stop.pricetype) == ("trigger pending", 600.0, "SL-M")
    assert (rejected.order_status, rejected.rejection_reason) == ("rejected", "RMS:Margin Exceeds")
    statistics = orders.statistics
    assert (statistics.total_completed_orders, statistics.total_open_orders, statistics.total_rejected_orders) == (
        1,
        1,
        1,
    )
    assert statistics.total_trigger_pending_orders == 1


def test_an_unknown_side_is_refused(book):
    row = http_fixture("orders_list_ok")["orderBook"][0] | {"side": 0}
    with pytest.raises(BrokerBadResponse, match="action"):
        mapping.order_from_upstream(row, book)


def test_an_order_for_an_instrument_the_master_lost_keeps_fyers_name(book):
    row = http_fixture("orders_list_ok")["orderBook"][0] | {"symbol": "NSE:GONE-EQ"}
    order = mapping.order_from_upstream(row, book)
    assert (order.symbol, order.exchange) == ("NSE:GONE-EQ", "NSE")


def test_trades_positions_and_holdings(book):
    [trade] = [mapping.trade_from_upstream(row, book) for row in http_fixture("tradebook_ok")["tradeBook"]]
    assert (trade.orderid, trade.tradeid, trade.symbol, trade.quantity, trade.average_price, trade.trade_value) == (
        "23080444447604", "52605023", "SBIN", 1, 586.3, 586.3,
    )  # fmt: skip
    [position] = [mapping.position_from_upstream(row, book) for row in http_fixture("positions_ok")["netPositions"]]
    assert (position.symbol, position.product, position.quantity, position.average_price, position.unrealized_pnl) == (
        "SBIN", "MIS", 2, 586.3, 1.6,
    )  # fmt: skip
    holdings = mapping.holdings_from_upstream(http_fixture("holdings_ok")["holdings"], book)
    assert (holdings.holdings[0].symbol, holdings.holdings[0].quantity, holdings.holdings[0].pnl) == ("SBIN", 5, 179.0)
    assert holdings.statistics.totalinvvalue == 2752.5


def test_funds_add_both_segments_by_line_id():
    positions = http_fixture("positions_ok")["netPositions"]
    funds = mapping.funds_from_upstream(http_fixture("funds_ok")["fund_limit"], positions)
    assert (funds.availablecash, funds.utiliseddebits, funds.collateral, funds.m2mrealized, funds.m2munrealized) == (
        12100.25, 500.25, 2000.0, 12.5, 1.6,
    )  # fmt: skip


def test_quotes_depth_candles_and_margin():
    found = mapping.quotes_by_symbol(http_fixture("quotes_ok")["d"])
    assert list(found) == ["NSE:SBIN-EQ"]  # the refused entry is left out
    quote = mapping.quote_from_upstream(found["NSE:SBIN-EQ"])
    assert (quote.ltp, quote.bid, quote.ask, quote.open, quote.prev_close, quote.volume) == (
        586.3,
        586.25,
        586.3,
        580.1,
        581.2,
        1234567,
    )
    depth = mapping.depth_from_upstream(http_fixture("depth_ok")["d"]["NSE:SBIN-EQ"])
    assert depth.bids[0].price == 586.25 and depth.bids[1].quantity == 40 and depth.asks[1].price == 0.0
    assert (depth.ltp, depth.ltq, depth.volume, depth.totalsellqty) == (586.3, 5, 1234567, 4380)
    candle = mapping.candle_from_upstream(http_fixture("history_ok")["candles"][0])
    assert (candle.timestamp, candle.open, candle.close, candle.volume, candle.oi) == (
        1691036100,
        586.1,
        586.5,
        120345,
        0,
    )
    assert mapping.margin_from_upstream(http_fixture("margin_ok")["data"]).total_margin_required == 147738.0563


def test_history_params_use_dates():
    assert mapping.history_params("NSE:SBIN-EQ", "5m", "2024-12-01", "2024-12-05") == {
        "symbol": "NSE:SBIN-EQ", "resolution": "5", "date_format": "1", "range_from": "2024-12-01",
        "range_to": "2024-12-05", "cont_flag": "1",
    }  # fmt: skip
