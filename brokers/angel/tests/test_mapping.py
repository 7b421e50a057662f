"""The two-way tables and the parsers of SmartAPI's answers, on answers built from its documentation."""

from __future__ import annotations

import pytest

from brokers.angel import mapping
from brokers.angel.tests.conftest import http_fixture
from generated.api import MarginRequest, ModifyOrderRequest, PlaceOrderRequest
from generated.errors import BrokerBadResponse


@pytest.mark.parametrize(
    ("to_upstream", "from_upstream"),
    [
        (mapping.PRODUCT_TO_UPSTREAM, mapping.PRODUCT_FROM_UPSTREAM),
        (mapping.PRICE_TYPE_TO_UPSTREAM, mapping.PRICE_TYPE_FROM_UPSTREAM),
        (mapping.ACTION_TO_UPSTREAM, mapping.ACTION_FROM_UPSTREAM),
        (mapping.INTERVAL_TO_UPSTREAM, mapping.INTERVAL_FROM_UPSTREAM),
    ],
)
def test_tables_round_trip(to_upstream, from_upstream):
    assert {from_upstream[upstream] for upstream in to_upstream.values()} == set(to_upstream)
    assert len(from_upstream) == len(to_upstream)


@pytest.mark.parametrize(
    ("unified", "upstream"),
    [("CNC", "DELIVERY"), ("NRML", "CARRYFORWARD"), ("MIS", "INTRADAY")],
)
def test_products_are_angels_words(unified, upstream):
    assert mapping.PRODUCT_TO_UPSTREAM[unified] == upstream


def test_every_status_lands_on_a_unified_one():
    assert set(mapping.STATUS_FROM_UPSTREAM.values()) == {
        "open",
        "complete",
        "rejected",
        "cancelled",
        "trigger pending",
    }


def test_place_order_body(book):
    sbin = book.to_upstream("NSE", "SBIN")
    request = PlaceOrderRequest(strategy="a-very-long-strategy-name", exchange="NSE", symbol="SBIN", action="BUY",
                                quantity=2, pricetype="SL", product="MIS", price=195.5, trigger_price=195)  # fmt: skip
    body = mapping.to_upstream_order(request, sbin)
    assert body == {
        "variety": "STOPLOSS", "tradingsymbol": "SBIN-EQ", "symboltoken": "3045", "exchange": "NSE",
        "transactiontype": "BUY", "ordertype": "STOPLOSS_LIMIT", "producttype": "INTRADAY", "duration": "DAY",
        "price": "195.5", "triggerprice": "195.0", "quantity": "2", "ordertag": "a-very-long-strateg",
    }  # fmt: skip


def test_market_order_sends_zero_prices(book):
    request = PlaceOrderRequest(strategy="", exchange="NFO", symbol="NIFTY26DEC24FUT", action="SELL", quantity=25,
                                pricetype="MARKET", product="NRML", price=10)  # fmt: skip
    body = mapping.to_upstream_order(request, book.to_upstream("NFO", "NIFTY26DEC24FUT"))
    assert (body["variety"], body["price"], body["triggerprice"], body["producttype"]) == (
        "NORMAL",
        "0",
        "0",
        "CARRYFORWARD",
    )
    assert "ordertag" not in body


def test_modification_body_names_the_instrument(book):
    request = ModifyOrderRequest(strategy="s", orderid="201020000000080", exchange="NSE", symbol="SBIN", action="BUY",
                                 product="CNC", pricetype="LIMIT", price=190.05, quantity=1)  # fmt: skip
    body = mapping.to_upstream_modification(request, book.to_upstream("NSE", "SBIN"))
    assert body["orderid"] == "201020000000080"
    assert (body["variety"], body["ordertype"], body["price"], body["symboltoken"]) == (
        "NORMAL",
        "LIMIT",
        "190.05",
        "3045",
    )


def test_margin_positions(book):
    request = MarginRequest(positions=[{"symbol": "NIFTY26DEC2426000CE", "exchange": "NFO", "action": "BUY",
                                        "quantity": 25, "product": "NRML", "pricetype": "MARKET"}])  # fmt: skip
    (position,) = mapping.to_upstream_margin_positions(request, [book.to_upstream("NFO", "NIFTY26DEC2426000CE")])
    assert position == {"exchange": "NFO", "qty": 25, "price": 0.0, "productType": "CARRYFORWARD", "token": "35003",
                        "tradeType": "BUY", "orderType": "MARKET"}  # fmt: skip


