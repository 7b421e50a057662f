"""The XTS instrument master, parsed into unified symbol rows.

POST /apimarketdata/instruments/master {"exchangeSegmentList": ["NSECM", "NSEFO", ...]} answers the
master as one text, a row a line, fields split by `|`. Cash rows (NSECM, BSECM) and derivative
rows have different columns:

    NSECM|2885|8|RELIANCE|RELIANCE-EQ|EQ|RELIANCE-EQ|1100100002885|...|0.05|1|1|RELIANCE|INE002A01018|1|1|...
    NSEFO|35001|2|NIFTY|NIFTY24DEC26000CE|OPTIDX|NIFTY-OPTIDX|...|0.05|25|1|26000|NIFTY|2024-12-26T14:30:00|26000|3|...

Unified names are built from the columns (name, series, expiry, strike, option type), never by
taking XTS's description apart. Indices sit in the cash segments with series INDEX.
"""

from __future__ import annotations

import logging
from datetime import date

from brokers.common.symbols import dashed_expiry, unified_symbol
from brokers.families.xts.mapping import INDEX_EXCHANGE_FROM_UPSTREAM, SEGMENT_FROM_UPSTREAM
from generated.api import InstrumentRecord

log = logging.getLogger(__name__)

CASH_SEGMENTS = ("NSECM", "BSECM")
CASH_COLUMNS = ("segment", "instrument_id", "instrument_type", "name", "description", "series", "name_with_series",
                "instrument_code", "band_high", "band_low", "freeze_quantity", "tick_size", "lot_size", "multiplier",
                "display_name", "isin")  # fmt: skip
DERIVATIVE_COLUMNS = (
    *CASH_COLUMNS[:14],
    "underlying_id",
    "underlying_name",
    "expiry",
    "strike",
    "option_type",
    "display_name",
)
# Series -> the unified instrument type; option rows take theirs from OptionType (3 call, 4 put).
SERIES_KINDS = {"EQ": "EQ", "BE": "EQ", "INDEX": "INDEX", "FUTIDX": "FUT", "FUTSTK": "FUT", "FUTCOM": "FUT",
                "FUTCUR": "FUT", "OPTIDX": "OPT", "OPTSTK": "OPT", "OPTFUT": "OPT", "OPTCUR": "OPT"}  # fmt: skip
OPTION_KINDS = {"3": "CE", "4": "PE"}
# XTS names indices as the exchanges print them; OpenAlgo's names have no spaces.
INDEX_NAMES = {"NIFTY 50": "NIFTY", "NIFTY BANK": "BANKNIFTY", "NIFTY FIN SERVICE": "FINNIFTY",
               "NIFTY MID SELECT": "MIDCPNIFTY", "NIFTY NEXT 50": "NIFTYNXT50", "INDIA VIX": "INDIAVIX",
               "SENSEX": "SENSEX", "BANKEX": "BANKEX"}  # fmt: skip
_skipped: set[str] = set()


def record_from_upstream(line: str) -> InstrumentRecord | None:
    """One unified row, or None for a series the unified format has no name for."""
    values = line.split("|")
    columns = CASH_COLUMNS if values[0] in CASH_SEGMENTS else DERIVATIVE_COLUMNS
    if len(values) < len(columns) or values[0] not in SEGMENT_FROM_UPSTREAM:
        return None
    row = dict(zip(columns, values, strict=False))
    kind = SERIES_KINDS.get(row["series"])
    if kind == "OPT":
        kind = OPTION_KINDS.get(row["option_type"])
    if kind is None:
        if row["series"] not in _skipped:
            _skipped.add(row["series"])
            log.info("xts master: skipping series %r (no unified name)", row["series"])
        return None
    segment, name = row["segment"], row["name"]
    exchange = SEGMENT_FROM_UPSTREAM[segment]
    expiry = date.fromisoformat(row["expiry"][:10]) if row.get("expiry") else None
    strike = float(row.get("strike") or 0)
    if kind == "INDEX":
        exchange = INDEX_EXCHANGE_FROM_UPSTREAM[segment]
        name = INDEX_NAMES.get(name, name.replace(" ", ""))
    symbol = unified_symbol(name, kind, expiry, strike) if kind not in ("EQ", "INDEX") else name
    return InstrumentRecord(
        symbol=symbol,
        brsymbol=row["description"],
        name=name,
        exchange=exchange,
        brexchange=segment,
        token=row["instrument_id"],
        expiry=dashed_expiry(expiry) if expiry else "",
        strike=strike if kind in ("CE", "PE") else -1.0,
        lotsize=int(row.get("lot_size") or 1) or 1,
        instrumenttype=kind,
        tick_size=float(row.get("tick_size") or 0.05),
    )


def parse_master(text: str) -> list[InstrumentRecord]:
    """Every row of the master that has a unified name."""
    rows = (record_from_upstream(line) for line in text.splitlines() if line.strip())
    return [row for row in rows if row is not None]
