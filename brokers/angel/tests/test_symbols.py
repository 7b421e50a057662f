"""Angel's scrip master, parsed into unified rows."""

from __future__ import annotations

from brokers.angel.symbols import parse_master, record_from_upstream
from brokers.angel.tests.conftest import http_fixture


def test_rows_are_unified(book):
    rows = {(row.exchange, row.symbol): row for row in book.records}
    sbin = rows[("NSE", "SBIN")]
    assert (sbin.brsymbol, sbin.brexchange, sbin.token, sbin.tick_size, sbin.strike) == (
        "SBIN-EQ",
        "NSE",
        "3045",
        0.05,
        -1.0,
    )
    assert rows[("BSE", "SBIN")].brsymbol == "SBIN"
    assert rows[("NSE", "FOO-BE")].instrumenttype == "EQ"  # another series keeps its suffix
    nifty = rows[("NSE_INDEX", "NIFTY")]
    assert (nifty.brsymbol, nifty.brexchange, nifty.instrumenttype) == ("Nifty 50", "NSE", "INDEX")
    assert rows[("NSE_INDEX", "INDIAVIX")].brsymbol == "India VIX"
    assert rows[("BSE_INDEX", "SENSEX")].token == "99919000"
    future = rows[("NFO", "NIFTY26DEC24FUT")]
    assert (future.expiry, future.lotsize, future.instrumenttype) == ("26-DEC-24", 25, "FUT")
    call = rows[("NFO", "NIFTY26DEC2426000CE")]
    assert (call.strike, call.expiry, call.instrumenttype) == (26000.0, "26-DEC-24", "CE")
    assert rows[("NFO", "NIFTY05DEC2426000PE")].instrumenttype == "PE"
    currency = rows[("CDS", "USDINR27DEC2483.25CE")]
    assert (currency.strike, currency.tick_size) == (83.25, 0.0025)
    assert rows[("MCX", "CRUDEOIL19DEC24FUT")].tick_size == 1.0


def test_unnamed_rows_are_skipped():
    assert record_from_upstream(http_fixture("scrip_master_ok")[-1]) is None  # NCDEX commodity
    assert len(parse_master(http_fixture("scrip_master_ok"))) == 11


def test_book_maps_both_ways_and_by_segment_token(book):
    assert book.from_upstream("NSE", "SBIN-EQ").symbol == "SBIN"
    assert book.by_token("3045", "BSE").exchange == "BSE"
    assert book.to_upstream("nfo", "nifty26dec24fut").brsymbol == "NIFTY26DEC24FUT"