def test_order_book(book):
    parsed = mapping.order_book_from_upstream(http_fixture("order_book_ok")["data"], book)
    by_id = {order.orderid: order for order in parsed.orders}
    resting = by_id["201020000000080"]
    assert (resting.symbol, resting.exchange, resting.order_status, resting.pending_quantity) == (
        "SBIN",
        "NSE",
        "open",
        1,
    )
    assert by_id["201020000000081"].average_price == 195.5
    assert by_id["201020000000082"].pricetype == "SL-M"
    assert by_id["201020000000082"].order_status == "trigger pending"
    rejected = by_id["201020000000083"]
    assert (rejected.symbol, rejected.rejection_reason) == ("NIFTY26DEC2426000CE", "RMS:Margin Exceeds")
    assert parsed.statistics.total_rejected_orders == 1
    assert parsed.statistics.total_completed_orders == 1


def test_variety_comes_from_the_book():
    rows = http_fixture("order_book_ok")["data"]
    assert mapping.variety_of(rows, "201020000000082") == "STOPLOSS"
    assert mapping.variety_of(rows, "201020000000080") == "NORMAL"
    assert mapping.variety_of(rows, "nope") is None


def test_unknown_status_is_refused(book):
    row = http_fixture("order_book_ok")["data"][0] | {"orderstatus": "teleported"}
    with pytest.raises(BrokerBadResponse, match="teleported"):
        mapping.order_from_upstream(row, book)


def test_unknown_product_is_refused(book):
    row = http_fixture("order_book_ok")["data"][0] | {"producttype": "BO"}
    with pytest.raises(BrokerBadResponse, match="product"):
        mapping.order_from_upstream(row, book)


def test_trades_positions_holdings_funds(book):
    (trade,) = [mapping.trade_from_upstream(row, book) for row in http_fixture("trade_book_ok")["data"]]
    assert (trade.symbol, trade.quantity, trade.price, trade.trade_value, trade.product) == (
        "SBIN",
        2,
        195.5,
        391.0,
        "CNC",
    )
    (position,) = [mapping.position_from_upstream(row, book) for row in http_fixture("positions_ok")["data"]]
    assert (position.symbol, position.quantity, position.average_price, position.ltp, position.product) == (
        "SBIN",
        2,
        195.5,
        196.0,
        "MIS",
    )
    holdings = mapping.holdings_from_upstream(http_fixture("holdings_ok")["data"], book)
    assert [(h.symbol, h.quantity, h.pnl) for h in holdings.holdings] == [("SBIN", 2, 12.0)]
    assert holdings.statistics.totalholdingvalue == 392.0
    funds = mapping.funds_from_upstream(http_fixture("rms_ok")["data"])
    assert (funds.availablecash, funds.utiliseddebits, funds.m2munrealized) == (99608.5, 391.5, 1.0)


def test_quote_and_depth():
    rows = mapping.quotes_by_token(http_fixture("quote_full_ok")["data"])
    assert list(rows) == [("NSE", "3045")]
    quote = mapping.quote_from_upstream(rows[("NSE", "3045")])
    assert (quote.ltp, quote.bid, quote.ask, quote.prev_close, quote.volume) == (571.8, 571.75, 571.8, 566.6, 7196543)
    depth = mapping.depth_from_upstream(rows[("NSE", "3045")])
    assert len(depth.bids) == len(depth.asks) == 5
    assert (depth.bids[1].price, depth.asks[1].price, depth.totalbuyqty) == (571.7, 0.0, 1100449)


def test_candles():
    intraday = [mapping.candle_from_upstream(row, "5m") for row in http_fixture("candles_ok")["data"]]
    assert intraday[0].timestamp == 1693979100  # 2023-09-06 11:15 IST
    assert (intraday[1].close, intraday[1].volume, intraday[1].oi) == (19555.5, 800, 0)
    (daily,) = [mapping.candle_from_upstream(row, "D") for row in http_fixture("candles_day_ok")["data"]]
    assert daily.timestamp == 1693958400  # the trading date at 00:00 UTC


def test_margin_result():
    result = mapping.margin_from_upstream(http_fixture("margin_ok")["data"])
    assert (result.total_margin_required, result.span_margin, result.exposure_margin) == (29612.35, 20000.0, 9612.35)


def test_candle_request(book):
    body = mapping.candle_request(book.to_upstream("NSE", "SBIN"), "1h", "2024-12-01", "2024-12-02")
    assert body == {"exchange": "NSE", "symboltoken": "3045", "interval": "ONE_HOUR",
                    "fromdate": "2024-12-01 00:00", "todate": "2024-12-02 23:59"}  # fmt: skip
