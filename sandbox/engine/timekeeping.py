"""Time in the sandbox: IST trading dates, the next trading day, and the UTC form stored in tables.

The engine never reads the wall clock itself; it asks the injected clock, which returns aware datetimes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def in_ist(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"the sandbox needs timezone-aware times; got the naive {moment.isoformat()}")
    return moment.astimezone(IST)


def trading_date(moment: datetime) -> date:
    return in_ist(moment).date()


def next_trading_day(day: date, is_trading_day: Callable[[date], bool]) -> date:
    candidate = day + timedelta(days=1)
    # A year of holidays in a row would be a broken calendar; stop rather than loop forever.
    for _ in range(366):
        if is_trading_day(candidate):
            return candidate
        candidate += timedelta(days=1)
    raise ValueError(f"the trading calendar has no trading day in the year after {day.isoformat()}")


def to_storage(moment: datetime) -> datetime:
    return in_ist(moment).astimezone(UTC)


def from_storage(stored: datetime) -> datetime:
    # SQLite keeps no offset; sqlmodel's UTCDateTime hands times back as UTC either way.
    return stored.replace(tzinfo=UTC) if stored.tzinfo is None else stored.astimezone(UTC)


def wire_timestamp(stored: datetime) -> str:
    """Format a stored time as OpenAlgo's sandbox does: IST, `YYYY-MM-DD HH:MM:SS`."""
    return from_storage(stored).astimezone(IST).strftime("%Y-%m-%d %H:%M:%S")


def ist_day_start(day: date) -> datetime:
    """The stored (UTC) form of midnight IST at the start of `day`."""
    return to_storage(datetime(day.year, day.month, day.day, tzinfo=IST))
