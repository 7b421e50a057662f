"""The broker-neutral mapping helpers every plugin's answers go through."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from brokers.common.mapping import (
    HeldShares,
    check_history,
    depth_from_quote,
    find_order,
    five_levels,
    holdings_book,
    invert,
    order_book,
    order_detail,
    percent,
    price,
    strict,
    total,
)
from generated.api import HistoryRequest, Order, Quote
from generated.errors import BrokerBadResponse, NotSupported, OrderNotFound, ValidationFailed


def _order(orderid: str, action: str, status: str) -> Order:
    return Order(
        orderid=orderid, symbol="SBIN", exchange="NSE", action=action, quantity=1, price=100.5, trigger_price=0.0,
        pricetype="LIMIT", product="CNC", order_status=status, timestamp="2024-12-02 09:15:00",
    )  # fmt: skip


def test_strict_looks_up_and_names_the_broker_for_an_unknown_value():
    assert strict({"COMPLETE": "complete"}, "COMPLETE", "order status", "somebroker") == "complete"

    with pytest.raises(BrokerBadResponse, match="unknown order status from somebroker: 'HALF' was not in") as raised:
        strict({"COMPLETE": "complete"}, "HALF", "order status", "somebroker")
    assert raised.value.context["broker"] == "somebroker"
    with pytest.raises(BrokerBadResponse):
        strict({"COMPLETE": "complete"}, ["unhashable"], "order status", "somebroker")


def test_numbers_are_read_through_decimal():
    assert invert({"MIS": "INTRADAY", "CNC": "DELIVERY"}) == {"INTRADAY": "MIS", "DELIVERY": "CNC"}
    assert price("109.35") == 109.35
    assert price(None) == 0.0
    assert total([{"span": 0.1}, {"span": 0.2}, {"span": None}, {}], "span") == 0.3
    assert percent(Decimal(1), Decimal(3)) == 33.33
    assert percent(Decimal(5), Decimal(0)) == 0.0


def test_a_depth_side_always_has_five_levels():
    empty = {"price": 0.0, "quantity": 0}
    assert five_levels([{"price": 1.0, "quantity": 2}]) == [{"price": 1.0, "quantity": 2}] + [empty] * 4
    assert len(five_levels([{"price": 1.0, "quantity": 2}] * 7)) == 5


def test_depth_takes_prices_and_volumes_from_the_quote():
    quote = Quote(ltp=101.5, bid=101.4, ask=101.6, open=100, high=102, low=99.5, prev_close=100.2, volume=1200, oi=7)
    side = five_levels([])

    depth = depth_from_quote(quote, bids=side, asks=side, ltq=5, totalbuyqty=10, totalsellqty=20)

    assert (depth.ltp, depth.open, depth.high, depth.low, depth.prev_close) == (101.5, 100, 102, 99.5, 100.2)
    assert (depth.volume, depth.oi, depth.ltq, depth.totalbuyqty, depth.totalsellqty) == (1200, 7, 5, 10, 20)


def test_the_order_book_counts_orders_by_side_and_status():
    book = order_book(
        [_order("1", "BUY", "complete"), _order("2", "SELL", "open"), _order("3", "BUY", "trigger pending"),
         _order("4", "BUY", "rejected"), _order("5", "SELL", "cancelled")]
    )  # fmt: skip

    stats = book.statistics
    assert (stats.total_buy_orders, stats.total_sell_orders) == (3, 2)
    assert (stats.total_completed_orders, stats.total_open_orders) == (1, 1)
    assert (stats.total_rejected_orders, stats.total_trigger_pending_orders) == (1, 1)
    assert order_book([]).statistics.total_buy_orders == 0


def test_an_order_is_found_in_the_book_and_answered_with_its_price_type():
    book = order_book([_order("1", "BUY", "open")])

    detail = order_detail(find_order(book, "1"))

    assert (detail.orderid, detail.price_type, detail.pricetype) == ("1", "LIMIT", "LIMIT")
    with pytest.raises(OrderNotFound, match="Order 9 not found") as raised:
        find_order(book, "9", broker="somebroker")
    assert raised.value.context == {"order_id": "9", "broker": "somebroker"}


def test_holdings_carry_their_pnl_and_the_books_totals():
    book = holdings_book(
        [
            HeldShares("SBIN", "NSE", "CNC", 10, Decimal("500"), Decimal("550.5")),
            HeldShares("ITC", "NSE", "CNC", 4, Decimal("400"), Decimal("390")),
            HeldShares("GONE", "NSE", "CNC", 0, Decimal("0"), Decimal("0")),
        ]
    )

    sbin, itc, gone = book.holdings
    assert (sbin.current_value, sbin.pnl, sbin.pnlpercent) == (5505.0, 505.0, 10.1)
    assert (itc.pnl, itc.pnlpercent, gone.pnlpercent) == (-40.0, -2.5, 0.0)
    stats = book.statistics
    assert (stats.totalholdingvalue, stats.totalinvvalue, stats.totalprofitandloss) == (7065.0, 6600.0, 465.0)
    assert stats.totalpnlpercentage == 7.05


def test_a_history_request_needs_an_offered_interval_and_dates_in_order():
    def request(interval: str, start: date, end: date) -> HistoryRequest:
        return HistoryRequest(symbol="SBIN", exchange="NSE", interval=interval, start_date=start, end_date=end)

    intervals = {"1m": "minute", "D": "day"}
    check_history(request("D", date(2024, 12, 1), date(2024, 12, 2)), intervals, "somebroker")

    with pytest.raises(NotSupported, match="somebroker has no 5m candles; it offers 1m, D") as raised:
        check_history(request("5m", date(2024, 12, 1), date(2024, 12, 2)), intervals, "somebroker", broker="x")
    assert raised.value.context == {"field": "interval", "broker": "x"}
    with pytest.raises(ValidationFailed, match="start_date is after end_date") as raised:
        check_history(request("D", date(2024, 12, 3), date(2024, 12, 2)), intervals, "somebroker")
    assert raised.value.context == {"field": "start_date"}
