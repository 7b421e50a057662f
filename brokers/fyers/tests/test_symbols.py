"""The header-less master CSVs become unified rows built from their columns, and the book maps both ways."""

from __future__ import annotations

from brokers.common.symbols import SymbolBook
from brokers.fyers.symbols import parse_master
from brokers.fyers.tests.conftest import master_fixture


def test_cash_rows_equities_and_indices():
    rows = {row.symbol: row for row in parse_master(master_fixture("NSE_CM"))}
    assert set(rows) == {"SBIN", "NIFTY", "BANKNIFTY"}  # the bond (instrument type 20) is skipped
    sbin = rows["SBIN"]
    assert (sbin.exchange, sbin.brexchange, sbin.brsymbol, sbin.token, sbin.instrumenttype) == (
        "NSE", "NSE", "NSE:SBIN-EQ", "10100000003045", "EQ",
    )  # fmt: skip
    assert (sbin.expiry, sbin.strike, sbin.lotsize, sbin.tick_size) == ("", -1.0, 1, 0.05)
    nifty = rows["NIFTY"]
    assert (nifty.exchange, nifty.brexchange, nifty.brsymbol, nifty.instrumenttype) == (
        "NSE_INDEX",
        "NSE",
        "NSE:NIFTY50-INDEX",
        "INDEX",
    )


def test_derivative_rows_are_named_from_columns_not_tickers():
    rows = {row.brsymbol: row for row in parse_master(master_fixture("NSE_FO"))}
    future = rows["NSE:NIFTY24DECFUT"]
    assert (future.symbol, future.exchange, future.expiry, future.lotsize, future.instrumenttype) == (
        "NIFTY26DEC24FUT", "NFO", "26-DEC-24", 25, "FUT",
    )  # fmt: skip
    weekly = rows["NSE:NIFTY24D0526000CE"]
    assert (weekly.symbol, weekly.expiry, weekly.strike, weekly.instrumenttype) == (
        "NIFTY05DEC2426000CE",
        "05-DEC-24",
        26000.0,
        "CE",
    )
    monthly = rows["NSE:NIFTY24DEC24000PE"]
    assert monthly.symbol == "NIFTY26DEC2424000PE"
    currency = rows["NSE:USDINR24DEC85.25CE"]
    assert (currency.symbol, currency.exchange, currency.tick_size) == ("USDINR26DEC2485.25CE", "CDS", 0.0025)


def test_the_book_maps_both_ways():
    book = SymbolBook(parse_master(master_fixture("NSE_CM")) + parse_master(master_fixture("NSE_FO")))
    assert book.to_upstream("NFO", "NIFTY05DEC2426000CE").brsymbol == "NSE:NIFTY24D0526000CE"
    assert book.from_upstream("NFO", "NSE:NIFTY24D0526000CE").symbol == "NIFTY05DEC2426000CE"
    assert book.to_upstream("nse_index", "nifty").brsymbol == "NSE:NIFTY50-INDEX"
    assert book.to_upstream("NSE", "NOSUCH") is None


def test_short_and_blank_lines_are_skipped():
    assert parse_master("\n1,2,3\n") == []
