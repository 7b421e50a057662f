"""The unified symbol format and the book that maps a broker's master both ways.

OpenAlgo's unified names, built from a master file's columns (name, expiry, strike, type), never by
taking a broker's own spelling apart:

    equity  SBIN                 future  NIFTY26DEC24FUT       option  NIFTY26DEC2426000CE
    index   NIFTY (on NSE_INDEX) expiry  26-DEC-24             strike  26000, 19.5, -1 when none
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from generated.api import InstrumentRecord

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def compact_expiry(expiry: date) -> str:
    """26DEC24: the expiry as it sits inside a unified symbol."""
    return f"{expiry.day:02d}{MONTHS[expiry.month - 1]}{expiry.year % 100:02d}"


def dashed_expiry(expiry: date) -> str:
    """26-DEC-24: the expiry column of a unified master row."""
    return f"{expiry.day:02d}-{MONTHS[expiry.month - 1]}-{expiry.year % 100:02d}"


def strike_text(strike: float) -> str:
    """26000 or 19.5: no trailing zeros."""
    return f"{strike:.4f}".rstrip("0").rstrip(".")


def future_symbol(name: str, expiry: date) -> str:
    return f"{name}{compact_expiry(expiry)}FUT"


def option_symbol(name: str, expiry: date, strike: float, kind: str) -> str:
    return f"{name}{compact_expiry(expiry)}{strike_text(strike)}{kind}"


def unified_symbol(name: str, kind: str, expiry: date | None, strike: float | None) -> str:
    """The unified symbol of an instrument of type `kind` (EQ, INDEX, FUT, CE, PE)."""
    if kind == "FUT" and expiry:
        return future_symbol(name, expiry)
    if kind in ("CE", "PE") and expiry:
        return option_symbol(name, expiry, strike or 0.0, kind)
    return name


class SymbolBook:
    """Unified (exchange, symbol) <-> broker (brexchange, brsymbol) <-> token, from one master."""

    def __init__(self, records: Iterable[InstrumentRecord], day: date | None = None) -> None:
        self.day = day
        self.records = list(records)
        self._by_unified = {(row.exchange, row.symbol): row for row in self.records}
        self._by_upstream = {(row.brexchange, row.brsymbol): row for row in self.records}
        self._by_token = {(row.brexchange, str(row.token)): row for row in self.records}
        self._by_bare_token = {str(row.token): row for row in self.records}

    def __len__(self) -> int:
        return len(self.records)

    def to_upstream(self, exchange: str, symbol: str) -> InstrumentRecord | None:
        return self._by_unified.get((exchange.upper(), symbol.upper()))

    def from_upstream(self, brexchange: str, brsymbol: str) -> InstrumentRecord | None:
        return self._by_upstream.get((brexchange, brsymbol))

    def by_token(self, token: int | str, brexchange: str | None = None) -> InstrumentRecord | None:
        """By token; brokers whose tokens repeat across segments (Angel, Dhan) pass the segment too."""
        if brexchange is None:
            return self._by_bare_token.get(str(token))
        return self._by_token.get((brexchange, str(token)))
