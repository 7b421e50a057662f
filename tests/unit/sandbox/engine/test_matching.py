"""Fill prices and the resting-order index."""

from __future__ import annotations

from decimal import Decimal

from sandbox.engine import Action, PriceType
from sandbox.engine.matching import RestingIndex, is_usable, marketable_price
from sandbox.market.types import Quote


def quote(
    ltp: float, bid: float | None = None, ask: float | None = None, high: float = 0, low: float = 0
) -> Quote:
    return Quote("NSE", "SBIN", ltp, bid or ltp, ask or ltp, ltp, high, low, ltp, 0, 0, 0)


def test_market_orders_take_the_touch():
    market = quote(100, bid=99.9, ask=100.1)

    assert marketable_price(PriceType.MARKET, Action.BUY, Decimal(0), market) == Decimal("100.1")
    assert marketable_price(PriceType.MARKET, Action.SELL, Decimal(0), market) == Decimal("99.9")


def test_limit_fills_at_the_better_of_limit_and_touch_or_not_at_all():
    market = quote(100, bid=99.9, ask=100.1)

    assert marketable_price(PriceType.LIMIT, Action.BUY, Decimal(101), market) == Decimal("100.1")
    assert marketable_price(PriceType.LIMIT, Action.BUY, Decimal(100), market) is None
    assert marketable_price(PriceType.LIMIT, Action.SELL, Decimal(99), market) == Decimal("99.9")


def test_a_quote_outside_its_own_day_range_is_stale():
    assert not is_usable(quote(120, high=110, low=90))
    assert is_usable(quote(100, high=110, low=90))
    assert not is_usable(quote(0))


def test_index_returns_only_the_orders_a_quote_crosses_in_arrival_order():
    index = RestingIndex()
    for number in range(1000):
        index.add_limit(f"buy{number}", "NSE", "SBIN", Action.BUY, Decimal(900 - number))
    index.add_limit("sell", "NSE", "SBIN", Action.SELL, Decimal(905))
    index.add_stop("stop", "NSE", "SBIN", Action.SELL, Decimal(897))

    crossings = index.crossings(quote(897.5, bid=897.4, ask=897.6))

    assert crossings.limits == ["buy0", "buy1", "buy2"]
    assert crossings.stops == []
    assert index.crossings(quote(896)).stops == ["stop"]


def test_removed_orders_are_never_crossed_again():
    index = RestingIndex()
    index.add_limit("a", "NSE", "SBIN", Action.BUY, Decimal(100))
    index.add_limit("b", "NSE", "SBIN", Action.BUY, Decimal(100))

    index.remove("a")

    assert index.crossings(quote(99)).limits == ["b"]
    index.remove("b")
    assert index.symbols() == [] and len(index) == 0
