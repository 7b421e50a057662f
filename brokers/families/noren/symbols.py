"""Noren's symbol files, parsed into unified symbol rows.

Each exchange has one file, `<EXCH>_symbols.txt.zip`, holding a CSV (https://shoonya.com/api-documentation,
"Symbol master"); trimmed:

    Exchange,Token,LotSize,Symbol,TradingSymbol,Expiry,Instrument,OptionType,StrikePrice,TickSize,
    NSE,3045,1,SBIN,SBIN-EQ,,EQ,,,0.05,
    NSE,26000,1,NIFTY,Nifty 50,,INDEX,,,0.05,
    NFO,35003,25,NIFTY,NIFTY26DEC24C26000,26-DEC-2024,OPTIDX,CE,26000,0.05,

Unified names come from the columns (Symbol, Expiry, OptionType, StrikePrice), never from the
trading symbol. Rows of another kind (bonds, odd series) are skipped, logged once per kind.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable
from datetime import date, datetime

from brokers.common.symbols import SymbolBook, dashed_expiry, unified_symbol
from generated.api import InstrumentRecord

__all__ = ["MASTER_EXCHANGES", "SymbolBook", "parse_master"]

log = logging.getLogger(__name__)
MASTER_EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "CDS", "MCX")
FUTURES = {"FUTIDX", "FUTSTK", "FUTCOM", "FUTCUR", "FUTIRC", "FUTBLN"}
OPTIONS = {"OPTIDX", "OPTSTK", "OPTFUT", "OPTCUR", "OPTIRC", "OPTBLN"}
INDEX_EXCHANGES = {"NSE": "NSE_INDEX", "BSE": "BSE_INDEX", "MCX": "MCX_INDEX"}
_skipped: set[tuple[str, str]] = set()


def _expiry(text: str) -> date | None:
    return datetime.strptime(text.strip().upper(), "%d-%b-%Y").date() if text.strip() else None


def _number(text: str | None) -> float:
    try:
        return float(text or 0)
    except ValueError:
        return 0.0


def _kind(row: dict[str, str]) -> str | None:
    instrument = row.get("Instrument", "").strip().upper()
    if instrument == "INDEX" and row["Exchange"] in INDEX_EXCHANGES:
        return "INDEX"
    if instrument == "EQ" and row["Exchange"] in ("NSE", "BSE"):
        return "EQ"
    if instrument in FUTURES:
        return "FUT"
    if instrument in OPTIONS and row.get("OptionType") in ("CE", "PE"):
        return row["OptionType"]
    return None


def record_from_upstream(row: dict[str, str]) -> InstrumentRecord | None:
    kind = _kind(row)
    brexchange, brsymbol = row.get("Exchange", ""), row.get("TradingSymbol", "")
    if kind is None or not brsymbol:
        key = (brexchange, row.get("Instrument", ""))
        if key not in _skipped:
            _skipped.add(key)
            log.info("noren symbol file: skipping %s rows of type %r (no unified name)", *key)
        return None
    name = row.get("Symbol", "").strip().upper()
    expiry = _expiry(row.get("Expiry") or "") if kind in ("FUT", "CE", "PE") else None
    strike = _number(row.get("StrikePrice")) if kind in ("CE", "PE") else -1.0
    if kind == "INDEX":
        name = name.replace(" ", "")
    return InstrumentRecord(
        symbol=unified_symbol(name, kind, expiry, strike),
        brsymbol=brsymbol,
        name=name,
        exchange=INDEX_EXCHANGES[brexchange] if kind == "INDEX" else brexchange,
        brexchange=brexchange,
        token=row.get("Token", ""),
        expiry=dashed_expiry(expiry) if expiry else "",
        strike=round(strike, 4),
        lotsize=int(_number(row.get("LotSize"))) or 1,
        instrumenttype=kind,
        tick_size=_number(row.get("TickSize")) or 0.05,
    )


def parse_master(files: Iterable[str]) -> list[InstrumentRecord]:
    """Every row of every file that has a unified name; a repeated unified name keeps its first row."""
    records: dict[tuple[str, str], InstrumentRecord] = {}
    for text in files:
        for row in csv.DictReader(io.StringIO(text)):
            record = record_from_upstream({key: (value or "").strip() for key, value in row.items() if key})
            if record is not None:
                records.setdefault((record.exchange, record.symbol), record)
    return list(records.values())
