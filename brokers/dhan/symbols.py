"""Dhan's scrip master, parsed into unified symbol rows, and the book that maps both ways.

GET https://images.dhan.co/api-data/api-scrip-master.csv (https://dhanhq.co/docs/v2/instruments/),
trimmed to the columns read here:

    SEM_EXM_EXCH_ID,SEM_SEGMENT,SEM_SMST_SECURITY_ID,SEM_INSTRUMENT_NAME,SEM_TRADING_SYMBOL,SEM_LOT_UNITS,
    SEM_CUSTOM_SYMBOL,SEM_EXPIRY_DATE,SEM_STRIKE_PRICE,SEM_OPTION_TYPE,SEM_TICK_SIZE,SEM_EXPIRY_FLAG
    NSE,E,3045,EQUITY,SBIN,1.0,State Bank of India,,-0.01000,XX,5.0000,NA
    NSE,I,13,INDEX,NIFTY,1.0,Nifty 50,,-0.01000,XX,5.0000,NA
    NSE,D,35001,FUTIDX,NIFTY-Dec2024-FUT,25.0,NIFTY DEC FUT,2024-12-26 14:30:00,-0.01000,XX,10.0000,M
    NSE,D,44430,OPTIDX,NIFTY-Dec2024-26000-CE,25.0,NIFTY 05 DEC 26000 CALL,2024-12-05 14:30:00,26000.00000,CE,5.0000,W

Unified names come from the columns: type from SEM_INSTRUMENT_NAME and SEM_OPTION_TYPE, expiry from
SEM_EXPIRY_DATE, strike from SEM_STRIKE_PRICE. The one thing the compact file has no column for is a
derivative's underlying, which is the first dash-separated part of SEM_TRADING_SYMBOL. Weekly and
monthly options of one month share a SEM_TRADING_SYMBOL, so a derivative's `brsymbol` is its
SEM_CUSTOM_SYMBOL, which names the expiry day; Dhan's requests take the security id anyway. Tick sizes
are in paise.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable
from datetime import date

from brokers.common.symbols import SymbolBook, dashed_expiry, unified_symbol
from generated.api import InstrumentRecord

log = logging.getLogger(__name__)

# (SEM_EXM_EXCH_ID, SEM_SEGMENT) -> Dhan's exchangeSegment (https://dhanhq.co/docs/v2/annexure/#exchange-segment).
SEGMENTS = {
    ("NSE", "E"): "NSE_EQ",
    ("BSE", "E"): "BSE_EQ",
    ("NSE", "D"): "NSE_FNO",
    ("BSE", "D"): "BSE_FNO",
    ("NSE", "C"): "NSE_CURRENCY",
    ("BSE", "C"): "BSE_CURRENCY",
    ("MCX", "M"): "MCX_COMM",
    ("NSE", "I"): "IDX_I",
    ("BSE", "I"): "IDX_I",
}
# Dhan's exchangeSegment -> the unified exchange; indices by their exchange id.
EXCHANGES = {
    "NSE_EQ": "NSE",
    "BSE_EQ": "BSE",
    "NSE_FNO": "NFO",
    "BSE_FNO": "BFO",
    "NSE_CURRENCY": "CDS",
    "BSE_CURRENCY": "BCD",
    "MCX_COMM": "MCX",
}
INDEX_EXCHANGES = {"NSE": "NSE_INDEX", "BSE": "BSE_INDEX"}
# SEM_INSTRUMENT_NAME -> the unified instrument type; options take CE or PE from SEM_OPTION_TYPE.
INSTRUMENT_KINDS = {
    "EQUITY": "EQ",
    "INDEX": "INDEX",
    "FUTIDX": "FUT",
    "FUTSTK": "FUT",
    "FUTCUR": "FUT",
    "FUTCOM": "FUT",
    "OPTIDX": "OPT",
    "OPTSTK": "OPT",
    "OPTCUR": "OPT",
    "OPTFUT": "OPT",
}
OPTION_TYPES = {"CE": "CE", "PE": "PE"}
# Dhan's index names that are not the unified ones once their spaces are gone.
INDEX_NAMES = {"INDIA VIX": "INDIAVIX", "NIFTY NEXT 50": "NIFTYNXT50", "NIFTY 50": "NIFTY", "NIFTY BANK": "BANKNIFTY"}
INDEX_NAMES_TO_UPSTREAM = {"INDIAVIX": "INDIA VIX"}
NO_DATE = "0001-01-01"
_skipped: set[str] = set()


class DhanSymbolBook(SymbolBook):
    """The shared book, keeping also each row's SEM_INSTRUMENT_NAME, which the chart APIs ask for."""

    def __init__(self, rows: Iterable[tuple[InstrumentRecord, str]], day: date | None = None) -> None:
        rows = list(rows)
        super().__init__([record for record, _ in rows], day)
        self._instrument_names = {(record.brexchange, record.token): name for record, name in rows}

    def instrument_name(self, record: InstrumentRecord) -> str:
        return self._instrument_names[(record.brexchange, record.token)]


