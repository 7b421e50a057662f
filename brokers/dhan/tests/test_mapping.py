"""The two-way tables and the parsers of Dhan's answers, on answers built from its documentation."""

from __future__ import annotations

from datetime import date

import pytest

from brokers.dhan import mapping
from brokers.dhan.tests.conftest import http_fixture
from generated.api import MarginPosition, ModifyOrderRequest, PlaceOrderRequest
from generated.errors import BrokerBadResponse


@pytest.mark.parametrize(
    ("table", "flipped"),
    [
        (mapping.PRODUCT_TO_UPSTREAM, mapping.PRODUCT_FROM_UPSTREAM),
        (mapping.PRICE_TYPE_TO_UPSTREAM, mapping.PRICE_TYPE_FROM_UPSTREAM),
        (mapping.ACTION_TO_UPSTREAM, mapping.ACTION_FROM_UPSTREAM),
        (mapping.INTERVAL_TO_UPSTREAM, mapping.INTERVAL_FROM_UPSTREAM),
    ],
)
def test_every_table_reads_back_what_it_sends(table, flipped):
    assert all(flipped[upstream] == unified for unified, upstream in table.items())


@pytest.mark.parametrize(
    ("unified", "upstream"),
    [("CNC", "CNC"), ("MIS", "INTRADAY"), ("NRML", "MARGIN"), ("SL", "STOP_LOSS"), ("SL-M", "STOP_LOSS_MARKET")],
)
def test_dhans_own_names(unified, upstream):
    assert upstream in (mapping.PRODUCT_TO_UPSTREAM.get(unified), mapping.PRICE_TYPE_TO_UPSTREAM.get(unified))


@pytest.mark.parametrize(("upstream", "unified"), [("MTF", "CNC"), ("CO", "MIS"), ("BO", "MIS")])
def test_products_only_read(upstream, unified):
    assert mapping.PRODUCT_FROM_UPSTREAM[upstream] == unified
    assert upstream not in mapping.PRODUCT_TO_UPSTREAM.values()


@pytest.mark.parametrize(
    ("status", "order_type", "unified"),
    [
        ("TRANSIT", "LIMIT", "open"),
        ("PENDING", "LIMIT", "open"),
        ("PENDING", "STOP_LOSS", "trigger pending"),
        ("PENDING", "STOP_LOSS_MARKET", "trigger pending"),
        ("PART_TRADED", "LIMIT", "open"),
        ("TRADED", "MARKET", "complete"),
        ("TRADED", "STOP_LOSS", "complete"),
        ("REJECTED", "MARKET", "rejected"),
        ("CANCELLED", "STOP_LOSS", "cancelled"),
        ("EXPIRED", "LIMIT", "cancelled"),
    ],
)
def test_order_status_from_status_and_type(status, order_type, unified):
    assert mapping.order_status(status, order_type) == unified


def test_an_unknown_status_is_the_brokers_mistake():
    with pytest.raises(BrokerBadResponse, match="HALTED"):
        mapping.order_status("HALTED", "LIMIT")


def test_order_book(book):
    orders = mapping.order_book_from_upstream(http_fixture("orders_list_ok"), book)
    resting, option, stop, refused = orders.orders
    assert (resting.symbol, resting.exchange, resting.pricetype, resting.product) == ("SBIN", "NSE", "LIMIT", "CNC")
    assert (resting.price, resting.pending_quantity, resting.strategy, resting.order_status) == (
        790.35,
        5,
        "alpha",
        "open",
    )
    assert (option.symbol, option.exchange, option.action, option.product) == (
        "NIFTY26DEC2426000CE",
        "NFO",
        "SELL",
        "NRML",
    )
    assert (option.average_price, option.filled_quantity, option.order_status) == (109.35, 25, "complete")
    assert (stop.order_status, stop.trigger_price, stop.pricetype, stop.product) == (
        "trigger pending",
        820.0,
        "SL-M",
        "MIS",
    )
    assert (refused.order_status, refused.rejection_reason) == ("rejected", "RMS:Margin Exceeds")
    assert orders.statistics.total_open_orders == 1 and orders.statistics.total_trigger_pending_orders == 1


def test_an_order_the_master_no_longer_lists_keeps_dhans_names(book):
    row = http_fixture("orders_list_ok")[0] | {"securityId": "424242", "tradingSymbol": "OLDCO"}
    order = mapping.order_from_upstream(row, book)
    assert (order.symbol, order.exchange) == ("OLDCO", "NSE")


def test_trades(book):
    (trade,) = [mapping.trade_from_upstream(row, book) for row in http_fixture("trades_ok")]
    assert (trade.symbol, trade.quantity, trade.average_price, trade.trade_value) == ("SBIN", 40, 790.35, 31614.0)
    assert (trade.tradeid, trade.product, trade.timestamp) == ("15112111182045", "MIS", "2024-12-02 11:20:06")


def test_positions_long_and_short(book):
    long, short = [mapping.position_from_upstream(row, book) for row in http_fixture("positions_ok")]
    assert (long.quantity, long.average_price, long.ltp, long.pnl) == (40, 790.0, 795.0, 200.0)
    assert (short.symbol, short.quantity, short.average_price, short.product) == (
        "NIFTY26DEC2426000PE",
        -25,
        120.5,
        "NRML",
    )
    assert (short.ltp, short.pnl, short.today_realized_pnl) == (110.5, 262.5, 12.5)


