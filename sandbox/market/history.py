"""Historical candles of any instrument, built from its underlying's minute bars.

The underlying's bars (synthetic past, then the live tape) are valued minute by minute into the
instrument (a future by carry, an option by Black-76 with INDIAVIX at that minute), given volume
and open interest, put on the tick grid and folded into the asked interval. Because the live tape's
last bar closes at the current price and is valued at the same instant as a quote, the last candle
closes at the instrument's live price.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from sandbox.market.activity import cumulative_share, daily_volume, minute_factor, open_interest
from sandbox.market.book import decimals_of
from sandbox.market.calendar import ExchangeCalendar, ist_date
from sandbox.market.intervals import aggregate
from sandbox.market.pricing import (
    VIX_NAME,
    expiry_epoch,
    fair_value,
    forward,
    standardised_moneyness,
    years_left,
)
from sandbox.market.types import Candle, Instrument, InstrumentType
from sandbox.market.universe import SESSION_EXCHANGE, UNDERLYINGS

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_LISTING_DAYS = 100  # contracts are listed about three months before they expire


class UnderlyingBars(Protocol):
    """Where the minute bars of underlyings come from (the simulator)."""

    def minute_bars(
        self, name: str, first_day: date, last_day: date
    ) -> tuple[NDArray[np.int64], NDArray]: ...

    def last_active(self, name: str) -> float: ...


def candles(
    instrument: Instrument,
    interval: str,
    first_day: date,
    last_day: date,
    source: UnderlyingBars,
    calendar: ExchangeCalendar,
) -> list[Candle]:
    """Candles of `instrument` opening on first_day..last_day (IST), ascending."""
    if instrument.expiry is not None:
        last_day = min(last_day, instrument.expiry)
        # Bars start when the contract would have been listed, but a listed contract always shows its
        # recent sessions (ten days back always reaches a trading day, whatever the holidays).
        listed = min(instrument.expiry - timedelta(days=_LISTING_DAYS), last_day - timedelta(days=10))
        first_day = max(first_day, listed)
    if first_day > last_day:
        return []
    name = instrument.name
    timestamps, ohlc = source.minute_bars(name, first_day, last_day)
    # Each bar is valued at its close, except the bar still forming, valued now (as a quote is).
    moments = np.minimum(timestamps + 60, source.last_active(name)).astype(float)
    if timestamps.size == 0:
        return []
    volume, oi = _activity(instrument, timestamps, ohlc[3], moments, calendar)
    if instrument.is_derivative:
        ohlc = _valued(instrument, timestamps, ohlc, moments, source)
    ohlc = _on_grid(ohlc, instrument.tick_size)
    stamps, folded, volumes, interests = aggregate(
        timestamps, ohlc, volume, oi, interval, SESSION_EXCHANGE[name]
    )
    places = decimals_of(instrument.tick_size)
    rows = np.round(folded, places).T.tolist()
    return [
        Candle(int(stamp), *row, int(amount), int(interest))
        for stamp, row, amount, interest in zip(
            stamps.tolist(), rows, volumes.tolist(), interests.tolist(), strict=True
        )
    ]


def _valued(
    instrument: Instrument,
    timestamps: NDArray[np.int64],
    ohlc: NDArray,
    moments: NDArray,
    source: UnderlyingBars,
) -> NDArray:
    """The underlying's bars turned into the derivative's own prices."""
    vix = UNDERLYINGS[VIX_NAME].price
    if instrument.is_option and UNDERLYINGS[instrument.name].spot_exchange is not None and timestamps.size:
        first, last = ist_date(float(timestamps[0])), ist_date(float(timestamps[-1]))
        vix_stamps, vix_ohlc = source.minute_bars(VIX_NAME, first, last)
        if vix_stamps.size:
            vix = np.interp(timestamps, vix_stamps, vix_ohlc[3])
    values = np.stack([fair_value(instrument, row, moments, vix) for row in ohlc])
    if instrument.instrument_type is InstrumentType.PUT:
        # A put is worth most when the underlying is lowest.
        values[[1, 2]] = values[[2, 1]]
    values[1] = np.maximum(values[1], np.maximum(values[0], values[3]))
    values[2] = np.minimum(values[2], np.minimum(values[0], values[3]))
    return values


def _activity(
    instrument: Instrument,
    timestamps: NDArray[np.int64],
    closes: NDArray,
    moments: NDArray,
    calendar: ExchangeCalendar,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    if instrument.instrument_type is InstrumentType.INDEX:
        zeros = np.zeros(timestamps.size, dtype=np.int64)
        return zeros, zeros
    days = (timestamps + 19800) // 86400  # IST day numbers
    unique_days, first_of_day, per_day = np.unique(days, return_index=True, return_counts=True)
    exchange = SESSION_EXCHANGE[instrument.name]
    windows = [
        calendar.day_window(exchange, date.fromordinal(_EPOCH_ORDINAL + int(day))) for day in unique_days
    ]
    opens = np.repeat([window[0] for window in windows], per_day)
    closes_at = np.repeat([window[1] for window in windows], per_day)
    years = np.zeros(timestamps.size)
    if instrument.expiry is not None:
        years = years_left(expiry_epoch(instrument.expiry, instrument.exchange), moments)
    underlying_forward = forward(instrument, closes, moments) if instrument.is_option else closes
    moneyness = standardised_moneyness(instrument, underlying_forward, years)
    share = cumulative_share(timestamps + 60, opens, closes_at) - cumulative_share(
        timestamps, opens, closes_at
    )
    expected = (
        daily_volume(instrument, years, moneyness) * share * minute_factor(instrument.symbol, timestamps)
    )
    volume = np.round(expected / instrument.lot_size).astype(np.int64) * instrument.lot_size
    interest = np.zeros(timestamps.size, dtype=np.int64)
    if instrument.is_derivative:
        # Open interest is struck once a day, from the day's first bar.
        amounts = [
            open_interest(instrument, float(years[start]), float(moneyness[start]), _EPOCH_ORDINAL + int(day))
            for day, start in zip(unique_days, first_of_day, strict=True)
        ]
        interest = np.repeat(np.array(amounts, dtype=np.int64), per_day)
    return volume, interest


def _on_grid(ohlc: NDArray, tick: float) -> NDArray:
    # Never below one tick: an option that is all but worthless still trades at the minimum.
    return np.maximum(np.round(ohlc / tick), 1.0) * tick


def closing_open_interest(
    instruments: list[Instrument], day: date, source: UnderlyingBars
) -> list[int | None]:
    """The open interest each derivative carried out of `day`: its daily candle's `oi`, for many at once.

    Open interest is struck from the day's first bar (as `candles` strikes it), so one read of each
    underlying's bars serves every contract written on it. None where a contract has no bar that day.
    """
    firsts: dict[str, tuple[int, float, float] | None] = {}
    found: list[int | None] = []
    for instrument in instruments:
        listed = instrument.expiry is None or day <= instrument.expiry
        if not instrument.is_derivative or not listed:
            found.append(None)
            continue
        if instrument.name not in firsts:
            stamps, ohlc = source.minute_bars(instrument.name, day, day)
            firsts[instrument.name] = (
                (int(stamps[0]), float(ohlc[3][0]), min(float(stamps[0] + 60), source.last_active(instrument.name)))
                if stamps.size
                else None
            )
        first = firsts[instrument.name]
        if first is None:
            found.append(None)
            continue
        stamp, close, moment = first
        years = 0.0
        if instrument.expiry is not None:
            years = float(years_left(expiry_epoch(instrument.expiry, instrument.exchange), moment))
        underlying_forward = forward(instrument, close, moment) if instrument.is_option else close
        moneyness = float(standardised_moneyness(instrument, underlying_forward, years))
        found.append(open_interest(instrument, years, moneyness, _EPOCH_ORDINAL + (stamp + 19800) // 86400))
    return found
