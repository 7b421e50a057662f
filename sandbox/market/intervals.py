"""Candle intervals and the folding of minute bars into them.

Intraday buckets are aligned to the session open (09:15 for equities, 09:00 for currency and
commodities), as brokers align them. Daily, weekly and monthly candles carry the trading date at
00:00 UTC, OpenAlgo's convention, so a client that does not convert time zones still reads the
right date.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

_IST_OFFSET = 19800  # seconds east of UTC
_DAY = 86400

INTERVAL_SECONDS = {
    "1m": 60,
    "2m": 120,
    "3m": 180,
    "5m": 300,
    "10m": 600,
    "15m": 900,
    "20m": 1200,
    "30m": 1800,
    "60m": 3600,
    "1h": 3600,
    "2h": 7200,
    "3h": 10800,
    "4h": 14400,
}
CALENDAR_INTERVALS = ("D", "W", "M")
INTERVALS: tuple[str, ...] = (*INTERVAL_SECONDS, *CALENDAR_INTERVALS)
# The grouping OpenAlgo's `intervals` endpoint answers with.
INTERVALS_BY_GROUP: dict[str, list[str]] = {
    "seconds": [],
    "minutes": [name for name in INTERVAL_SECONDS if name.endswith("m")],
    "hours": [name for name in INTERVAL_SECONDS if name.endswith("h")],
    "days": ["D"],
    "weeks": ["W"],
    "months": ["M"],
}
# The longest range one request may span, in days (as OpenAlgo's ticker clamps its ranges).
MAX_INTRADAY_DAYS = 366
MAX_CALENDAR_DAYS = 3650

_SESSION_OFFSET = {"CDS": 9 * 3600, "MCX": 9 * 3600}
_EQUITY_SESSION_OFFSET = 9 * 3600 + 15 * 60


def max_days(interval: str) -> int:
    return MAX_CALENDAR_DAYS if interval in CALENDAR_INTERVALS else MAX_INTRADAY_DAYS


def bucket_starts(timestamps: NDArray[np.int64], interval: str, exchange: str) -> NDArray[np.int64]:
    """The epoch second each bar's candle opens at, for bars opening at `timestamps`."""
    if interval not in INTERVALS:
        raise ValueError(f"unsupported interval {interval!r}; use one of {', '.join(INTERVALS)}")
    ist_days = (timestamps + _IST_OFFSET) // _DAY
    if interval in INTERVAL_SECONDS:
        size = INTERVAL_SECONDS[interval]
        anchor = ist_days * _DAY - _IST_OFFSET + _SESSION_OFFSET.get(exchange, _EQUITY_SESSION_OFFSET)
        return anchor + ((timestamps - anchor) // size) * size
    if interval == "D":
        return ist_days * _DAY
    if interval == "W":
        # 1970-01-01 was a Thursday, so day number + 3 counts from a Monday.
        return (ist_days - (ist_days + 3) % 7) * _DAY
    months = ist_days.astype("datetime64[D]").astype("datetime64[M]")
    return months.astype("datetime64[D]").astype(np.int64) * _DAY


def aggregate(
    timestamps: NDArray[np.int64],
    ohlc: NDArray[np.float64],
    volume: NDArray[np.int64],
    oi: NDArray[np.int64],
    interval: str,
    exchange: str,
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """Fold ascending minute bars into candles: first open, highest high, lowest low, last close."""
    if timestamps.size == 0:
        return timestamps, ohlc, volume, oi
    keys = bucket_starts(timestamps, interval, exchange)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], keys.size] - 1
    folded = np.stack(
        [
            ohlc[0][starts],
            np.maximum.reduceat(ohlc[1], starts),
            np.minimum.reduceat(ohlc[2], starts),
            ohlc[3][ends],
        ]
    )
    return keys[starts], folded, np.add.reduceat(volume, starts), oi[ends]
