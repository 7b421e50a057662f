"""The two-way tables and the parsers of Kite's answers, on answers built from Kite's documentation."""

from __future__ import annotations

import pytest

from brokers.zerodha import mapping
from brokers.zerodha.tests.conftest import http_fixture
from generated.api import InstrumentRecord, ModifyOrderRequest, PlaceOrderRequest
from generated.errors import BrokerBadResponse

SBIN = InstrumentRecord(symbol="SBIN", brsymbol="SBIN", name="SBIN", exchange="NSE", brexchange="NSE", token="779521",
                        expiry="", strike=-1.0, lotsize=1, instrumenttype="EQ", tick_size=0.05)  # fmt: skip


@pytest.mark.parametrize(
    ("upstream", "unified"),
    [("COMPLETE", "complete"), ("OPEN", "open"), ("TRIGGER PENDING", "trigger pending"), ("REJECTED", "rejected"),
     ("CANCELLED", "cancelled"), ("MODIFY VALIDATION PENDING", "open"), ("PUT ORDER REQ RECEIVED", "open")],
)  # fmt: skip
def test_order_statuses_map_to_unified_ones(upstream, unified):
    assert mapping.STATUS_FROM_UPSTREAM[upstream] == unified


def test_an_unknown_status_raises_bad_response_naming_the_value():
    with pytest.raises(BrokerBadResponse, match="'HALF FILLED' was not in the order status table"):
        mapping.strict(mapping.STATUS_FROM_UPSTREAM, "HALF FILLED", "order status")


@pytest.mark.parametrize(
    ("to_upstream", "from_upstream"),
    [(mapping.PRODUCT_TO_UPSTREAM, mapping.PRODUCT_FROM_UPSTREAM),
     (mapping.PRICE_TYPE_TO_UPSTREAM, mapping.PRICE_TYPE_FROM_UPSTREAM),
     (mapping.ACTION_TO_UPSTREAM, mapping.ACTION_FROM_UPSTREAM),
     (mapping.INTERVAL_TO_UPSTREAM, mapping.INTERVAL_FROM_UPSTREAM),
     (mapping.INDEX_NAME_TO_UPSTREAM, mapping.INDEX_NAME_FROM_UPSTREAM)],
)  # fmt: skip
def test_each_table_round_trips(to_upstream, from_upstream):
    assert {unified: from_upstream[upstream] for unified, upstream in to_upstream.items()} == {u: u for u in to_upstream}


def test_a_stop_market_order_sends_a_trigger_and_no_price():
    request = PlaceOrderRequest(strategy="s", exchange="NSE", symbol="SBIN", action="sell", quantity=5, pricetype="SL-M",
                                product="MIS", trigger_price=790.5)  # fmt: skip

    form = mapping.to_upstream_order(request, SBIN)

    assert form == {"tradingsymbol": "SBIN", "exchange": "NSE", "transaction_type": "SELL", "order_type": "SL-M",
                    "quantity": "5", "product": "MIS", "validity": "DAY", "trigger_price": "790.5", "tag": "s"}  # fmt: skip


def test_a_long_strategy_name_is_cut_to_kites_twenty_character_tag():
    request = PlaceOrderRequest(strategy="x" * 30, exchange="NSE", symbol="SBIN", action="BUY", quantity=1)

    assert mapping.to_upstream_order(request, SBIN)["tag"] == "x" * 20


def test_a_limit_modification_sends_the_new_price():
    request = ModifyOrderRequest(strategy="s", orderid="1", exchange="NSE", symbol="SBIN", action="BUY", product="CNC",
                                 pricetype="LIMIT", price=101.25, quantity=3)  # fmt: skip

    assert mapping.to_upstream_modification(request) == {"quantity": "3", "order_type": "LIMIT", "validity": "DAY", "price": "101.25"}


def test_the_order_list_maps_to_a_unified_book(book):
    rows = http_fixture("orders_list_ok")["data"]

    order_book = mapping.order_book_from_upstream(rows, book)

    statuses = [order.order_status for order in order_book.orders]
    assert statuses == ["cancelled", "complete", "rejected", "trigger pending"]
    assert order_book.orders[3].symbol == "NIFTY26DEC24FUT" and order_book.orders[3].exchange == "NFO"
    assert order_book.orders[2].rejection_reason.startswith("Insufficient funds")
    assert order_book.orders[1].strategy == "connect test order1"
    assert order_book.statistics.total_rejected_orders == 1 and order_book.statistics.total_trigger_pending_orders == 1


def test_funds_add_up_both_segments():
    funds = mapping.funds_from_upstream(http_fixture("user_margins_ok")["data"])

    assert funds.availablecash == pytest.approx(99725.05 + 100661.7)
    assert funds.utiliseddebits == pytest.approx(145706.55)
    assert funds.m2mrealized == pytest.approx(761.7)


def test_holdings_count_t1_shares_and_total_the_book(book):
    holdings = mapping.holdings_from_upstream(http_fixture("portfolio_holdings_ok")["data"], book)

    assert [holding.quantity for holding in holdings.holdings] == [18, 5]
    assert holdings.statistics.totalinvvalue == pytest.approx(18 * 429 + 5 * 8.466)


def test_positions_keep_kites_name_when_the_master_lacks_the_contract(book):
    [position] = [mapping.position_from_upstream(row, book) for row in http_fixture("portfolio_positions_ok")["data"]["net"]]

    assert (position.symbol, position.exchange, position.quantity, position.pnl) == ("LEADMINI17DECFUT", "MCX", 1, 150.0)


def test_a_full_quote_gives_touch_and_depth():
    row = http_fixture("quote_ok")["data"]["NSE:INFY"]

    quote, depth = mapping.quote_from_upstream(row), mapping.depth_from_upstream(row)

    assert (quote.ltp, quote.bid, quote.ask, quote.prev_close) == (1412.95, 1412.9, 1412.95, 1389.65)
    assert len(depth.bids) == 5 and depth.bids[2].price == 0.0 and depth.totalsellqty == 5191


def test_candles_read_kites_ist_timestamps():
    candles = [mapping.candle_from_upstream(row) for row in http_fixture("historical_ok")["data"]["candles"]]

    assert candles[0].timestamp == 1513309500  # 2017-12-15 03:45:00 UTC
    assert candles[1].close == 1698.15 and candles[1].oi == 0
