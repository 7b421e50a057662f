"""Expiry schedules: the dates on which each kind of derivative contract expires.

Every schedule is computed from the calendar relative to a given day, so contracts roll on their
own: an expiry before that day is not listed, and an expiry that falls on a holiday moves to the
previous trading day, as the exchanges announce.
"""

from __future__ import annotations

import calendar as gregorian
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from sandbox.market.calendar import ExchangeCalendar
from sandbox.market.universe import ExpiryRule

_TUESDAY, _THURSDAY, _FRIDAY = 1, 3, 4

_WEEKLY = {
    ExpiryRule.WEEKLY_TUESDAY: (_TUESDAY, "NSE"),
    ExpiryRule.WEEKLY_THURSDAY: (_THURSDAY, "BSE"),
    ExpiryRule.WEEKLY_FRIDAY: (_FRIDAY, "CDS"),
}


def is_weekly(rule: ExpiryRule) -> bool:
    return rule in _WEEKLY


def _months_from(day: date) -> Iterator[tuple[int, int]]:
    year, month = day.year, day.month
    while True:
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year, month, gregorian.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _back(calendar: ExchangeCalendar, day: date, trading_days: int, exchange: str) -> date:
    for _ in range(trading_days):
        day = calendar.previous_trading_day(day, exchange)
    return day


def _monthly(rule: ExpiryRule, calendar: ExchangeCalendar) -> Callable[[int, int], date | None]:
    """The raw expiry of `rule` in a given month, or None when the rule skips that month."""

    def last_tuesday(year: int, month: int) -> date:
        return calendar.on_or_before(_last_weekday(year, month, _TUESDAY), "NSE")

    def last_thursday(year: int, month: int) -> date:
        return calendar.on_or_before(_last_weekday(year, month, _THURSDAY), "BSE")

    def crude_future(year: int, month: int) -> date:
        return calendar.on_or_before(date(year, month, 19), "MCX")

    def crude_option(year: int, month: int) -> date:
        return _back(calendar, crude_future(year, month), 2, "MCX")

    def gold_future(year: int, month: int) -> date | None:
        # Gold futures are listed for the even months only.
        return calendar.on_or_before(date(year, month, 5), "MCX") if month % 2 == 0 else None

    def gold_option(year: int, month: int) -> date | None:
        return _back(calendar, date(year, month, 1), 3, "MCX") if month % 2 == 0 else None

    def currency_future(year: int, month: int) -> date:
        last_day = date(year, month, gregorian.monthrange(year, month)[1])
        return _back(calendar, calendar.on_or_before(last_day, "CDS"), 2, "CDS")

    return {
        ExpiryRule.MONTHLY_TUESDAY: last_tuesday,
        ExpiryRule.MONTHLY_THURSDAY: last_thursday,
        ExpiryRule.CRUDE_FUTURE: crude_future,
        ExpiryRule.CRUDE_OPTION: crude_option,
        ExpiryRule.GOLD_FUTURE: gold_future,
        ExpiryRule.GOLD_OPTION: gold_option,
        ExpiryRule.CURRENCY_FUTURE: currency_future,
    }[rule]


def expiry_dates(rule: ExpiryRule, today: date, calendar: ExchangeCalendar, count: int) -> list[date]:
    """The next `count` expiries of `rule` on or after `today`, ascending."""
    found: list[date] = []
    if rule in _WEEKLY:
        weekday, exchange = _WEEKLY[rule]
        # Start a week back: last week's raw date may have shifted no earlier than today anyway.
        raw = today - timedelta(days=(today.weekday() - weekday) % 7)
        while len(found) < count:
            expiry = calendar.on_or_before(raw, exchange)
            if expiry >= today:
                found.append(expiry)
            raw += timedelta(days=7)
        return found
    expiry_in = _monthly(rule, calendar)
    # Option months can expire in the month before the contract's own month (gold options).
    for year, month in _months_from(today):
        expiry = expiry_in(year, month)
        if expiry is not None and expiry >= today and expiry not in found:
            found.append(expiry)
        if len(found) >= count:
            return sorted(found)
    raise AssertionError("unreachable: the month iterator is endless")
