"""The live tape: minute bars of every underlying since the simulation started, and each one's day.

The simulator records each step here. History serves these bars after the synthetic past, so the
last candle always ends at the live price, and quotes read the day's open, high, low and previous
close from here, so they agree with the daily candles.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from numpy.typing import NDArray

from sandbox.market.calendar import ist_date

FloatArray = NDArray[np.float64]


class LiveTape:
    """Per-minute OHLC rows across all underlyings (NaN where an underlying did not trade)."""

    def __init__(
        self,
        day: list[date],
        day_open: FloatArray,
        day_high: FloatArray,
        day_low: FloatArray,
        prev_close: FloatArray,
        last_price: FloatArray,
        last_active: FloatArray,
    ) -> None:
        self.day = list(day)  # the trading day each underlying's stats below belong to
        self.day_open = day_open.copy()
        self.day_high = day_high.copy()
        self.day_low = day_low.copy()
        self.prev_close = prev_close.copy()
        self.last_price = last_price.copy()
        self.last_active = last_active.copy()  # epoch seconds each underlying last traded
        self._minutes: list[int] = []
        self._rows: list[FloatArray] = []  # each row: open, high, low, close stacked (4 x count)
        self._stacked: tuple[NDArray[np.int64], FloatArray] | None = None

    def record(self, minute: int, moment: float, prices: FloatArray, active: NDArray[np.bool_]) -> None:
        """Note the prices at `moment`, inside the bar that opened at epoch `minute`."""
        if not active.any():
            return
        if not self._minutes or self._minutes[-1] != minute:
            self._minutes.append(minute)
            self._rows.append(np.full((4, len(prices)), np.nan))
            self._roll_days(minute, active)
        row = self._rows[-1]
        row[0] = np.where(active & np.isnan(row[0]), prices, row[0])
        row[1] = np.where(active, np.fmax(row[1], prices), row[1])
        row[2] = np.where(active, np.fmin(row[2], prices), row[2])
        row[3] = np.where(active, prices, row[3])
        self.day_open = np.where(np.isnan(self.day_open) & active, prices, self.day_open)
        self.day_high = np.where(active, np.maximum(self.day_high, prices), self.day_high)
        self.day_low = np.where(active, np.minimum(self.day_low, prices), self.day_low)
        self.last_price = np.where(active, prices, self.last_price)
        self.last_active = np.where(active, moment, self.last_active)
        self._stacked = None

    def _roll_days(self, minute: int, active: NDArray[np.bool_]) -> None:
        # A new day starts at an underlying's first trade of a new IST date, as on a real tape.
        today = ist_date(minute)
        for position in np.flatnonzero(active):
            if self.day[position] != today:
                self.day[position] = today
                self.prev_close[position] = self.last_price[position]
                self.day_open[position] = np.nan
                self.day_high[position] = -np.inf
                self.day_low[position] = np.inf

    def bars(self, position: int, since: int, until: int) -> tuple[NDArray[np.int64], FloatArray]:
        """Bars of one underlying opening in [since, until): epoch minutes and a (4, n) OHLC array."""
        if not self._minutes:
            return np.empty(0, dtype=np.int64), np.empty((4, 0))
        if self._stacked is None:
            self._stacked = (np.array(self._minutes, dtype=np.int64), np.stack(self._rows, axis=2))
        minutes, rows = self._stacked
        values = rows[:, position, :]
        keep = (minutes >= since) & (minutes < until) & ~np.isnan(values[3])
        return minutes[keep], values[:, keep]
