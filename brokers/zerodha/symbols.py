"""Kite's instruments file, parsed into unified symbol rows, and the book that maps both ways.

GET /instruments answers a CSV (https://kite.trade/docs/connect/v3/market-quotes/#instruments):

    instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
    408065,1594,INFY,INFOSYS,0,,0,0.05,1,EQ,NSE,NSE
    256265,1001,NIFTY 50,NIFTY 50,0,,0,0,0,EQ,INDICES,NSE
    13238786,51714,NIFTY24DECFUT,"NIFTY",0,2024-12-26,0,0.05,25,FUT,NFO-FUT,NFO
    12005122,46895,NIFTY2412526000CE,"NIFTY",0,2024-12-05,26000,0.05,25,CE,NFO-OPT,NFO

Unified names are built from the columns (name, expiry, strike, type), never by taking Kite's
tradingsymbol apart, so weekly and monthly spellings need no rules of their own.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import date

from brokers.common.symbols import SymbolBook, dashed_expiry, unified_symbol
from brokers.zerodha.mapping import INDEX_EXCHANGE_FROM_UPSTREAM, INDEX_NAME_FROM_UPSTREAM
from generated.api import InstrumentRecord

log = logging.getLogger(__name__)

# Kite's instrument_type -> the unified instrumenttype; others (mutual funds, bonds) are skipped.
INSTRUMENT_TYPES = {"EQ": "EQ", "FUT": "FUT", "CE": "CE", "PE": "PE"}
_skipped_types: set[str] = set()


def record_from_upstream(row: dict[str, str]) -> InstrumentRecord | None:
    """One unified row, or None for an instrument type the unified format has no name for."""
    kind = INSTRUMENT_TYPES.get(row["instrument_type"])
    if kind is None:
        if row["instrument_type"] not in _skipped_types:
            _skipped_types.add(row["instrument_type"])
            log.info("zerodha instruments: skipping instrument type %r (no unified name)", row["instrument_type"])
        return None
    brexchange, brsymbol = row["exchange"], row["tradingsymbol"]
    expiry = date.fromisoformat(row["expiry"]) if row.get("expiry") else None
    strike = float(row.get("strike") or 0)
    name = (row.get("name") or brsymbol).strip('"')
    exchange, symbol, instrument_type = brexchange, brsymbol, kind
    if row.get("segment") == "INDICES":
        exchange = INDEX_EXCHANGE_FROM_UPSTREAM.get(brexchange, f"{brexchange}_INDEX")
        symbol = INDEX_NAME_FROM_UPSTREAM.get(brsymbol, brsymbol.replace(" ", ""))
        name, instrument_type = symbol, "INDEX"
    else:
        symbol = unified_symbol(name, kind, expiry, strike) if kind != "EQ" else brsymbol
    return InstrumentRecord(
        symbol=symbol,
        brsymbol=brsymbol,
        name=name,
        exchange=exchange,
        brexchange=brexchange,
        token=row["instrument_token"],
        expiry=dashed_expiry(expiry) if expiry else "",
        strike=strike if kind in ("CE", "PE") else -1.0,
        lotsize=int(row.get("lot_size") or 1) or 1,
        instrumenttype=instrument_type,
        tick_size=float(row.get("tick_size") or 0.05),
    )


def parse_master(text: str) -> list[InstrumentRecord]:
    """Every row of the instruments CSV that has a unified name."""
    rows = (record_from_upstream(row) for row in csv.DictReader(io.StringIO(text)))
    return [row for row in rows if row is not None]


__all__ = ["SymbolBook", "parse_master", "record_from_upstream"]
