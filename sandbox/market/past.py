"""The synthetic past of one underlying: seeded minute bars that end exactly at its start price.

Daily closes are walked backwards from the start price with the same mean-reverting law the live
process uses (a stationary Ornstein-Uhlenbeck path reads the same backwards), each day opens with a
small gap, and the minutes in between are a Brownian bridge from open to close. Every draw comes
from a counter-based stream keyed by (seed, underlying, day, minute), so a bar is the same whatever
range is asked for, and only the asked days are generated.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from sandbox.market.calendar import ExchangeCalendar, ist_date
from sandbox.market.noise import normals, stream_key
from sandbox.market.process import trading_seconds_per_year
from sandbox.market.universe import SESSION_EXCHANGE, UNDERLYINGS

_GAP_SHARE = 0.25  # overnight gap relative to a day's move
_MINUTES_PER_DAY_SLOT = 4096  # counter room per day: more than any session's minutes
_WICK_SHARE = 0.6  # how far a minute's high and low reach beyond its open and close


class SyntheticPast:
    """Minute bars of `name` on every trading day before `start_epoch`, closing at `anchor_price`."""

    def __init__(
        self, name: str, seed: int, calendar: ExchangeCalendar, start_epoch: float, anchor_price: float
    ) -> None:
        row = UNDERLYINGS[name]
        self.name = name
        self.exchange = SESSION_EXCHANGE[name]
        self._calendar = calendar
        self._start_minute = int(start_epoch // 60) * 60
        self._mean = math.log(row.price)
        self._reversion = max(row.mean_reversion, 1e-6)
        self._volatility = row.volatility
        self._seconds_per_year = trading_seconds_per_year(name)
        self._keys = {
            purpose: stream_key(seed, name, purpose) for purpose in ("close", "gap", "minute", "high", "low")
        }
        # Filled backwards from the anchor day: the last trading day with a minute before the start.
        self._days: list[date] = []
        self._session_opens: list[int] = []
        self._minute_counts: list[int] = []
        self._log_opens: list[float] = []
        self._log_closes: list[float] = []
        self._next_log_close = math.log(anchor_price)
        self._cursor = ist_date(self._start_minute) + timedelta(days=1)

    @property
    def anchor_day(self) -> date:
        self._extend_to(self._cursor - timedelta(days=10))
        return self._days[0]

    def _extend_to(self, first_day: date) -> None:
        found: list[tuple[date, int, int]] = []
        while self._cursor > first_day or not (self._days or found):
            self._cursor -= timedelta(days=1)
            bounds = self._calendar.session(self.exchange, self._cursor)
            if bounds is None:
                continue
            opens, closes = int(bounds[0].timestamp()), int(bounds[1].timestamp())
            count = min((closes - opens) // 60, (self._start_minute - opens) // 60)
            if count > 0:
                found.append((self._cursor, opens, count))
        if not found:
            return
        ordinals = [day.toordinal() for day, _, _ in found]
        close_draws = normals(self._keys["close"], ordinals)
        gap_draws = normals(self._keys["gap"], ordinals)
        for (day, opens, count), close_draw, gap_draw in zip(found, close_draws, gap_draws, strict=True):
            years = count * 60.0 / self._seconds_per_year
            decay = math.exp(-self._reversion * years)
            spread = self._volatility * math.sqrt((1.0 - decay * decay) / (2.0 * self._reversion))
            log_close = self._next_log_close
            previous_close = self._mean + (log_close - self._mean) * decay + spread * float(close_draw)
            self._days.append(day)
            self._session_opens.append(opens)
            self._minute_counts.append(count)
            self._log_closes.append(log_close)
            self._log_opens.append(previous_close + _GAP_SHARE * spread * float(gap_draw))
            self._next_log_close = previous_close

    def previous_close(self, day: date) -> float:
        """The close of the trading day before `day` (which must not be after the anchor day)."""
        self._extend_to(day - timedelta(days=10))
        earlier = [position for position, known in enumerate(self._days) if known < day]
        return math.exp(self._log_closes[earlier[0]])

    def minute_bars(self, first_day: date, last_day: date) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Bars opening on trading days first_day..last_day: epoch minutes and a (4, n) OHLC array."""
        self._extend_to(first_day)
        chosen = [index for index, day in enumerate(self._days) if first_day <= day <= last_day][::-1]
        if not chosen:
            return np.empty(0, dtype=np.int64), np.empty((4, 0))
        counts = np.array([self._minute_counts[index] for index in chosen])
        ordinals = np.array([self._days[index].toordinal() for index in chosen])
        log_opens = np.array([self._log_opens[index] for index in chosen])
        log_closes = np.array([self._log_closes[index] for index in chosen])
        session_opens = np.array([self._session_opens[index] for index in chosen], dtype=np.int64)

        day_starts = np.cumsum(counts) - counts
        day_of_minute = np.repeat(np.arange(len(chosen)), counts)
        position = np.arange(counts.sum()) - day_starts[day_of_minute]
        counters = ordinals[day_of_minute] * _MINUTES_PER_DAY_SLOT + position
        minute_volatility = self._volatility * math.sqrt(60.0 / self._seconds_per_year)
        steps = normals(self._keys["minute"], counters) * minute_volatility
        # A random walk restarted each day, then pinned to the day's open and close (a Brownian bridge).
        walk = np.cumsum(steps)
        walk -= (walk[day_starts] - steps[day_starts])[day_of_minute]
        day_end = walk[day_starts + counts - 1][day_of_minute]
        fraction = (position + 1) / counts[day_of_minute]
        log_path = log_opens[day_of_minute] + fraction * (log_closes - log_opens)[day_of_minute]
        log_path += walk - fraction * day_end

        closes = np.exp(log_path)
        opens = np.empty_like(closes)
        opens[1:] = closes[:-1]
        opens[day_starts] = np.exp(log_opens)
        reach = minute_volatility * _WICK_SHARE
        highs = np.maximum(opens, closes) * np.exp(reach * np.abs(normals(self._keys["high"], counters)))
        lows = np.minimum(opens, closes) * np.exp(-reach * np.abs(normals(self._keys["low"], counters)))
        timestamps = session_opens[day_of_minute] + position * 60
        return timestamps, np.stack([opens, highs, lows, closes])
