"""The visible order book: from a fair value to a quote and five levels of depth on the tick grid.

Prices are computed in whole ticks and only turned back into rupees at the end, so every price
sits exactly on the instrument's grid and bid <= last <= ask always holds. Indices are not traded,
so their quotes carry no bid or ask and their depth is padded with zero levels, as brokers send.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from sandbox.market.noise import stream_key, uniforms
from sandbox.market.types import Depth, DepthLevel, Instrument, InstrumentType, Quote

_LEVELS = 5
# Quoted spread as a share of price, by instrument type: stocks and futures are tight, options wider.
_SPREAD_SHARE = {InstrumentType.EQUITY: 0.00005, InstrumentType.FUTURE: 0.00002}
_OPTION_SPREAD_SHARE = 0.0008
_EMPTY_SIDE = tuple(DepthLevel(0.0, 0, 0) for _ in range(_LEVELS))


@cache
def decimals_of(tick: float) -> int:
    """Decimal places a price on this tick grid needs (0.05 -> 2, 0.0025 -> 4, 1.0 -> 0)."""
    return len(f"{tick:.8f}".rstrip("0").split(".")[1])


def on_grid(value: float, tick: float) -> float:
    """`value` rounded to the nearest tick, without binary noise (0.1 + 0.2 style)."""
    return round(round(value / tick) * tick, decimals_of(tick))


@dataclass(frozen=True, slots=True)
class DayStats:
    """The trading day so far, in rupees."""

    open: float
    high: float
    low: float
    prev_close: float


def build_quote(
    instrument: Instrument, fair: float, day: DayStats, volume: int, oi: int, moment: float
) -> Quote:
    tick = instrument.tick_size
    bid, last, ask = touch(instrument, fair)
    high = max(on_grid(day.high, tick), last)
    low = min(on_grid(day.low, tick), last)
    opening = min(max(on_grid(day.open, tick), low), high)
    draw = float(uniforms(stream_key(instrument.symbol, "last"), [int(moment)])[0])
    is_index = instrument.instrument_type is InstrumentType.INDEX
    last_quantity = 0 if is_index else instrument.lot_size * (1 + int(4 * draw))
    return Quote(
        exchange=instrument.exchange,
        symbol=instrument.symbol,
        ltp=last,
        bid=bid,
        ask=ask,
        open=opening,
        high=high,
        low=low,
        prev_close=on_grid(day.prev_close, tick),
        volume=volume,
        oi=oi,
        timestamp=moment,
        last_quantity=last_quantity,
        average_price=on_grid((opening + high + low + 2.0 * last) / 5.0, tick) if volume else 0.0,
    )


def touch(instrument: Instrument, fair: float) -> tuple[float, float, float]:
    """(bid, last, ask) on the tick grid around a fair value; an index has a last price only."""
    tick = instrument.tick_size
    if instrument.instrument_type is InstrumentType.INDEX:
        return 0.0, on_grid(fair, tick), 0.0
    places = decimals_of(tick)
    bid_ticks, last_ticks, ask_ticks = _inside_ticks(instrument, fair)
    return round(bid_ticks * tick, places), round(last_ticks * tick, places), round(ask_ticks * tick, places)


def _inside_ticks(instrument: Instrument, fair: float) -> tuple[int, int, int]:
    tick = instrument.tick_size
    share = _SPREAD_SHARE.get(instrument.instrument_type, _OPTION_SPREAD_SHARE)
    half = max(1, round(fair * share / tick)) / 2.0
    in_ticks = max(fair / tick, 1.0)  # nothing trades below one tick
    bid = max(math.floor(in_ticks - half + 1e-9), 1)
    ask = max(math.ceil(in_ticks + half - 1e-9), bid + 1)
    last = min(max(round(in_ticks), bid), ask)
    return bid, last, ask


def build_depth(instrument: Instrument, quote: Quote, typical_size: float, moment: float) -> Depth:
    """Five levels a side, best first, starting at the quote's bid and ask."""
    if instrument.instrument_type is InstrumentType.INDEX:
        return Depth(_EMPTY_SIDE, _EMPTY_SIDE)
    tick = instrument.tick_size
    places = decimals_of(tick)
    lot = instrument.lot_size
    draws = uniforms(stream_key(instrument.symbol, "depth"), int(moment) * 64 + np.arange(4 * _LEVELS))
    # Most levels sit one tick apart; now and then a level is missing and the next is two away.
    gaps = 1 + (draws[: 2 * _LEVELS] > 0.8)
    # Sizes scatter around the typical size and thicken a little away from the touch.
    deeper = 1.0 + 0.3 * (np.arange(2 * _LEVELS) % _LEVELS)
    scatter = np.exp(1.2 * (draws[2 * _LEVELS :] - 0.5))
    sizes = np.maximum(1, np.round(typical_size / lot * scatter * deeper))
    bid_ticks = round(quote.bid / tick) - np.concatenate([[0], np.cumsum(gaps[1:_LEVELS])])
    ask_ticks = round(quote.ask / tick) + np.concatenate([[0], np.cumsum(gaps[_LEVELS + 1 :])])

    def side(ticks: np.ndarray, lots: np.ndarray) -> tuple[DepthLevel, ...]:
        levels = []
        for count, size in zip(ticks, lots, strict=True):
            if count <= 0:
                levels.append(DepthLevel(0.0, 0, 0))
                continue
            orders = max(1, int(size**0.6))
            levels.append(DepthLevel(round(int(count) * tick, places), int(size) * lot, orders))
        return tuple(levels)

    return Depth(side(bid_ticks, sizes[:_LEVELS]), side(ask_ticks, sizes[_LEVELS:]))
