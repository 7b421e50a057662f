"""Exchange calendar: IST trading sessions, weekends and the published NSE holiday lists.

Answers the calendar questions of the offline market and of OpenAlgo's `market/holidays` and
`market/timings` endpoints. In `continuous` mode the market treats every exchange as open at every
hour, so a newcomer trading at midnight still sees prices move and orders fill; the session facts
(`is_session`, `holidays`, `timings`) stay true to the exchanges either way.
"""

from __future__ import annotations

from collections.abc import Iterable
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


@dataclass(frozen=True, slots=True)
class SessionHours:
    """An exchange's regular IST session; `dst_closes` is the later close while New York observes DST."""

    exchange: str
    opens: time
    closes: time
    dst_closes: time | None = None


# MCX follows the US: it trades until 23:55 while New York observes daylight saving.
BUILTIN_SESSIONS: dict[str, SessionHours] = {
    **{exchange: SessionHours(exchange, time(9, 15), time(15, 30)) for exchange in EQUITY_EXCHANGES},
    **{exchange: SessionHours(exchange, time(9, 0), time(17, 0)) for exchange in CURRENCY_EXCHANGES},
    **{exchange: SessionHours(exchange, time(9, 0), time(23, 30), time(23, 55)) for exchange in COMMODITY_EXCHANGES},
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
# The built-in list: what the gateway's database is seeded with, and the calendar's answer without one.
BUILTIN_HOLIDAYS: tuple[Holiday, ...] = tuple(
    Holiday(day, text, evening) for day, (text, evening) in sorted(_PUBLISHED.items())
)
# For years without a published list, the fixed-date national holidays are the safest guess.
_FIXED_NATIONAL = ((1, 26, "Republic Day"), (8, 15, "Independence Day"), (10, 2, "Mahatma Gandhi Jayanti"))


def _guessed_holidays(year: int) -> dict[date, Holiday]:
    fixed = [(date(year, month, day), text, False) for month, day, text in _FIXED_NATIONAL]
    fixed.append((date(year, 12, 25), "Christmas", False))
    return {day: Holiday(day, text, evening) for day, text, evening in fixed if day.weekday() < 5}


def ist_date(epoch_seconds: float) -> date:
    """The IST calendar date of an epoch instant."""
    return datetime.fromtimestamp(epoch_seconds, IST).date()


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class ExchangeCalendar:
    """Trading days and sessions of the Indian exchanges, in IST.

    The holidays and sessions are the built-in lists until `load` replaces them (the gateway loads
    its database's). A year with at least one listed holiday answers that list; a year with none
    answers the fixed-date national holidays, the safest guess before the exchanges publish.
    """

    def __init__(self, continuous: bool = False) -> None:
        self.continuous = continuous
        self._by_year: dict[int, dict[date, Holiday]] = {}
        self._sessions: dict[str, SessionHours] = dict(BUILTIN_SESSIONS)
        self.load(BUILTIN_HOLIDAYS, ())

    def load(self, holidays: Iterable[Holiday], sessions: Iterable[SessionHours]) -> None:
        """Replace the holiday list and the session hours; exchanges absent from `sessions` keep theirs."""
        listed: dict[int, dict[date, Holiday]] = {}
        for holiday in holidays:
            listed.setdefault(holiday.day.year, {})[holiday.day] = holiday
        merged = dict(self._sessions)
        merged.update({hours.exchange: hours for hours in sessions})
        # One assignment each, so a reader on another thread sees the old lists or the new, never half.
        self._listed, self._sessions, self._by_year = listed, merged, {}

    def _holidays_of(self, year: int) -> dict[date, Holiday]:
        if year not in self._by_year:
            self._by_year[year] = self._listed.get(year) or _guessed_holidays(year)
        return self._by_year[year]

    def holiday(self, day: date) -> Holiday | None:
        return self._holidays_of(day.year).get(day)

    def closure(self, exchange: str, day: date) -> str | None:
        """Why `exchange` holds no session on `day` when a holiday is the cause, else None."""
        holiday = self.holiday(day)
        if holiday is None or exchange not in self._sessions or self.session(exchange, day) is not None:
            return None
        return f"{exchange} is closed on {day.isoformat()} for {holiday.description} (a trading holiday)"

    def session_hours(self) -> list[SessionHours]:
        """The regular session of every exchange, in the calendar's exchange order."""
        return list(self._sessions.values())

    def is_trading_day(self, day: date, exchange: str = "NSE") -> bool:
        """Whether `exchange` holds any session on `day` (MCX trades evenings on most holidays)."""
        return self.session(exchange, day) is not None

    def session(self, exchange: str, day: date) -> tuple[datetime, datetime] | None:
        """The IST open and close of `exchange` on `day`, or None when it does not trade."""
        hours = self._sessions.get(exchange)
        if day.weekday() >= 5 or hours is None:
            return None
        opens, closes = hours.opens, hours.closes
        holiday = self.holiday(day)
        if exchange in COMMODITY_EXCHANGES:
            if holiday is not None and not holiday.commodity_evening:
                return None
            if holiday is not None:
                opens = max(opens, _COMMODITY_EVENING_START)
        elif holiday is not None:
            return None
        if hours.dst_closes is not None and datetime.combine(day, time(12), _NEW_YORK).dst():
            closes = hours.dst_closes
        return datetime.combine(day, opens, IST), datetime.combine(day, closes, IST)

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
        return list(self._holidays_of(year).values())

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
