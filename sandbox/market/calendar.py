"""Exchange calendar: IST trading sessions, weekends and the published NSE holiday lists.

Answers the calendar questions of the offline market and of OpenAlgo's `market/holidays` and
`market/timings` endpoints. In `continuous` mode the market treats every exchange as open at every
hour, so a newcomer trading at midnight still sees prices move and orders fill; the session facts
(`is_session`, `holidays`, `timings`) stay true to the exchanges either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")
_NEW_YORK = ZoneInfo("America/New_York")

EQUITY_EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "NSE_INDEX", "BSE_INDEX")
CURRENCY_EXCHANGES = ("CDS", "BCD")
COMMODITY_EXCHANGES = ("MCX", "NCO")
# The exchanges OpenAlgo lists in market/timings, in its order (CRYPTO is not simulated here).
TIMING_EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "MCX", "BCD", "CDS", "NCO")

_SESSIONS = {
    **{exchange: (time(9, 15), time(15, 30)) for exchange in EQUITY_EXCHANGES},
    **{exchange: (time(9, 0), time(17, 0)) for exchange in CURRENCY_EXCHANGES},
    **{exchange: (time(9, 0), time(23, 30)) for exchange in COMMODITY_EXCHANGES},
}
_COMMODITY_EVENING_START = time(17, 0)


@dataclass(frozen=True, slots=True)
class Holiday:
    day: date
    description: str
    commodity_evening: bool  # MCX skips its morning but trades its evening session


# NSE trading holidays as published on nseindia.com; `True` marks the days MCX still trades 17:00-close.
_PUBLISHED = {
    date(2025, 2, 26): ("Mahashivratri", True),
    date(2025, 3, 14): ("Holi", True),
    date(2025, 3, 31): ("Id-Ul-Fitr (Ramadan Eid)", True),
    date(2025, 4, 10): ("Shri Mahavir Jayanti", True),
    date(2025, 4, 14): ("Dr. Baba Saheb Ambedkar Jayanti", True),
    date(2025, 4, 18): ("Good Friday", False),
    date(2025, 5, 1): ("Maharashtra Day", True),
    date(2025, 8, 15): ("Independence Day / Parsi New Year", False),
    date(2025, 8, 27): ("Shri Ganesh Chaturthi", True),
    date(2025, 10, 2): ("Mahatma Gandhi Jayanti / Dussehra", False),
    date(2025, 10, 21): ("Diwali Laxmi Pujan", True),
    date(2025, 10, 22): ("Balipratipada", True),
    date(2025, 11, 5): ("Prakash Gurpurb Sri Guru Nanak Dev", True),
    date(2025, 12, 25): ("Christmas", False),
    date(2026, 1, 15): ("Municipal Corporation Elections in Maharashtra", True),
    date(2026, 1, 26): ("Republic Day", False),
    date(2026, 3, 3): ("Holi", True),
    date(2026, 3, 26): ("Shri Ram Navami", True),
    date(2026, 3, 31): ("Shri Mahavir Jayanti", True),
    date(2026, 4, 3): ("Good Friday", False),
    date(2026, 4, 14): ("Dr. Baba Saheb Ambedkar Jayanti", True),
    date(2026, 5, 1): ("Maharashtra Day", True),
    date(2026, 5, 28): ("Bakri Id", True),
    date(2026, 6, 26): ("Muharram", True),
    date(2026, 9, 14): ("Ganesh Chaturthi", True),
    date(2026, 10, 2): ("Mahatma Gandhi Jayanti", False),
    date(2026, 10, 20): ("Dussehra", True),
    date(2026, 11, 10): ("Diwali Balipratipada", True),
    date(2026, 11, 24): ("Prakash Gurpurb Sri Guru Nanak Dev", True),
    date(2026, 12, 25): ("Christmas", False),
}
_PUBLISHED_YEARS = frozenset(day.year for day in _PUBLISHED)
# For years without a published list, the fixed-date national holidays are the safest guess.
_FIXED_NATIONAL = ((1, 26, "Republic Day"), (8, 15, "Independence Day"), (10, 2, "Mahatma Gandhi Jayanti"))


def _holidays_of(year: int) -> dict[date, Holiday]:
    if year in _PUBLISHED_YEARS:
        return {
            day: Holiday(day, text, evening)
            for day, (text, evening) in _PUBLISHED.items()
            if day.year == year
        }
    fixed = [(date(year, month, day), text, False) for month, day, text in _FIXED_NATIONAL]
    fixed.append((date(year, 12, 25), "Christmas", False))
    return {day: Holiday(day, text, evening) for day, text, evening in fixed if day.weekday() < 5}


def ist_date(epoch_seconds: float) -> date:
    """The IST calendar date of an epoch instant."""
    return datetime.fromtimestamp(epoch_seconds, IST).date()


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class ExchangeCalendar:
    """Trading days and sessions of the Indian exchanges, in IST."""

    def __init__(self, continuous: bool = False) -> None:
        self.continuous = continuous
        self._by_year: dict[int, dict[date, Holiday]] = {}

    def holiday(self, day: date) -> Holiday | None:
        if day.year not in self._by_year:
            self._by_year[day.year] = _holidays_of(day.year)
        return self._by_year[day.year].get(day)

    def is_trading_day(self, day: date, exchange: str = "NSE") -> bool:
        """Whether `exchange` holds any session on `day` (MCX trades evenings on most holidays)."""
        return self.session(exchange, day) is not None

    def session(self, exchange: str, day: date) -> tuple[datetime, datetime] | None:
        """The IST open and close of `exchange` on `day`, or None when it does not trade."""
        if day.weekday() >= 5 or exchange not in _SESSIONS:
            return None
        opens, closes = _SESSIONS[exchange]
        holiday = self.holiday(day)
        if exchange in COMMODITY_EXCHANGES:
            if holiday is not None and not holiday.commodity_evening:
                return None
            if holiday is not None:
                opens = _COMMODITY_EVENING_START
            closes = self._commodity_close(day)
        elif holiday is not None:
            return None
        return datetime.combine(day, opens, IST), datetime.combine(day, closes, IST)

    @staticmethod
    def _commodity_close(day: date) -> time:
        # MCX follows the US: it trades until 23:55 while New York observes daylight saving.
        noon_in_new_york = datetime.combine(day, time(12), _NEW_YORK)
        return time(23, 55) if noon_in_new_york.dst() else time(23, 30)

    def day_window(self, exchange: str, day: date) -> tuple[float, float]:
        """Epoch bounds over which a day's trading is spread: its session, else the whole IST day.

        Continuous mode trades around the clock, so there the whole day is the window too.
        """
        bounds = None if self.continuous else self.session(exchange, day)
        if bounds is None:
            bounds = (
                datetime.combine(day, time(0), IST),
                datetime.combine(day + timedelta(days=1), time(0), IST),
            )
        return bounds[0].timestamp(), bounds[1].timestamp()

    def is_session(self, exchange: str, moment: datetime) -> bool:
        """Whether `exchange` is really in session at `moment` (ignores continuous mode)."""
        local = moment.astimezone(IST)
        bounds = self.session(exchange, local.date())
        return bounds is not None and bounds[0] <= local < bounds[1]

    def is_open(self, exchange: str, moment: datetime) -> bool:
        """Whether the simulated market trades `exchange` at `moment`."""
        return self.continuous or self.is_session(exchange, moment)

    def previous_trading_day(self, day: date, exchange: str = "NSE") -> date:
        """The last trading day strictly before `day`."""
        day -= timedelta(days=1)
        while not self.is_trading_day(day, exchange):
            day -= timedelta(days=1)
        return day

    def on_or_before(self, day: date, exchange: str = "NSE") -> date:
        """`day` when it trades, otherwise the trading day before it (how expiries shift)."""
        return day if self.is_trading_day(day, exchange) else self.previous_trading_day(day, exchange)

    def trading_days(self, start: date, end: date, exchange: str = "NSE") -> list[date]:
        """Every trading day of `exchange` from `start` to `end`, both included."""
        count = (end - start).days + 1
        days = (start + timedelta(days=offset) for offset in range(max(count, 0)))
        return [day for day in days if self.is_trading_day(day, exchange)]

    def holidays(self, year: int) -> list[dict]:
        """The year's trading holidays, shaped like OpenAlgo's market/holidays `data`."""
        rows = []
        for holiday in sorted(self._holidays_for_year(year), key=lambda row: row.day):
            open_exchanges = []
            closed = ["NSE", "BSE", "NFO", "BFO", "CDS", "BCD"]
            for exchange in COMMODITY_EXCHANGES:
                bounds = self.session(exchange, holiday.day)
                if bounds is None:
                    closed.append(exchange)
                else:
                    open_exchanges.append(
                        {
                            "exchange": exchange,
                            "start_time": _epoch_ms(bounds[0]),
                            "end_time": _epoch_ms(bounds[1]),
                        }
                    )
            rows.append(
                {
                    "date": holiday.day.isoformat(),
                    "description": holiday.description,
                    "holiday_type": "TRADING_HOLIDAY",
                    "closed_exchanges": closed,
                    "open_exchanges": open_exchanges,
                }
            )
        return rows

    def _holidays_for_year(self, year: int) -> list[Holiday]:
        if year not in self._by_year:
            self._by_year[year] = _holidays_of(year)
        return list(self._by_year[year].values())

    def timings(self, day: date) -> list[dict]:
        """Sessions of every open exchange on `day`, shaped like OpenAlgo's market/timings `data`."""
        rows = []
        for exchange in TIMING_EXCHANGES:
            bounds = self.session(exchange, day)
            if bounds is not None:
                rows.append(
                    {
                        "exchange": exchange,
                        "start_time": _epoch_ms(bounds[0]),
                        "end_time": _epoch_ms(bounds[1]),
                    }
                )
        return rows
