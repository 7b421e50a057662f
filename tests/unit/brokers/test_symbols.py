"""The unified symbol format every plugin builds from its master's columns."""

from __future__ import annotations

from datetime import date

from brokers.common.symbols import SymbolBook, dashed_expiry, unified_symbol
from generated.api import InstrumentRecord


def test_unified_names_for_each_instrument_type():
    expiry = date(2024, 12, 26)

    assert unified_symbol("SBIN", "EQ", None, None) == "SBIN"
    assert unified_symbol("NIFTY", "FUT", expiry, None) == "NIFTY26DEC24FUT"
    assert unified_symbol("NIFTY", "CE", expiry, 26000.0) == "NIFTY26DEC2426000CE"
    assert unified_symbol("USDINR", "PE", expiry, 83.25) == "USDINR26DEC2483.25PE"
    assert dashed_expiry(date(2025, 1, 2)) == "02-JAN-25"


def _record(symbol: str, brsymbol: str, token: str, brexchange: str = "NSE") -> InstrumentRecord:
    return InstrumentRecord(
        symbol=symbol, brsymbol=brsymbol, name=symbol, exchange="NSE", brexchange=brexchange, token=token,
        expiry="", strike=-1.0, lotsize=1, instrumenttype="EQ", tick_size=0.05,
    )  # fmt: skip


def test_the_book_maps_both_ways_and_by_token_within_a_segment():
    book = SymbolBook([_record("SBIN", "SBIN-EQ", "3045"), _record("INFY", "INFY-EQ", "1594")])

    assert book.to_upstream("nse", "sbin").brsymbol == "SBIN-EQ"
    assert book.from_upstream("NSE", "INFY-EQ").symbol == "INFY"
    assert book.by_token(3045).symbol == "SBIN"
    assert book.by_token("1594", "NSE").symbol == "INFY"
    assert book.by_token("1594", "BSE") is None
    assert book.to_upstream("NSE", "TCS") is None
