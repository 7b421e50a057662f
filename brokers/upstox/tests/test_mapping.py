"""The two-way tables and the parsers of Upstox's answers, on fixtures from Upstox's documentation."""

from __future__ import annotations

import pytest

from brokers.upstox import mapping
from brokers.upstox.tests.conftest import http_fixture
from generated.api import MarginRequest, ModifyOrderRequest, PlaceOrderRequest
from generated.errors import BrokerBadResponse, ValidationFailed


@pytest.mark.parametrize(
    ("product", "exchange", "upstream"),
    [("MIS", "NSE", "I"), ("CNC", "NSE", "D"), ("MIS", "NFO", "I"), ("NRML", "NFO", "D"), ("NRML", "CDS", "D")],
)
def test_products_map_both_ways_by_kind_of_segment(book, product, exchange, upstream):
    instrument = next(row for row in book.records if row.exchange == exchange)

    assert mapping.product_to_upstream(product, instrument) == upstream
    assert mapping.product_from_upstream(upstream, instrument.token) == product


@pytest.mark.parametrize(("product", "exchange"), [("NRML", "NSE"), ("CNC", "NFO")])
def test_a_product_the_segment_does_not_take_is_refused(book, product, exchange):
    instrument = next(row for row in book.records if row.exchange == exchange)

    with pytest.raises(ValidationFailed):
        mapping.product_to_upstream(product, instrument)


def test_every_table_flips_into_its_reverse():
    for forward, backward in [
        (mapping.PRICE_TYPE_TO_UPSTREAM, mapping.PRICE_TYPE_FROM_UPSTREAM),
        (mapping.ACTION_TO_UPSTREAM, mapping.ACTION_FROM_UPSTREAM),
        (mapping.SEGMENT_TO_UPSTREAM, mapping.SEGMENT_FROM_UPSTREAM),
        (mapping.INTERVAL_TO_UPSTREAM, mapping.INTERVAL_FROM_UPSTREAM),
    ]:
        assert {value: key for key, value in forward.items()} == backward


def test_every_upstox_status_is_a_unified_one():
    assert set(mapping.STATUS_FROM_UPSTREAM.values()) == {
        "open",
        "complete",
        "rejected",
        "cancelled",
        "trigger pending",
    }


@pytest.mark.parametrize("field", ["status", "transaction_type", "order_type", "product"])
def test_an_unknown_value_that_drives_state_is_a_bad_response(book, field):
    row = http_fixture("orders_list_ok")["data"][0] | {field: "SOMETHING NEW"}

    with pytest.raises(BrokerBadResponse, match="SOMETHING NEW"):
        mapping.order_from_upstream(row, book)


def test_a_limit_order_becomes_upstoxs_body(book):
    request = PlaceOrderRequest(strategy="my strategy", exchange="NSE", symbol="SBIN", action="BUY", quantity=3,
                                pricetype="LIMIT", price=570.5, product="CNC")  # fmt: skip

    body = mapping.to_upstream_order(request, book.to_upstream("NSE", "SBIN"))

    assert body == {
        "quantity": 3, "product": "D", "validity": "DAY", "price": 570.5, "instrument_token": "NSE_EQ|INE062A01020",
        "order_type": "LIMIT", "transaction_type": "BUY", "disclosed_quantity": 0, "trigger_price": 0.0, "is_amo": False,
        "tag": "my strategy",
    }  # fmt: skip


def test_a_stop_market_order_carries_only_its_trigger(book):
    request = PlaceOrderRequest(strategy="s", exchange="NFO", symbol="NIFTY27FEB2522500CE", action="SELL", quantity=75,
                                pricetype="SL-M", price=99, trigger_price=110.5, product="NRML")  # fmt: skip

    body = mapping.to_upstream_order(request, book.to_upstream("NFO", "NIFTY27FEB2522500CE"))

    assert (body["price"], body["trigger_price"], body["product"], body["instrument_token"]) == (
        0.0,
        110.5,
        "D",
        "NSE_FO|37590",
    )


def test_a_modification_becomes_upstoxs_body():
    request = ModifyOrderRequest(strategy="s", orderid="2401", exchange="NSE", symbol="SBIN", action="BUY", product="CNC",
                                 pricetype="SL", price=571, trigger_price=570, quantity=2)  # fmt: skip

    assert mapping.to_upstream_modification(request) == {
        "order_id": "2401", "quantity": 2, "validity": "DAY", "price": 571.0, "order_type": "SL",
        "disclosed_quantity": 0, "trigger_price": 570.0,
    }  # fmt: skip


