"""The live price process: every underlying's log price, stepped together by one seeded generator.

Each underlying follows a mean-reverting geometric walk (reversion is negligible for stocks over a
session and strong for INDIAVIX) driven by one common market shock plus its own, so indices and
stocks move together and INDIAVIX against them. A small, fast Ornstein-Uhlenbeck jitter on top
gives the tick-to-tick wiggle of a real tape. Time runs in trading seconds: a year is 252 sessions
of the underlying's exchange, so a minute of simulation moves prices as much as a real minute.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from sandbox.market.universe import SESSION_EXCHANGE, UNDERLYINGS

_SESSION_SECONDS = {"CDS": 8 * 3600.0, "MCX": 14.7 * 3600.0}
_EQUITY_SESSION_SECONDS = 6.25 * 3600.0
_JITTER_SECONDS = 90.0  # the jitter forgets itself within a couple of minutes
_JITTER_SHARE = 0.0015  # jitter size relative to the annual volatility
_START_SPREAD = 0.02  # how far apart two seeds start, as a fraction of the reference price


def trading_seconds_per_year(name: str) -> float:
    """252 sessions of the exchange whose hours move `name`."""
    return 252.0 * _SESSION_SECONDS.get(SESSION_EXCHANGE[name], _EQUITY_SESSION_SECONDS)


class UnderlyingProcess:
    """Log-price state of a set of underlyings; `prices()` is cheap and `step()` is vectorised."""

    def __init__(self, seed: int, names: Sequence[str] = tuple(UNDERLYINGS)) -> None:
        self.names = tuple(names)
        self.index = {name: position for position, name in enumerate(self.names)}
        rows = [UNDERLYINGS[name] for name in self.names]
        self.volatility = np.array([row.volatility for row in rows])
        self._beta = np.array([row.market_beta for row in rows])
        self._reversion = np.array([max(row.mean_reversion, 1e-6) for row in rows])
        self._mean = np.log([row.price for row in rows])
        self._seconds_per_year = np.array([trading_seconds_per_year(name) for name in self.names])
        self._random = np.random.default_rng(seed)
        self._level = self._mean + _START_SPREAD * self._random.standard_normal(len(self.names))
        self._jitter = np.zeros(len(self.names))

    def prices(self) -> NDArray[np.float64]:
        return np.exp(self._level + self._jitter)

    def price(self, name: str) -> float:
        position = self.index[name]
        return float(np.exp(self._level[position] + self._jitter[position]))

    def step(self, seconds: float, active: NDArray[np.bool_]) -> None:
        """Move every active underlying by `seconds` of trading time; inactive ones stay put.

        The same number of draws is taken whatever the mask, so runs stay reproducible.
        """
        count = len(self.names)
        market = self._random.standard_normal()
        own = self._random.standard_normal(count)
        wiggle = self._random.standard_normal(count)
        if seconds <= 0:
            return
        shock = self._beta * market + np.sqrt(1.0 - self._beta * self._beta) * own
        years = np.where(active, seconds / self._seconds_per_year, 0.0)
        # Exact Ornstein-Uhlenbeck transition, so a long step has the right distribution.
        decay = np.exp(-self._reversion * years)
        spread = self.volatility * np.sqrt((1.0 - decay * decay) / (2.0 * self._reversion))
        self._level = self._mean + (self._level - self._mean) * decay + spread * shock
        fade = np.exp(-np.where(active, seconds, 0.0) / _JITTER_SECONDS)
        size = _JITTER_SHARE * self.volatility
        self._jitter = self._jitter * fade + size * np.sqrt(1.0 - fade * fade) * wiggle