def _expiry(text: str | None) -> date | None:
    text = (text or "").strip()[:10]
    if not text or text == NO_DATE:
        return None
    return date.fromisoformat(text)


def record_from_upstream(row: dict[str, str]) -> tuple[InstrumentRecord, str] | None:
    """One unified row with Dhan's instrument name, or None for what the unified format has no name for."""
    instrument = (row.get("SEM_INSTRUMENT_NAME") or "").strip()
    kind = INSTRUMENT_KINDS.get(instrument)
    segment = SEGMENTS.get(((row.get("SEM_EXM_EXCH_ID") or "").strip(), (row.get("SEM_SEGMENT") or "").strip()))
    if kind == "OPT":
        kind = OPTION_TYPES.get((row.get("SEM_OPTION_TYPE") or "").strip())
    if kind is None or segment is None:
        label = f"{row.get('SEM_EXM_EXCH_ID')}/{row.get('SEM_SEGMENT')}/{instrument}"
        if label not in _skipped:
            _skipped.add(label)
            log.info("dhan scrip master: skipping %s rows (no unified name)", label)
        return None
    trading_symbol = (row.get("SEM_TRADING_SYMBOL") or "").strip()
    expiry = _expiry(row.get("SEM_EXPIRY_DATE"))
    strike = float(row.get("SEM_STRIKE_PRICE") or 0)
    if kind == "INDEX":
        exchange = INDEX_EXCHANGES[row["SEM_EXM_EXCH_ID"].strip()]
        name = INDEX_NAMES.get(trading_symbol, trading_symbol.replace(" ", ""))
    else:
        exchange = EXCHANGES[segment]
        name = trading_symbol.split("-")[0] if kind in ("FUT", "CE", "PE") else trading_symbol
    if kind in ("FUT", "CE", "PE") and expiry is None:
        return None  # a derivative without an expiry has no unified name
    brsymbol = (row.get("SEM_CUSTOM_SYMBOL") or "").strip() if kind in ("FUT", "CE", "PE") else trading_symbol
    record = InstrumentRecord(
        symbol=unified_symbol(name, kind, expiry, strike),
        brsymbol=brsymbol or trading_symbol,
        name=name,
        exchange=exchange,
        brexchange=segment,
        token=str(row["SEM_SMST_SECURITY_ID"]).strip(),
        expiry=dashed_expiry(expiry) if expiry and kind != "EQ" and kind != "INDEX" else "",
        strike=strike if kind in ("CE", "PE") else -1.0,
        lotsize=int(float(row.get("SEM_LOT_UNITS") or 1)) or 1,
        instrumenttype=kind,
        tick_size=round(float(row.get("SEM_TICK_SIZE") or 5) / 100, 4),
    )
    return record, instrument


def parse_master(text: str) -> list[tuple[InstrumentRecord, str]]:
    """Every row of the scrip master that has a unified name, first listing of a name winning."""
    seen: set[tuple[str, str]] = set()
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        parsed = record_from_upstream(row)
        if parsed is None:
            continue
        key = (parsed[0].exchange, parsed[0].symbol)
        if key in seen:
            continue
        seen.add(key)
        rows.append(parsed)
    return rows