def test_the_order_book_reads_names_through_the_instrument_key(book):
    orders = mapping.order_book_from_upstream(http_fixture("orders_list_ok")["data"], book)

    done, rejected, pending = orders.orders
    assert (done.symbol, done.exchange, done.product, done.order_status, done.average_price) == (
        "SBIN",
        "NSE",
        "CNC",
        "complete",
        570.95,
    )
    assert (rejected.symbol, rejected.exchange, rejected.product) == ("NIFTY27FEB2522500CE", "NFO", "NRML")
    assert rejected.rejection_reason.startswith("Insufficient funds")
    assert (pending.order_status, pending.product, pending.pricetype, pending.trigger_price) == (
        "trigger pending",
        "MIS",
        "SL-M",
        580.0,
    )
    assert (orders.statistics.total_completed_orders, orders.statistics.total_rejected_orders) == (1, 1)


def test_an_instrument_the_file_no_longer_lists_keeps_upstoxs_names(book):
    row = http_fixture("orders_list_ok")["data"][0] | {
        "instrument_token": "NSE_EQ|INE000000000",
        "trading_symbol": "OLDCO",
    }

    assert (mapping.order_from_upstream(row, book).symbol, mapping.order_from_upstream(row, book).exchange) == (
        "OLDCO",
        "NSE",
    )


def test_trades(book):
    (trade,) = [mapping.trade_from_upstream(row, book) for row in http_fixture("trades_ok")["data"]]

    assert (trade.symbol, trade.product, trade.quantity, trade.average_price, trade.trade_value) == (
        "SBIN",
        "CNC",
        2,
        570.95,
        1141.9,
    )


def test_positions_take_the_side_price_when_the_average_is_null(book):
    intraday, short = [mapping.position_from_upstream(row, book) for row in http_fixture("positions_ok")["data"]]

    assert (intraday.symbol, intraday.product, intraday.quantity, intraday.average_price) == ("SBIN", "MIS", 2, 570.95)
    assert (short.symbol, short.product, short.quantity, short.average_price) == (
        "NIFTY27FEB2522500CE",
        "NRML",
        -75,
        120.0,
    )


def test_holdings_count_t1_shares(book):
    holdings = mapping.holdings_from_upstream(http_fixture("holdings_ok")["data"], book)

    (holding,) = holdings.holdings
    assert (holding.symbol, holding.product, holding.quantity, holding.pnl) == ("SBIN", "CNC", 12, 600.0)
    assert holdings.statistics.totalinvvalue == 6600.0


def test_funds_add_both_segments():
    funds = mapping.funds_from_upstream(http_fixture("funds_ok")["data"])

    assert (funds.availablecash, funds.utiliseddebits) == (18100.9, 1200.25)


def test_quotes_are_matched_by_instrument_token_not_by_their_answer_key():
    found = mapping.quotes_by_key(http_fixture("quotes_ok")["data"])

    quote = mapping.quote_from_upstream(found["NSE_EQ|INE062A01020"])
    assert (quote.ltp, quote.bid, quote.ask, quote.open, quote.prev_close, quote.volume) == (
        570.6,
        570.5,
        570.6,
        573.7,
        570.1,
        1540210,
    )


def test_depth_pads_to_five_levels():
    depth = mapping.depth_from_upstream(http_fixture("quotes_ok")["data"]["NSE_EQ:SBIN"])

    assert [level.price for level in depth.bids] == [570.5, 570.45, 0.0, 0.0, 0.0]
    assert (depth.totalbuyqty, depth.totalsellqty) == (612434, 1006232)


def test_candles_come_back_oldest_first():
    candles = mapping.candles_from_upstream(http_fixture("historical_ok")["data"])

    assert [candle.close for candle in candles] == [52.05, 53.2]
    assert candles[0].timestamp == 1696098600  # 2023-10-01 00:00 IST


def test_margin_request_and_answer(book):
    request = MarginRequest(positions=[{"symbol": "NIFTY27FEB25FUT", "exchange": "NFO", "action": "SELL", "quantity": 75,
                                        "product": "NRML", "pricetype": "MARKET"}])  # fmt: skip

    body = mapping.to_upstream_margin(request, [book.to_upstream("NFO", "NIFTY27FEB25FUT")])
    result = mapping.margin_from_upstream(http_fixture("margin_ok")["data"])

    assert body == {"instruments": [{"instrument_key": "NSE_FO|35001", "quantity": 75, "transaction_type": "SELL",
                                     "product": "D", "price": 0.0}]}  # fmt: skip
    assert (result.total_margin_required, result.span_margin, result.exposure_margin) == (110000.0, 100000.25, 20000.25)
