"""Upstox's instruments file, parsed into unified symbol rows.

https://upstox.com/developer/api-documentation/instruments: a gzipped JSON list, rebuilt daily,
one object per instrument (trimmed):

    {"segment": "NSE_EQ", "name": "STATE BANK OF INDIA", "exchange": "NSE", "isin": "INE062A01020",
     "instrument_type": "EQ", "instrument_key": "NSE_EQ|INE062A01020", "lot_size": 1,
     "exchange_token": "3045", "tick_size": 5.0, "trading_symbol": "SBIN"}
    {"segment": "NSE_INDEX", "name": "Nifty 50", "exchange": "NSE", "instrument_type": "INDEX",
     "instrument_key": "NSE_INDEX|Nifty 50", "exchange_token": "26000", "trading_symbol": "NIFTY"}
    {"segment": "NSE_FO", "name": "NIFTY", "exchange": "NSE", "expiry": 1740680999000, "instrument_type": "CE",
     "asset_symbol": "NIFTY", "underlying_symbol": "NIFTY", "instrument_key": "NSE_FO|37590", "lot_size": 75,
     "exchange_token": "37590", "tick_size": 5.0, "trading_symbol": "NIFTY 22500 CE 27 FEB 25", "strike_price": 22500.0}

`expiry` is epoch milliseconds (the end of the expiry day, IST) and `tick_size` is in paise.
Unified names are built from the columns (asset symbol, expiry, strike, type), never by taking
Upstox's trading symbol apart. The token is the `instrument_key`, which every Upstox call takes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from brokers.common.symbols import dashed_expiry, unified_symbol
from brokers.upstox.auth import IST
from brokers.upstox.mapping import SEGMENT_FROM_UPSTREAM
from generated.api import InstrumentRecord

log = logging.getLogger(__name__)

# Upstox's index names (the `name` column) -> OpenAlgo's.
INDEX_NAME_FROM_UPSTREAM = {
    "Nifty 50": "NIFTY",
    "Nifty Bank": "BANKNIFTY",
    "Nifty Fin Service": "FINNIFTY",
    "NIFTY MID SELECT": "MIDCPNIFTY",
    "Nifty Next 50": "NIFTYNXT50",
    "India VIX": "INDIAVIX",
    "SENSEX": "SENSEX",
    "BANKEX": "BANKEX",
}
INDEX_NAME_TO_UPSTREAM = {unified: upstream for upstream, unified in INDEX_NAME_FROM_UPSTREAM.items()}
DERIVATIVE_TYPES = ("FUT", "CE", "PE")
_skipped: set[str] = set()


def _skip(what: str) -> None:
    if what not in _skipped:
        _skipped.add(what)
        log.info("upstox instruments: skipping %s (no unified name)", what)


def expiry_date(epoch_ms: Any) -> date:
    """The expiry column (epoch milliseconds) as the trading date in India."""
    return datetime.fromtimestamp(int(epoch_ms) / 1000, UTC).astimezone(IST).date()


def record_from_upstream(row: Mapping[str, Any]) -> InstrumentRecord | None:
    """One unified row, or None for a segment or instrument type the unified format has no name for."""
    segment, kind = row.get("segment", ""), row.get("instrument_type", "")
    exchange = SEGMENT_FROM_UPSTREAM.get(segment)
    if exchange is None:
        _skip(f"segment {segment!r}")
        return None
    brsymbol = str(row.get("trading_symbol") or "")
    expiry = expiry_date(row["expiry"]) if row.get("expiry") else None
    strike = float(row.get("strike_price") or 0)
    if segment.endswith("_INDEX"):
        name = INDEX_NAME_FROM_UPSTREAM.get(
            row.get("name", ""), str(row.get("name") or brsymbol).upper().replace(" ", "")
        )
        symbol, instrument_type = name, "INDEX"
    elif segment.endswith("_EQ"):
        # Every series on a cash segment (EQ, BE, SM, ...) trades as an equity under its own symbol.
        name, symbol, instrument_type = str(row.get("name") or brsymbol), brsymbol, "EQ"
    elif kind in DERIVATIVE_TYPES and expiry is not None:
        name = str(row.get("asset_symbol") or row.get("underlying_symbol") or row.get("name") or "")
        symbol, instrument_type = unified_symbol(name, kind, expiry, strike), kind
    else:
        _skip(f"instrument type {kind!r} on {segment}")
        return None
    return InstrumentRecord(
        symbol=symbol,
        brsymbol=brsymbol,
        name=name,
        exchange=exchange,
        brexchange=segment,
        token=str(row["instrument_key"]),
        expiry=dashed_expiry(expiry) if expiry and instrument_type in DERIVATIVE_TYPES else "",
        strike=strike if instrument_type in ("CE", "PE") else -1.0,
        lotsize=int(row.get("lot_size") or 1) or 1,
        instrumenttype=instrument_type,
        tick_size=float(row.get("tick_size") or 5) / 100,
    )


def parse_master(rows: Iterable[Mapping[str, Any]]) -> list[InstrumentRecord]:
    """Every row of the instruments file that has a unified name; a repeated unified name keeps its first row."""
    records: dict[tuple[str, str], InstrumentRecord] = {}
    for row in rows:
        record = record_from_upstream(row)
        if record is not None:
            records.setdefault((record.exchange, record.symbol), record)
    return list(records.values())
