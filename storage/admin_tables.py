"""Tables of the admin data: market holidays, session timings and freeze quantities.

The migration seeds them from the built-in lists once; from then on the database is the source the
market calendar, the sandbox and order validation read, edited from the console and the admin API.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlmodel import Field, SQLModel

from storage.models import utcnow


class MarketHoliday(SQLModel, table=True):
    """A trading holiday of the equity and currency exchanges; MCX and NCO may still trade the evening."""

    __tablename__ = "market_holidays"

    day: date = Field(primary_key=True)
    description: str = Field(max_length=200)
    commodity_evening: bool = False  # MCX and NCO open at 17:00 that day instead of staying shut
    updated_at: datetime = Field(default_factory=utcnow)


class SessionTiming(SQLModel, table=True):
    """An exchange's regular IST session; `dst_end_time` is the later close while New York observes DST."""

    __tablename__ = "session_timings"

    exchange: str = Field(primary_key=True, max_length=16)
    start_time: time
    end_time: time
    dst_end_time: time | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class FreezeQuantity(SQLModel, table=True):
    """The largest quantity the exchange accepts in one order of an underlying (`symbol`) on `exchange`."""

    __tablename__ = "freeze_quantities"

    exchange: str = Field(primary_key=True, max_length=16)
    symbol: str = Field(primary_key=True, max_length=64)
    freeze_qty: int
    updated_at: datetime = Field(default_factory=utcnow)
