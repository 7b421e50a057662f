"""The admin data: market holidays, session timings and freeze quantities, kept in the gateway's database.

The three tables are seeded from the built-in lists the first time the gateway starts on them (an
empty `session_timings` table means a database never seeded: timings can be edited but not deleted).
Every change is written first, then loaded into the market calendar, which the sandbox, expiries,
`market/holidays`, `market/timings` and the schedulers read; freeze quantities are kept in memory
for the order desk's size check. Each process loads on its own start and its own edits.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, time

from sqlalchemy import Engine
from sqlmodel import delete, select

from gateway.calendar import FIRST_DAY, LAST_DAY
from generated.errors import NotFound, ValidationFailed
from sandbox.market.calendar import BUILTIN_HOLIDAYS, BUILTIN_SESSIONS, ExchangeCalendar, Holiday, SessionHours
from sandbox.market.universe import DERIVATIVES
from storage import FreezeQuantity, MarketHoliday, SessionTiming, session_scope, utcnow

MAX_CSV_ROWS = 20_000
MAX_DESCRIPTION = 200
_HOUR_MINUTE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_SYMBOL = re.compile(r"^[A-Z0-9&_.-]{1,64}$")
CSV_COLUMNS = ("exchange", "symbol", "freeze_qty")


def parse_clock(text: str, field: str) -> time:
    """`HH:MM` (IST, 24-hour) as a time, else a 400 naming `field`."""
    match = _HOUR_MINUTE.match(str(text).strip())
    if match is None:
        raise ValidationFailed(f"{field} must be HH:MM (24-hour IST), not {text!r}", errors={field: ["Use HH:MM."]})
    return time(int(match[1]), int(match[2]))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValidationFailed(
            f"date must be YYYY-MM-DD, not {text!r}", errors={"date": ["Invalid date format. Use YYYY-MM-DD"]}
        ) from None


def _holiday_row(row: MarketHoliday) -> dict:
    return {"date": row.day.isoformat(), "description": row.description, "commodity_evening": row.commodity_evening}


def _timing_row(row: SessionTiming) -> dict:
    return {
        "exchange": row.exchange,
        "start_time": f"{row.start_time:%H:%M}",
        "end_time": f"{row.end_time:%H:%M}",
        "dst_end_time": f"{row.dst_end_time:%H:%M}" if row.dst_end_time else None,
    }


class AdminData:
    def __init__(self, engine: Engine, calendar: ExchangeCalendar) -> None:
        self._engine = engine
        self._calendar = calendar
        self._freeze: dict[tuple[str, str], int] = {}

    # -- loading ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Seed a never-seeded database from the built-in lists, then load it into the calendar."""
        with session_scope(self._engine) as session:
            if session.exec(select(SessionTiming).limit(1)).first() is None:
                session.add_all(
                    SessionTiming(
                        exchange=hours.exchange,
                        start_time=hours.opens,
                        end_time=hours.closes,
                        dst_end_time=hours.dst_closes,
                    )
                    for hours in BUILTIN_SESSIONS.values()
                )
                existing = {row.day for row in session.exec(select(MarketHoliday))}
                session.add_all(
                    MarketHoliday(day=h.day, description=h.description, commodity_evening=h.commodity_evening)
                    for h in BUILTIN_HOLIDAYS
                    if h.day not in existing
                )
                known = {(row.exchange, row.symbol) for row in session.exec(select(FreezeQuantity))}
                session.add_all(
                    FreezeQuantity(exchange=spec.exchange, symbol=spec.name, freeze_qty=spec.freeze_quantity)
                    for spec in DERIVATIVES
                    if spec.freeze_quantity > 0 and (spec.exchange, spec.name) not in known
                )
        self.reload()

    def reload(self) -> None:
        with session_scope(self._engine) as session:
            holidays = [
                Holiday(row.day, row.description, row.commodity_evening) for row in session.exec(select(MarketHoliday))
            ]
            sessions = [
                SessionHours(row.exchange, row.start_time, row.end_time, row.dst_end_time)
                for row in session.exec(select(SessionTiming))
            ]
            freeze = {(row.exchange, row.symbol): row.freeze_qty for row in session.exec(select(FreezeQuantity))}
        self._calendar.load(holidays, sessions)
        self._freeze = freeze

    # -- holidays -----------------------------------------------------------------------------------

    def holidays(self, year: int | None = None) -> list[dict]:
        with session_scope(self._engine) as session:
            rows = session.exec(select(MarketHoliday).order_by(MarketHoliday.day)).all()
            return [_holiday_row(row) for row in rows if year is None or row.day.year == year]

    def add_holiday(self, day: str | date, description: str, *, commodity_evening: bool = False) -> dict:
        """Add the holiday, or change the one already on that day."""
        day = day if isinstance(day, date) else _day(day)
        description = " ".join(str(description).split())
        if not description or len(description) > MAX_DESCRIPTION:
            message = f"description must be 1 to {MAX_DESCRIPTION} characters"
            raise ValidationFailed(message, errors={"description": [message]})
        if not FIRST_DAY <= day <= LAST_DAY:
            message = f"date must be between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}"
            raise ValidationFailed(message, errors={"date": [message]})
        if day.weekday() >= 5:
            message = f"{day.isoformat()} is a {day:%A}; the exchanges are closed on weekends anyway"
            raise ValidationFailed(message, errors={"date": [message]})
        with session_scope(self._engine) as session:
            row = session.get(MarketHoliday, day) or MarketHoliday(day=day, description=description)
            row.description, row.commodity_evening, row.updated_at = description, commodity_evening, utcnow()
            session.add(row)
            answer = _holiday_row(row)
        self.reload()
        return answer

    def delete_holiday(self, day: str | date) -> None:
        day = day if isinstance(day, date) else _day(day)
        with session_scope(self._engine) as session:
            row = session.get(MarketHoliday, day)
            if row is None:
                raise NotFound(f"No holiday is listed on {day.isoformat()}")
            session.delete(row)
        self.reload()

    # -- session timings ----------------------------------------------------------------------------

    def timings(self) -> list[dict]:
        with session_scope(self._engine) as session:
            rows = session.exec(select(SessionTiming)).all()
            order = {exchange: index for index, exchange in enumerate(BUILTIN_SESSIONS)}
            return [_timing_row(row) for row in sorted(rows, key=lambda row: order.get(row.exchange, len(order)))]

    def set_timing(self, exchange: str, start: str, end: str, dst_end: str | None = None) -> dict:
        """Change an exchange's regular session (IST `HH:MM`); the close must come after the open."""
        exchange = str(exchange).strip().upper()
        if exchange not in BUILTIN_SESSIONS:
            message = f"{exchange!r} is not an exchange with sessions; use one of {', '.join(BUILTIN_SESSIONS)}"
            raise ValidationFailed(message, errors={"exchange": [message]})
        opens, closes = parse_clock(start, "start_time"), parse_clock(end, "end_time")
        dst_closes = parse_clock(dst_end, "dst_end_time") if dst_end else None
        for field, value in (("end_time", closes), ("dst_end_time", dst_closes)):
            if value is not None and value <= opens:
                message = f"{field} ({value:%H:%M}) must be after start_time ({opens:%H:%M})"
                raise ValidationFailed(message, errors={field: [message]})
        with session_scope(self._engine) as session:
            row = session.get(SessionTiming, exchange) or SessionTiming(
                exchange=exchange, start_time=opens, end_time=closes
            )
            row.start_time, row.end_time, row.dst_end_time, row.updated_at = opens, closes, dst_closes, utcnow()
            session.add(row)
            answer = _timing_row(row)
        self.reload()
        return answer

    # -- freeze quantities --------------------------------------------------------------------------

    def freeze_quantities(self) -> list[dict]:
        return [
            {"exchange": exchange, "symbol": symbol, "freeze_qty": quantity}
            for (exchange, symbol), quantity in sorted(self._freeze.items())
        ]

    def freeze_quantity(self, exchange: str, symbol: str) -> int | None:
        return self._freeze.get((exchange, symbol))

    def set_freeze(self, exchange: str, symbol: str, quantity: int) -> dict:
        row = _freeze_row(exchange, symbol, quantity, where="")
        self._upsert([row])
        return {"exchange": row[0], "symbol": row[1], "freeze_qty": row[2]}

    def delete_freeze(self, exchange: str, symbol: str) -> None:
        key = (str(exchange).strip().upper(), str(symbol).strip().upper())
        if key not in self._freeze:
            raise NotFound(f"No freeze quantity is set for {key[1]} on {key[0]}")
        with session_scope(self._engine) as session:
            session.exec(
                delete(FreezeQuantity).where(FreezeQuantity.exchange == key[0], FreezeQuantity.symbol == key[1])
            )
        self.reload()

    def upload_freeze_csv(self, text: str, *, replace: bool = False) -> int:
        """Set every row of an `exchange,symbol,freeze_qty` CSV; one bad row refuses the whole file.

        With `replace`, quantities the file does not list are removed.
        """
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        header = [name.strip().lower() for name in reader.fieldnames or []]
        if header[:3] != list(CSV_COLUMNS):
            message = f"the CSV must start with the header {','.join(CSV_COLUMNS)}, not {','.join(header) or 'nothing'}"
            raise ValidationFailed(message, errors={"csv": [message]})
        rows, errors = [], {}
        for number, record in enumerate(reader, start=2):
            if number - 1 > MAX_CSV_ROWS:
                message = f"the CSV has more than {MAX_CSV_ROWS} rows"
                raise ValidationFailed(message, errors={"csv": [message]})
            values = list(record.values())
            try:
                rows.append(_freeze_row(values[0], values[1], values[2], where=f"line {number}: "))
            except (ValidationFailed, IndexError) as e:
                errors[f"line {number}"] = [e.message if isinstance(e, ValidationFailed) else "Too few columns."]
        if errors:
            raise ValidationFailed(f"{len(errors)} CSV rows are invalid; nothing was saved", errors=errors)
        self._upsert(rows, replace=replace)
        return len(rows)

    def _upsert(self, rows: list[tuple[str, str, int]], *, replace: bool = False) -> None:
        with session_scope(self._engine) as session:
            if replace:
                session.exec(delete(FreezeQuantity))
                session.flush()
            for exchange, symbol, quantity in rows:
                row = session.get(FreezeQuantity, (exchange, symbol)) or FreezeQuantity(
                    exchange=exchange, symbol=symbol, freeze_qty=quantity
                )
                row.freeze_qty, row.updated_at = quantity, utcnow()
                session.add(row)
        self.reload()

    def check_order_size(self, exchange: str, symbol: str, underlying: str | None, quantity: float) -> None:
        """Refuse an order above the freeze quantity of its symbol or its underlying, pointing to splitorder."""
        for name in (symbol, underlying):
            limit = self._freeze.get((exchange, name)) if name else None
            if limit is not None and quantity > limit:
                message = (
                    f"Quantity {quantity:g} exceeds the freeze quantity {limit} of {name} on {exchange}; "
                    "split it with /api/v1/splitorder"
                )
                raise ValidationFailed(message, errors={"quantity": [message]})


def _freeze_row(exchange, symbol, quantity, *, where: str) -> tuple[str, str, int]:
    exchange, symbol = str(exchange or "").strip().upper(), str(symbol or "").strip().upper()
    if exchange not in BUILTIN_SESSIONS and exchange != "CRYPTO":
        raise ValidationFailed(
            f"{where}{exchange!r} is not a known exchange", errors={"exchange": ["Unknown exchange."]}
        )
    if not _SYMBOL.match(symbol):
        raise ValidationFailed(f"{where}{symbol!r} is not a symbol", errors={"symbol": ["Not a valid symbol."]})
    text = str(quantity).strip()
    if not text.isdigit() or not 0 < int(text) <= 10_000_000:
        raise ValidationFailed(
            f"{where}freeze_qty must be a whole number from 1 to 10000000, not {text!r}",
            errors={"freeze_qty": ["Not a valid quantity."]},
        )
    return exchange, symbol, int(text)
