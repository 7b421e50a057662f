"""Trading activity: how much volume an instrument trades and how much open interest it carries.

Volume follows the U-shaped intraday profile of Indian markets (busy at the open and into the
close) and, for derivatives, decays with distance from the money and with time to expiry, so the
near weekly at-the-money strike is the busiest contract, as it is on NSE. Everything is a pure
function of the instrument, the moment and seeded draws, so nothing is stored per contract.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sandbox.market.noise import normals, stream_key
from sandbox.market.types import Instrument, InstrumentType
from sandbox.market.universe import UNDERLYINGS

# Daily lots traded in the front future, and at the money in the nearest option expiry.
_FUTURE_LOTS = {
    "NIFTY": 90_000,
    "BANKNIFTY": 40_000,
    "FINNIFTY": 4_000,
    "SENSEX": 15_000,
    "CRUDEOIL": 40_000,
    "GOLD": 8_000,
    "USDINR": 900_000,
}
_OPTION_LOTS = {
    "NIFTY": 300_000,
    "BANKNIFTY": 80_000,
    "FINNIFTY": 8_000,
    "SENSEX": 150_000,
    "CRUDEOIL": 30_000,
    "GOLD": 2_000,
    "USDINR": 50_000,
}


def cumulative_share(moments: ArrayLike, opens: ArrayLike, closes: ArrayLike) -> NDArray[np.float64]:
    """Share of a day's volume traded by each moment, for a day running from `opens` to `closes`.

    The intraday weight 1 + 3(2u - 1)^2 is four times heavier at the bell than at midday; this is
    its integral, scaled to run from 0 to 1.
    """
    elapsed = (np.asarray(moments, dtype=float) - opens) / (np.asarray(closes, dtype=float) - opens)
    share = np.clip(elapsed, 0.0, 1.0)
    return (share + ((2.0 * share - 1.0) ** 3 + 1.0) / 2.0) / 2.0


def daily_volume(instrument: Instrument, years: ArrayLike, moneyness: ArrayLike = 0.0) -> NDArray[np.float64]:
    """Units a typical day trades; `moneyness` is ln(K/F) in standard deviations, for options."""
    years = np.asarray(years, dtype=float)
    if instrument.instrument_type is InstrumentType.EQUITY:
        return np.full(years.shape, float(UNDERLYINGS[instrument.name].daily_volume))
    if instrument.instrument_type is InstrumentType.FUTURE:
        lots = _FUTURE_LOTS.get(instrument.name, 1_000) * np.exp(-10.0 * years)
        return lots * instrument.lot_size
    if instrument.is_option:
        distance = np.asarray(moneyness, dtype=float)
        lots = _OPTION_LOTS.get(instrument.name, 1_000) * np.exp(-0.5 * distance * distance - 25.0 * years)
        return lots * instrument.lot_size
    return np.zeros(years.shape)


def open_interest(instrument: Instrument, years: float, moneyness: float, day_ordinal: int) -> int:
    """Open contracts in units (a whole number of lots), drifting a little from day to day."""
    if instrument.instrument_type is InstrumentType.FUTURE:
        lots = 3.0 * _FUTURE_LOTS.get(instrument.name, 1_000) * np.exp(-6.0 * years)
    elif instrument.is_option:
        # Open interest spreads wider across strikes than the day's volume does.
        spread = moneyness / 1.6
        lots = 1.5 * _OPTION_LOTS.get(instrument.name, 1_000) * np.exp(-0.5 * spread * spread - 8.0 * years)
    else:
        return 0
    drift = 1.0 + 0.05 * float(normals(stream_key(instrument.symbol, "oi"), [day_ordinal])[0])
    return round(float(lots) * drift) * instrument.lot_size


@lru_cache(maxsize=8192)  # every quote asks it; a few thousand instruments a day
def day_factor(symbol: str, day_ordinal: int) -> float:
    """How busy a given day is for an instrument compared with a typical day (mean one)."""
    return float(np.exp(0.3 * normals(stream_key(symbol, "day"), [day_ordinal])[0] - 0.045))


def minute_factor(symbol: str, minutes: NDArray[np.int64]) -> NDArray[np.float64]:
    """Minute-to-minute scatter of volume around the intraday profile (mean one)."""
    return np.exp(0.5 * normals(stream_key(symbol, "minute"), minutes // 60) - 0.125)
