"""The scrip master parsed into unified rows, and the book's lookups both ways."""

from __future__ import annotations

from brokers.dhan.symbols import parse_master
from brokers.dhan.tests.conftest import master_text


def _by_symbol():
    return {(record.exchange, record.symbol): (record, name) for record, name in parse_master(master_text())}


def test_equity_keeps_its_symbol_and_segment():
    record, name = _by_symbol()[("NSE", "SBIN")]
    assert (record.brexchange, record.brsymbol, record.token) == ("NSE_EQ", "SBIN", "3045")
    assert (record.instrumenttype, record.expiry, record.strike, record.lotsize) == ("EQ", "", -1.0, 1)
    assert record.tick_size == 0.05  # Dhan's tick sizes are in paise
    assert name == "EQUITY"


def test_the_same_share_on_bse_is_its_own_row():
    record, _ = _by_symbol()[("BSE", "SBIN")]
    assert (record.brexchange, record.token) == ("BSE_EQ", "500112")


def test_indices_get_unified_names_and_exchanges():
    rows = _by_symbol()
    assert rows[("NSE_INDEX", "NIFTY")][0].brexchange == "IDX_I"
    assert rows[("NSE_INDEX", "INDIAVIX")][0].brsymbol == "INDIA VIX"
    assert rows[("BSE_INDEX", "SENSEX")][0].token == "51"
    assert rows[("NSE_INDEX", "NIFTY")][0].instrumenttype == "INDEX"


def test_a_future_is_named_from_its_columns():
    record, name = _by_symbol()[("NFO", "NIFTY26DEC24FUT")]
    assert (record.brexchange, record.brsymbol, record.expiry, record.lotsize) == (
        "NSE_FNO",
        "NIFTY DEC FUT",
        "26-DEC-24",
        25,
    )
    assert name == "FUTIDX"


def test_weekly_and_monthly_options_sharing_a_trading_symbol_stay_apart():
    rows = _by_symbol()
    weekly, _ = rows[("NFO", "NIFTY05DEC2426000CE")]
    monthly, _ = rows[("NFO", "NIFTY26DEC2426000CE")]
    assert (weekly.token, monthly.token) == ("44430", "56046")
    assert (weekly.brsymbol, monthly.brsymbol) == ("NIFTY 05 DEC 26000 CALL", "NIFTY 26 DEC 26000 CALL")
    assert (weekly.strike, weekly.instrumenttype, weekly.expiry) == (26000.0, "CE", "05-DEC-24")


def test_currency_commodity_and_bse_derivatives():
    rows = _by_symbol()
    assert rows[("CDS", "USDINR27DEC2484.5CE")][0].strike == 84.5
    assert rows[("CDS", "USDINR27DEC24FUT")][0].brexchange == "NSE_CURRENCY"
    assert rows[("MCX", "CRUDEOIL18DEC24FUT")][1] == "FUTCOM"
    assert rows[("BFO", "SENSEX27DEC2480000PE")][0].brexchange == "BSE_FNO"


def test_instruments_without_a_unified_name_are_skipped():
    assert not any(record.symbol == "LIQUIDBEES" for record, _ in parse_master(master_text()))


def test_the_book_maps_both_ways_and_by_segment_and_security_id(book):
    row = book.to_upstream("nfo", "nifty26dec2426000pe")
    assert row is not None and row.token == "56047"
    assert book.by_token("56047", "NSE_FNO") is row
    assert book.by_token("56047", "BSE_FNO") is None
    assert book.from_upstream("NSE_FNO", "NIFTY 26 DEC 26000 PUT") is row
    assert book.instrument_name(row) == "OPTIDX"


def test_special_characters_survive():
    assert _by_symbol()[("NSE", "M&M")][0].token == "25"
