"""The market-calendar answers of OpenAlgo's `market/holidays` and `market/timings`, from the market's calendar.

Dates are IST calendar days and times epoch milliseconds. The offline market does not simulate
CRYPTO, so a weekend answers an empty list where OpenAlgo would list CRYPTO alone.
"""

from __future__ import annotations

import re
from datetime import date

from generated.errors import ValidationFailed
from sandbox.market import OfflineMarket

FIRST_DAY, LAST_DAY = date(2020, 1, 1), date(2050, 12, 31)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def holidays(market: OfflineMarket, year: int | None = None) -> dict:
    """The trading holidays of `year` (the market's current year when None), in date order."""
    year = year or market.now().year
    return {"status": "success", "year": year, "timezone": "Asia/Kolkata", "data": market.calendar.holidays(year)}


def parse_day(text: str) -> date:
    """A `YYYY-MM-DD` day within the range OpenAlgo accepts, else a 400 naming the `date` field."""
    try:
        day = date.fromisoformat(text.strip()) if _ISO_DAY.match(text.strip()) else None
    except ValueError:
        day = None
    if day is None:
        raise ValidationFailed(
            "Invalid date format. Use YYYY-MM-DD", errors={"date": ["Invalid date format. Use YYYY-MM-DD"]}
        )
    if not FIRST_DAY <= day <= LAST_DAY:
        message = f"Date must be between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}"
        raise ValidationFailed(message, errors={"date": [message]})
    return day


def timings(market: OfflineMarket, text: str) -> dict:
    """Sessions of every exchange open on the day `text` names; empty on weekends and full holidays."""
    return {"status": "success", "data": market.calendar.timings(parse_day(text))}
