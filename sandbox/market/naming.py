"""OpenAlgo's unified symbol format: building and parsing derivative symbols.

Futures read `[BASE][DD][MMM][YY]FUT` (NIFTY28MAR24FUT) and options `[BASE][DD][MMM][YY][STRIKE][CE|PE]`
with the strike written without a trailing `.0` but with its decimals kept (USDINR27JAN2583.5PE).
Master-contract responses write expiries as `DD-MMM-YY` and option APIs as `DDMMMYY`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sandbox.market.types import InstrumentType

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTH_NUMBER = {text: number for number, text in enumerate(_MONTHS, start=1)}
_DERIVATIVE = re.compile(
    r"^(?P<name>[A-Z0-9&-]+?)(?P<day>\d{2})(?P<month>[A-Z]{3})(?P<year>\d{2})"
    r"(?:(?P<future>FUT)|(?P<strike>\d+(?:\.\d+)?)(?P<kind>CE|PE))$"
)


@dataclass(frozen=True, slots=True)
class ParsedSymbol:
    """The parts of a unified symbol; expiry and strike are None where the symbol has none."""

    name: str
    instrument_type: InstrumentType
    expiry: date | None = None
    strike: float | None = None


def compact_expiry(expiry: date) -> str:
    """`DDMMMYY`, as inside symbols and in option API fields (28MAR24)."""
    return f"{expiry.day:02d}{_MONTHS[expiry.month - 1]}{expiry.year % 100:02d}"


def dashed_expiry(expiry: date) -> str:
    """`DD-MMM-YY`, as in master-contract and expiry responses (28-MAR-24)."""
    return f"{expiry.day:02d}-{_MONTHS[expiry.month - 1]}-{expiry.year % 100:02d}"


def parse_expiry(text: str) -> date:
    """Read an expiry written either `DDMMMYY` or `DD-MMM-YY` (case-insensitive)."""
    compact = text.replace("-", "").upper()
    if len(compact) != 7 or compact[2:5] not in _MONTH_NUMBER:
        raise ValueError(f"not an expiry like 28MAR24 or 28-MAR-24: {text!r}")
    return date(2000 + int(compact[5:]), _MONTH_NUMBER[compact[2:5]], int(compact[:2]))


def format_strike(strike: float) -> str:
    """A strike as symbols write it: 20800 not 20800.0, 83.5 and 83.25 kept as they are."""
    return f"{strike:.4f}".rstrip("0").rstrip(".")


def future_symbol(name: str, expiry: date) -> str:
    return f"{name}{compact_expiry(expiry)}FUT"


def option_symbol(name: str, expiry: date, strike: float, kind: InstrumentType) -> str:
    if kind not in (InstrumentType.CALL, InstrumentType.PUT):
        raise ValueError(f"an option is CE or PE, not {kind}")
    return f"{name}{compact_expiry(expiry)}{format_strike(strike)}{kind.value}"


def parse_symbol(symbol: str, exchange: str | None = None) -> ParsedSymbol:
    """Split a unified symbol into its parts.

    A symbol with no expiry is a cash instrument: an index on the *_INDEX exchanges, else equity.
    Raises ValueError for a symbol that looks dated but names a month or day that does not exist.
    """
    match = _DERIVATIVE.match(symbol.upper())
    if match is None:
        is_index = exchange is not None and exchange.upper().endswith("_INDEX")
        return ParsedSymbol(symbol, InstrumentType.INDEX if is_index else InstrumentType.EQUITY)
    month = _MONTH_NUMBER.get(match["month"])
    if month is None:
        raise ValueError(f"unknown month {match['month']!r} in {symbol!r}")
    try:
        expiry = datetime(2000 + int(match["year"]), month, int(match["day"])).date()
    except ValueError as error:
        raise ValueError(f"impossible expiry date in {symbol!r}") from error
    if match["future"]:
        return ParsedSymbol(match["name"], InstrumentType.FUTURE, expiry)
    kind = InstrumentType(match["kind"])
    return ParsedSymbol(match["name"], kind, expiry, float(match["strike"]))
