"""Daily closes for the backtests: from the caller's broker (`source: api`, the sandbox's offline
market by default) or from the local history store that Historify fills (`source: db`)."""

from __future__ import annotations

from datetime import date

import numpy as np
from numpy.typing import NDArray

from gateway.accounts import Principal
from gateway.historify import Historify
from gateway.routing import BrokerRouter
from generated.api import HistoryRequest
from generated.errors import ValidationFailed
from storage.history import ist_date

Series = tuple[list[date], NDArray]


class DailyCloses:
    def __init__(self, router: BrokerRouter, historify: Historify) -> None:
        self._router = router
        self._historify = historify

    async def series(self, user: Principal, source: str, symbol: str, exchange: str, start: date, end: date) -> Series:
        """The instrument's daily closes from start to end, one per trading day, oldest first."""
        request = HistoryRequest(
            symbol=symbol, exchange=exchange, interval="D", start_date=start, end_date=end, source=source
        )
        if source == "db":
            rows = [(row["timestamp"], row["close"]) for row in await self._historify.history(request)]
        else:
            route = self._router.route(user)
            candles = await route.plugin.history(route.account(user.user_id), request)
            rows = [(candle.timestamp, candle.close) for candle in candles]
        by_day = {ist_date(int(stamp), "D"): float(close) for stamp, close in rows if close and close > 0}
        days = sorted(by_day)
        return days, np.array([by_day[day] for day in days], dtype=float)


def align(named: list[tuple[str, Series]]) -> Series:
    """The days every series has, and a days-by-series matrix of their closes on those days."""
    common = set(named[0][1][0])
    for _, (days, _closes) in named[1:]:
        common &= set(days)
    days = sorted(common)
    if len(days) < 2:
        found = ", ".join(f"{name}: {len(series[0])} days" for name, series in named)
        raise ValidationFailed(
            f"the instruments share fewer than two trading days in the range ({found}); choose a longer or later range",
            field="start_date",
        )
    columns = []
    for _, (series_days, closes) in named:
        position = {day: i for i, day in enumerate(series_days)}
        columns.append(closes[[position[day] for day in days]])
    return days, np.column_stack(columns)