def test_holdings(book):
    holdings = mapping.holdings_from_upstream(http_fixture("holdings_ok"), book)
    (holding,) = holdings.holdings
    assert (holding.symbol, holding.exchange, holding.quantity, holding.ltp, holding.pnl) == (
        "SBIN",
        "NSE",
        10,
        770.0,
        700.0,
    )
    assert holdings.statistics.totalpnlpercentage == 10.0


def test_funds_read_dhans_spelling():
    funds = mapping.funds_from_upstream(http_fixture("fundlimit_ok"))
    assert (funds.availablecash, funds.utiliseddebits, funds.collateral) == (98440.0, 15202.0, 0.0)


def test_margins_add_up():
    row = http_fixture("margincalculator_ok")
    result = mapping.margin_from_upstream([row, row])
    assert (result.total_margin_required, result.span_margin, result.exposure_margin) == (5600.0, 2400.0, 2006.0)


def test_quote_and_depth():
    row = http_fixture("marketfeed_quote_ok")["data"]["NSE_EQ"]["3045"]
    quote = mapping.quote_from_upstream(row)
    assert (quote.ltp, quote.bid, quote.ask, quote.prev_close, quote.volume) == (790.35, 790.3, 790.4, 788.2, 120000)
    depth = mapping.depth_from_upstream(row)
    assert [level.price for level in depth.bids] == [790.3, 790.25]
    assert (depth.totalbuyqty, depth.totalsellqty, depth.ltq) == (1825, 900, 10)


def test_candles():
    candles = mapping.candles_from_upstream(http_fixture("charts_historical_ok"))
    assert [(c.timestamp, c.close, c.volume) for c in candles] == [
        (1733077800, 790.35, 120000),
        (1733164200, 794.1, 98000),
    ]


def test_order_request_body(book):
    instrument = book.to_upstream("NSE", "SBIN")
    request = PlaceOrderRequest(strategy="my strategy #1!", exchange="NSE", symbol="SBIN", action="buy", quantity=3,
                                pricetype="SL", product="MIS", price=801.5, trigger_price=800)  # fmt: skip
    body = mapping.to_upstream_order(request, instrument, "1000000009")
    assert body == {
        "dhanClientId": "1000000009", "transactionType": "BUY", "exchangeSegment": "NSE_EQ", "productType": "INTRADAY",
        "orderType": "STOP_LOSS", "validity": "DAY", "securityId": "3045", "quantity": 3, "disclosedQuantity": 0,
        "price": 801.5, "triggerPrice": 800.0, "afterMarketOrder": False, "correlationId": "my strategy 1",
    }  # fmt: skip


def test_market_orders_send_no_price(book):
    request = PlaceOrderRequest(
        strategy="", exchange="NSE", symbol="SBIN", action="SELL", quantity=1, price=5.0, product="CNC"
    )
    body = mapping.to_upstream_order(request, book.to_upstream("NSE", "SBIN"), "1")
    assert (body["orderType"], body["price"], body["triggerPrice"]) == ("MARKET", 0.0, 0.0)
    assert "correlationId" not in body


def test_correlation_ids_are_trimmed_to_dhans_limit():
    assert mapping.correlation_id("x" * 40) == "x" * 30


def test_modification_body():
    request = ModifyOrderRequest(strategy="s", orderid="112111182198", exchange="NSE", symbol="SBIN", action="BUY",
                                 product="CNC", pricetype="LIMIT", price=780.0, quantity=2)  # fmt: skip
    assert mapping.to_upstream_modification(request, "1") == {
        "dhanClientId": "1", "orderId": "112111182198", "orderType": "LIMIT", "quantity": 2, "price": 780.0,
        "disclosedQuantity": 0, "triggerPrice": 0.0, "validity": "DAY",
    }  # fmt: skip


def test_margin_body(book):
    position = MarginPosition(symbol="NIFTY26DEC2426000CE", exchange="NFO", action="SELL", quantity=25, product="NRML",
                              pricetype="LIMIT", price=109.35)  # fmt: skip
    body = mapping.to_upstream_margin(position, book.to_upstream("NFO", "NIFTY26DEC2426000CE"), "1")
    assert (body["exchangeSegment"], body["securityId"], body["productType"], body["transactionType"]) == (
        "NSE_FNO", "56046", "MARGIN", "SELL",
    )  # fmt: skip


def test_quote_request_groups_ids_by_segment(book):
    rows = [
        book.to_upstream("NSE", "SBIN"),
        book.to_upstream("NFO", "NIFTY26DEC24FUT"),
        book.to_upstream("NSE", "SBIN"),
    ]
    assert mapping.quote_request(rows) == {"NSE_EQ": [3045], "NSE_FNO": [35001]}


def test_chart_requests(book):
    instrument = book.to_upstream("NSE", "SBIN")
    daily = mapping.chart_request(instrument, "EQUITY", "D", date(2024, 12, 1), date(2024, 12, 5))
    assert (daily["fromDate"], daily["toDate"], daily["expiryCode"]) == (
        "2024-12-01",
        "2024-12-06",
        0,
    )  # toDate is exclusive
    minutes = mapping.chart_request(instrument, "EQUITY", "5", date(2024, 12, 1), date(2024, 12, 5))
    assert (minutes["interval"], minutes["fromDate"], minutes["toDate"]) == (
        "5",
        "2024-12-01 00:00:00",
        "2024-12-05 23:59:59",
    )
