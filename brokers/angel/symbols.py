"""Angel's scrip master, parsed into unified symbol rows.

OpenAPIScripMaster.json (https://smartapi.angelbroking.com/docs/Instruments) is one JSON list of
rows whose values are all strings; strikes and tick sizes are in paise (x100), and currency strikes
carry seven decimals (x10^7). Trimmed:

    {"token": "3045", "symbol": "SBIN-EQ", "name": "SBIN", "expiry": "", "strike": "-1.000000",
     "lotsize": "1", "instrumenttype": "", "exch_seg": "NSE", "tick_size": "5.000000"}
    {"token": "99926000", "symbol": "Nifty 50", "name": "NIFTY", "expiry": "", "strike": "0.000000",
     "lotsize": "1", "instrumenttype": "AMXIDX", "exch_seg": "NSE", "tick_size": "0.000000"}
    {"token": "35003", "symbol": "NIFTY26DEC2426000CE", "name": "NIFTY", "expiry": "26DEC2024",
     "strike": "2600000.000000", "lotsize": "25", "instrumenttype": "OPTIDX", "exch_seg": "NFO", "tick_size": "5.000000"}

Unified names are built from the columns (name, expiry, strike, type). The one thing the columns do
not say is whether an option is a call or a put (`instrumenttype` is OPTIDX for both), so that is
read from the symbol's last two letters.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from brokers.common.symbols import SymbolBook, dashed_expiry, unified_symbol
from generated.api import InstrumentRecord

__all__ = ["SymbolBook", "parse_master", "record_from_upstream"]

log = logging.getLogger(__name__)

FUTURE_TYPES = {"FUTIDX", "FUTSTK", "FUTCOM", "FUTCUR", "FUTIRC", "FUTBLN", "FUTENR"}
OPTION_TYPES = {"OPTIDX", "OPTSTK", "OPTFUT", "OPTCUR", "OPTIRC", "OPTBLN", "OPTENR"}
INDEX_TYPE = "AMXIDX"
# Exchanges whose plain rows (no instrument type) are equities.
EQUITY_EXCHANGES = {"NSE", "BSE"}
INDEX_EXCHANGE_FROM_UPSTREAM = {"NSE": "NSE_INDEX", "BSE": "BSE_INDEX", "MCX": "MCX_INDEX"}
INDEX_EXCHANGE_TO_UPSTREAM = {unified: upstream for upstream, unified in INDEX_EXCHANGE_FROM_UPSTREAM.items()}
# Index `name`s that are not already OpenAlgo's spelling once spaces go.
INDEX_NAME_FROM_UPSTREAM = {"INDIA VIX": "INDIAVIX", "NIFTY NEXT 50": "NIFTYNXT50"}
STRIKE_DIVISORS = {"CDS": 10_000_000.0}
PAISE = 100.0
_skipped: set[tuple[str, str]] = set()


def _expiry(text: str) -> date | None:
    """`26DEC2024` -> a date; blank for instruments without one."""
    return datetime.strptime(text.strip().upper(), "%d%b%Y").date() if text and text.strip() else None


def _number(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def _skip(row: Mapping[str, Any], why: str) -> None:
    key = (str(row.get("exch_seg")), str(row.get("instrumenttype")))
    if key not in _skipped:
        _skipped.add(key)
        log.info("angel scrip master: skipping %s rows of type %r (%s)", key[0], key[1], why)


def record_from_upstream(row: Mapping[str, Any]) -> InstrumentRecord | None:
    """One unified row, or None for a row the unified format has no name for."""
    brexchange, brsymbol = str(row.get("exch_seg") or ""), str(row.get("symbol") or "")
    kind_upstream = str(row.get("instrumenttype") or "")
    name = str(row.get("name") or brsymbol).strip()
    expiry = _expiry(str(row.get("expiry") or ""))
    exchange = brexchange
    if kind_upstream == INDEX_TYPE and brexchange in INDEX_EXCHANGE_FROM_UPSTREAM:
        exchange = INDEX_EXCHANGE_FROM_UPSTREAM[brexchange]
        name = INDEX_NAME_FROM_UPSTREAM.get(name.upper(), name.upper().replace(" ", ""))
        kind = "INDEX"
    elif kind_upstream in FUTURE_TYPES and expiry:
        kind = "FUT"
    elif kind_upstream in OPTION_TYPES and expiry and brsymbol[-2:] in ("CE", "PE"):
        kind = brsymbol[-2:]
    elif not kind_upstream and brexchange in EQUITY_EXCHANGES:
        kind = "EQ"
        # NSE lists the regular series as NAME-EQ; other series keep their suffix, so names stay unique.
        name = name if brsymbol in (name, f"{name}-EQ") else brsymbol
    else:
        _skip(row, "no unified name")
        return None
    strike = _number(row.get("strike")) / STRIKE_DIVISORS.get(brexchange, PAISE) if kind in ("CE", "PE") else -1.0
    return InstrumentRecord(
        symbol=unified_symbol(name, kind, expiry, strike),
        brsymbol=brsymbol,
        name=name,
        exchange=exchange,
        brexchange=brexchange,
        token=str(row.get("token") or ""),
        expiry=dashed_expiry(expiry) if expiry and kind in ("FUT", "CE", "PE") else "",
        strike=round(strike, 4) if kind in ("CE", "PE") else -1.0,
        lotsize=int(_number(row.get("lotsize"))) or 1,
        instrumenttype=kind,
        tick_size=round(_number(row.get("tick_size")) / PAISE, 6) or 0.05,
    )


def parse_master(rows: Iterable[Mapping[str, Any]]) -> list[InstrumentRecord]:
    """Every master row that has a unified name; a repeated unified name keeps its first row."""
    records: dict[tuple[str, str], InstrumentRecord] = {}
    for row in rows:
        record = record_from_upstream(row)
        if record is not None:
            records.setdefault((record.exchange, record.symbol), record)
    return list(records.values())
