"""Fyers' symbol master files, parsed into unified symbol rows.

https://myapi.fyers.in/docsv3#tag/Appendix/Symbol-Master: one CSV per segment at
https://public.fyers.in/sym_details/<NSE_CM|BSE_CM|NSE_FO|BSE_FO|NSE_CD|MCX_COM>.csv, with no header
row. The columns this parser reads, by position:

     0 Fytoken            8 Expiry date (epoch seconds)    13 Underlying symbol
     1 Symbol details     9 Symbol ticker (NSE:SBIN-EQ)    15 Strike price
     2 Exchange instrument type  10 Exchange code (10 NSE, 11 MCX, 12 BSE)   16 Option type (CE, PE, XX)
     3 Minimum lot size  11 Segment code (10 cash, 11 F&O, 12 currency, 20 commodity)
     4 Tick size

    10100000003045,STATE BANK OF INDIA,0,1,0.05,INE062A01020,0915-1530|1815-1915:,2024-12-10,,NSE:SBIN-EQ,10,10,3045,SBIN,3045,-1.0,XX,10100000003045,None,,
    101000000026000,Nifty 50,10,1,0.05,,0915-1530|1815-1915:,2024-12-10,,NSE:NIFTY50-INDEX,10,10,26000,NIFTY50,26000,-1.0,XX,101000000026000,None,,
    101124122635003,NIFTY 24 Dec 26 FUT,11,25,0.05,,0915-1530|1815-1915:,2024-12-10,1735207200,NSE:NIFTY24DECFUT,10,11,35003,NIFTY,26000,-1.0,XX,101000000026000,None,,
    101124120551234,NIFTY 24 Dec 05 26000 CE,14,25,0.05,,0915-1530|1815-1915:,2024-12-10,1733392800,NSE:NIFTY24D0526000CE,10,11,51234,NIFTY,26000,26000.0,CE,101000000026000,None,,

Unified names are built from the columns (underlying, expiry, strike, option type), never by taking
the ticker apart, so weekly (`NIFTY24D0526000CE`) and monthly (`NIFTY24DEC26000CE`) spellings need no
rules of their own.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import datetime

from brokers.common.symbols import dashed_expiry, unified_symbol
from brokers.fyers.auth import IST
from brokers.fyers.mapping import SEGMENTS
from generated.api import InstrumentRecord

log = logging.getLogger(__name__)

FYTOKEN, DETAILS, INSTRUMENT_TYPE, LOT_SIZE, TICK_SIZE = 0, 1, 2, 3, 4
EXPIRY, TICKER, EXCHANGE, SEGMENT, UNDERLYING, STRIKE, OPTION_TYPE = 8, 9, 10, 11, 13, 15, 16
COLUMNS = 17  # the rows carry more (reserved) columns; these are the ones read

# Exchange instrument types in the cash segments (Appendix): 0 EQ, 9 BE (NSE), 4 and 50 (BSE groups),
# 10 INDEX. Others (bonds, ETFs' other series, ...) have no unified name and are skipped.
CASH_EQUITY_TYPES = {0, 4, 9, 50}
INDEX_TYPE = 10
CASH_SEGMENT = 10
INDEX_EXCHANGES = {"NSE": "NSE_INDEX", "BSE": "BSE_INDEX", "MCX": "MCX_INDEX"}

# Fyers' index names (the ticker's name part, also the underlying column) -> OpenAlgo's.
INDEX_NAME_FROM_UPSTREAM = {
    "NIFTY50": "NIFTY",
    "NIFTYBANK": "BANKNIFTY",
    "FINNIFTY": "FINNIFTY",
    "MIDCPNIFTY": "MIDCPNIFTY",
    "NIFTYNXT50": "NIFTYNXT50",
    "INDIAVIX": "INDIAVIX",
    "SENSEX": "SENSEX",
    "BANKEX": "BANKEX",
}
INDEX_NAME_TO_UPSTREAM = {unified: upstream for upstream, unified in INDEX_NAME_FROM_UPSTREAM.items()}
_skipped: set[tuple[str, int]] = set()


def record_from_upstream(row: list[str]) -> InstrumentRecord | None:
    """One unified row, or None for a row the unified format has no name for."""
    if len(row) < COLUMNS:
        return None
    segment = SEGMENTS.get((int(row[EXCHANGE]), int(row[SEGMENT])))
    kind_code = int(row[INSTRUMENT_TYPE])
    if segment is None:
        return _skip(row[EXCHANGE] + "/" + row[SEGMENT], kind_code)
    name = row[UNDERLYING].strip()
    option = row[OPTION_TYPE].strip()
    expiry = None
    if int(row[SEGMENT]) == CASH_SEGMENT:
        if kind_code == INDEX_TYPE:
            kind, exchange = "INDEX", INDEX_EXCHANGES.get(segment, f"{segment}_INDEX")
            name = INDEX_NAME_FROM_UPSTREAM.get(name, name)
        elif kind_code in CASH_EQUITY_TYPES:
            kind, exchange = "EQ", segment
        else:
            return _skip(segment, kind_code)
    else:
        kind, exchange = ("FUT" if option == "XX" else option), segment
        if kind not in ("FUT", "CE", "PE") or not row[EXPIRY].strip():
            return _skip(segment, kind_code)
        expiry = datetime.fromtimestamp(int(float(row[EXPIRY])), IST).date()
    strike = float(row[STRIKE] or 0) if kind in ("CE", "PE") else -1.0
    return InstrumentRecord(
        symbol=unified_symbol(name, kind, expiry, strike),
        brsymbol=row[TICKER],
        name=name,
        exchange=exchange,
        brexchange=segment,
        token=row[FYTOKEN],
        expiry=dashed_expiry(expiry) if expiry else "",
        strike=strike,
        lotsize=int(float(row[LOT_SIZE] or 1)) or 1,
        instrumenttype=kind,
        tick_size=float(row[TICK_SIZE] or 0.05),
    )


def _skip(segment: str, kind_code: int) -> None:
    if (segment, kind_code) not in _skipped:
        _skipped.add((segment, kind_code))
        log.info("fyers symbol master: skipping instrument type %s in %s (no unified name)", kind_code, segment)
    return None


def parse_master(text: str) -> list[InstrumentRecord]:
    """Every row of one segment's master CSV that has a unified name."""
    rows = (record_from_upstream(row) for row in csv.reader(io.StringIO(text)) if row)
    return [row for row in rows if row is not None]
