"""Upstox's instruments file, parsed into unified rows built from its columns."""

from __future__ import annotations

from datetime import date

import pytest

from brokers.upstox.symbols import expiry_date, parse_master
from brokers.upstox.tests.conftest import http_fixture


@pytest.fixture
def rows():
    return {(row.exchange, row.symbol): row for row in parse_master(http_fixture("instruments_ok"))}


@pytest.mark.parametrize(
    ("exchange", "symbol", "brexchange", "brsymbol", "token", "kind"),
    [
        ("NSE", "SBIN", "NSE_EQ", "SBIN", "NSE_EQ|INE062A01020", "EQ"),
        ("BSE", "RELIANCE", "BSE_EQ", "RELIANCE", "BSE_EQ|INE002A01018", "EQ"),
        ("NSE_INDEX", "NIFTY", "NSE_INDEX", "NIFTY", "NSE_INDEX|Nifty 50", "INDEX"),
        ("NSE_INDEX", "BANKNIFTY", "NSE_INDEX", "BANKNIFTY", "NSE_INDEX|Nifty Bank", "INDEX"),
        ("BSE_INDEX", "SENSEX", "BSE_INDEX", "SENSEX", "BSE_INDEX|SENSEX", "INDEX"),
        ("NFO", "NIFTY27FEB25FUT", "NSE_FO", "NIFTY FUT 27 FEB 25", "NSE_FO|35001", "FUT"),
        ("NFO", "NIFTY27FEB2522500CE", "NSE_FO", "NIFTY 22500 CE 27 FEB 25", "NSE_FO|37590", "CE"),
        ("NFO", "NIFTY20FEB2522000PE", "NSE_FO", "NIFTY 22000 PE 20 FEB 25", "NSE_FO|41234", "PE"),
        ("CDS", "USDINR27FEB2586.25CE", "NCD_FO", "USDINR 86.25 CE 27 FEB 25", "NCD_FO|12001", "CE"),
    ],
)
def test_each_row_gets_its_unified_name_from_the_columns(rows, exchange, symbol, brexchange, brsymbol, token, kind):
    row = rows[(exchange, symbol)]

    assert (row.brexchange, row.brsymbol, row.token, row.instrumenttype) == (brexchange, brsymbol, token, kind)


def test_a_derivative_carries_expiry_strike_lot_and_tick(rows):
    row = rows[("NFO", "NIFTY27FEB2522500CE")]

    assert (row.expiry, row.strike, row.lotsize, row.tick_size, row.name) == ("27-FEB-25", 22500.0, 75, 0.05, "NIFTY")
    assert rows[("NFO", "NIFTY27FEB25FUT")].strike == -1.0
    assert rows[("NSE", "SBIN")].expiry == ""


def test_rows_the_unified_format_cannot_name_are_skipped(rows):
    assert len(rows) == 9
    assert not any(row.brexchange == "NSE_COM" or "SPREAD" in row.brsymbol for row in rows.values())


@pytest.mark.parametrize(
    ("epoch_ms", "day"),
    [(1740680999000, date(2025, 2, 27)), (1740076199000, date(2025, 2, 20)), (1740594600000, date(2025, 2, 27))],
)
def test_an_expiry_is_read_as_the_trading_date_in_india(epoch_ms, day):
    # 23:59:59 IST on the day, and 00:00 IST on it (18:30 UTC the day before) are both that day.
    assert expiry_date(epoch_ms) == day


def test_the_book_maps_both_ways(book):
    row = book.to_upstream("NFO", "NIFTY27FEB2522500CE")

    assert book.from_upstream("NSE_FO", "NIFTY 22500 CE 27 FEB 25") is row
    assert book.by_token("NSE_FO|37590") is row
    assert book.to_upstream("nse", "sbin").token == "NSE_EQ|INE062A01020"
