"""Fill rules and the in-memory index of resting orders.

A MARKET order takes the touch (BUY at the ask, SELL at the bid; the LTP when that side is empty). A
LIMIT order that is marketable when it arrives fills at the better of its limit and the touch; once
resting it fills at its limit when the touch or the LTP reaches it. Stops trigger on the LTP: SL-M
then takes the touch, SL becomes a LIMIT at its price. A quote whose LTP lies outside its own day range
is stale (OpenAlgo issue #1638) and fills nothing.

The index keeps each symbol's resting orders sorted by price, so a tick touches only the orders it
crosses: a bisection finds them, whatever the depth of the book.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass, field
from decimal import Decimal

from sandbox.engine.models import Action, PriceType, to_decimal
from sandbox.market.types import Quote


def is_usable(quote: Quote | None) -> bool:
    if quote is None or quote.ltp <= 0:
        return False
    has_range = quote.high > 0 and quote.low > 0
    return not has_range or quote.low <= quote.ltp <= quote.high


def touch(quote: Quote, action: Action) -> Decimal:
    """The price a marketable order meets: the best offer for a BUY, the best bid for a SELL."""
    side = quote.ask if action is Action.BUY else quote.bid
    return to_decimal(side if side > 0 else quote.ltp)


def marketable_price(price_type: PriceType, action: Action, limit: Decimal, quote: Quote) -> Decimal | None:
    """The fill price of a MARKET order, or of a LIMIT order arriving now; None if it would rest."""
    best = touch(quote, action)
    if price_type is PriceType.MARKET or price_type is PriceType.STOP_MARKET:
        return best
    if action is Action.BUY:
        return min(limit, best) if best <= limit else None
    return max(limit, best) if best >= limit else None


def is_triggered(action: Action, trigger: Decimal, ltp: Decimal) -> bool:
    return ltp >= trigger if action is Action.BUY else ltp <= trigger


def _buy_threshold(quote: Quote) -> float:
    # A resting BUY is reached when someone offers at or below it, or a trade prints there.
    return min(quote.ask if quote.ask > 0 else math.inf, quote.ltp)


def _sell_threshold(quote: Quote) -> float:
    return max(quote.bid, quote.ltp)


@dataclass
class _SymbolBook:
    buy_limits: list[tuple[float, int, str]] = field(default_factory=list)
    sell_limits: list[tuple[float, int, str]] = field(default_factory=list)
    buy_stops: list[tuple[float, int, str]] = field(default_factory=list)
    sell_stops: list[tuple[float, int, str]] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.buy_limits or self.sell_limits or self.buy_stops or self.sell_stops)


@dataclass(frozen=True, slots=True)
class Crossings:
    """Orders a quote reaches, each list in arrival order."""

    limits: list[str]
    stops: list[str]


class RestingIndex:
    """Resting orders by (exchange, symbol), each side sorted by (price, arrival)."""

    def __init__(self) -> None:
        self._books: dict[tuple[str, str], _SymbolBook] = {}
        self._entries: dict[str, tuple[tuple[str, str], str, tuple[float, int, str]]] = {}
        self._arrival = itertools.count()
        self.changes = 0  # grows with every add and remove, so an engine can tell its index moved

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, order_id: str) -> bool:
        return order_id in self._entries

    def symbols(self) -> list[tuple[str, str]]:
        return list(self._books)

    def add_limit(self, order_id: str, exchange: str, symbol: str, action: Action, price: Decimal) -> None:
        self._add(
            order_id, (exchange, symbol), "buy_limits" if action is Action.BUY else "sell_limits", price
        )

    def add_stop(self, order_id: str, exchange: str, symbol: str, action: Action, trigger: Decimal) -> None:
        self._add(
            order_id, (exchange, symbol), "buy_stops" if action is Action.BUY else "sell_stops", trigger
        )

    def _add(self, order_id: str, key: tuple[str, str], side: str, level: Decimal) -> None:
        self.remove(order_id)
        entry = (float(level), next(self._arrival), order_id)
        self.changes += 1
        insort(getattr(self._books.setdefault(key, _SymbolBook()), side), entry)
        self._entries[order_id] = (key, side, entry)

    def remove(self, order_id: str) -> None:
        found = self._entries.pop(order_id, None)
        if found is None:
            return
        key, side, entry = found
        self.changes += 1
        book = self._books[key]
        entries = getattr(book, side)
        del entries[bisect_left(entries, entry)]
        if book.is_empty():
            del self._books[key]

    def crossings(self, quote: Quote) -> Crossings:
        book = self._books.get((quote.exchange, quote.symbol))
        if book is None or not is_usable(quote):
            return Crossings([], [])
        ltp = quote.ltp
        buy_limits = book.buy_limits[bisect_left(book.buy_limits, (_buy_threshold(quote), -1, "")) :]
        sell_limits = book.sell_limits[
            : bisect_right(book.sell_limits, (_sell_threshold(quote), math.inf, ""))
        ]
        buy_stops = book.buy_stops[: bisect_right(book.buy_stops, (ltp, math.inf, ""))]
        sell_stops = book.sell_stops[bisect_left(book.sell_stops, (ltp, -1, "")) :]
        return Crossings(
            limits=[entry[2] for entry in sorted(buy_limits + sell_limits, key=lambda entry: entry[1])],
            stops=[entry[2] for entry in sorted(buy_stops + sell_stops, key=lambda entry: entry[1])],
        )
