"""The symbol master: what is listed, contract facts, rolling expiries, lookups and search."""

from __future__ import annotations

from datetime import date

import pytest

from sandbox.market import InstrumentType, SymbolMaster, parse_symbol

TODAY = date(2025, 11, 20)


@pytest.fixture(scope="module")
def master() -> SymbolMaster:
    return SymbolMaster(TODAY)


def test_cash_instruments(master):
    reliance = master.get("NSE", "RELIANCE")
    assert reliance.instrument_type is InstrumentType.EQUITY
    assert (reliance.lot_size, reliance.tick_size) == (1, 0.05)
    assert master.get("NSE", "M&M") is not None
    assert master.get("nse", "bajaj-auto") is not None
    assert master.get("NSE", "IDEA").tick_size == 0.01  # below Rs 250
    assert len(master.all("NSE")) >= 50
    for name in ("NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "NIFTYNXT50", "INDIAVIX"):
        assert master.get("NSE_INDEX", name).instrument_type is InstrumentType.INDEX
    assert {row.symbol for row in master.all("BSE_INDEX")} == {"SENSEX", "BANKEX"}
    assert master.get("NSE", "NOTLISTED") is None


@pytest.mark.parametrize(
    ("exchange", "name", "lot", "tick", "freeze"),
    [
        ("NFO", "NIFTY", 65, 0.05, 1800),
        ("NFO", "BANKNIFTY", 30, 0.05, 900),
        ("NFO", "FINNIFTY", 60, 0.05, 1800),
        ("BFO", "SENSEX", 20, 0.05, 1000),
        ("MCX", "CRUDEOIL", 100, 1.0, 0),
        ("MCX", "GOLD", 1, 1.0, 0),
        ("CDS", "USDINR", 1000, 0.0025, 0),
    ],
)
def test_contract_facts(master, exchange, name, lot, tick, freeze):
    rows = [row for row in master.all(exchange) if row.name == name]
    assert rows
    assert {(row.lot_size, row.tick_size, row.freeze_quantity) for row in rows} == {(lot, tick, freeze)}


def test_every_symbol_parses_back_to_its_row(master):
    for row in master.all():
        parsed = parse_symbol(row.symbol, row.exchange)
        assert parsed.name == row.name
        assert parsed.expiry == row.expiry
        assert parsed.strike == row.strike
        assert parsed.instrument_type is row.instrument_type


def test_tokens_are_unique_and_stable(master):
    tokens = [row.token for row in master.all()]
    assert len(set(tokens)) == len(tokens)
    assert SymbolMaster(TODAY).get("NSE", "SBIN").token == master.get("NSE", "SBIN").token


def test_nifty_expiries_are_tuesdays_with_three_monthly_futures(master):
    futures = master.expiries("NIFTY", "NFO", "futures")
    assert futures == [date(2025, 11, 25), date(2025, 12, 30), date(2026, 1, 27)]
    options = master.expiries("NIFTY", "NFO", InstrumentType.CALL)
    assert options[:4] == [date(2025, 11, 25), date(2025, 12, 2), date(2025, 12, 9), date(2025, 12, 16)]
    assert set(futures) <= set(options)
    assert all(day.weekday() == 1 for day in options)
    assert master.expiries("BANKNIFTY", "NFO", "options") == futures


def test_sensex_weeklies_are_thursdays(master):
    options = master.expiries("SENSEX", "BFO", "options")
    assert options[0] == TODAY  # an expiry on today is still listed
    # Every one is a Thursday, except December's: Christmas falls on it, so it moves to Wednesday.
    assert [day for day in options if day.weekday() != 3] == [date(2025, 12, 24)]


def test_expiries_roll_and_shift_off_holidays():
    later = SymbolMaster(date(2025, 11, 26))
    assert later.expiries("NIFTY", "NFO", "futures")[0] == date(2025, 12, 30)
    assert later.get("NFO", "NIFTY25NOV25FUT") is None
    # 14 March 2025 was Holi, so the crude future due on a later holiday-free 19th is unaffected,
    # but the NIFTY weekly due on Tuesday 14 April 2026 (Ambedkar Jayanti) moves to Monday.
    april = SymbolMaster(date(2026, 4, 8))
    assert date(2026, 4, 13) in april.expiries("NIFTY", "NFO", "options")
    assert date(2026, 4, 14) not in april.expiries("NIFTY", "NFO", "options")
    # Gold's April 2026 future: the 5th is a Sunday and the 3rd Good Friday, so it expires on the 2nd.
    assert date(2026, 4, 2) in SymbolMaster(date(2026, 3, 1)).expiries("GOLD", "MCX", "futures")


def test_strike_window_and_steps(master):
    expiry = master.expiries("NIFTY", "NFO", "options")[0]
    strikes = master.strikes("NIFTY", "NFO", expiry)
    assert len(strikes) == 41
    assert all(strike % 50 == 0 for strike in strikes)
    usdinr = master.strikes("USDINR", "CDS", master.expiries("USDINR", "CDS", "options")[0])
    assert all(abs(strike * 4 - round(strike * 4)) < 1e-9 for strike in usdinr)
    assert any(strike % 1 == 0.5 for strike in usdinr)


def test_prices_centre_the_strike_window():
    shifted = SymbolMaster(TODAY, prices={"NIFTY": 30000.0})
    strikes = shifted.strikes("NIFTY", "NFO", shifted.expiries("NIFTY", "NFO", "options")[0])
    assert strikes[20] == 30000.0


def test_underlying_of(master):
    future = master.get("NFO", "NIFTY25NOV25FUT")
    assert master.underlying_of(future).exchange == "NSE_INDEX"
    gold_option = next(row for row in master.all("MCX") if row.name == "GOLD" and row.is_option)
    underlying = master.underlying_of(gold_option)
    assert underlying.instrument_type is InstrumentType.FUTURE
    assert underlying.expiry >= gold_option.expiry
    assert master.underlying_of(master.get("NSE", "SBIN")) is None


def test_search_ranks_exact_then_prefix(master):
    results = master.search("sbin")
    assert results[0].symbol == "SBIN"
    both = master.search("NIFTY 26000 CE", exchange="NFO")
    assert both
    assert all(row.strike == 26000.0 and row.symbol.endswith("CE") for row in both)
    assert master.search("   ") == []
    assert len(master.search("NIFTY", limit=7)) == 7


def test_rolled_master_keeps_live_contracts_and_lists_new_ones(master):
    far_strike = master.strikes("NIFTY", "NFO", date(2025, 12, 30))[0]
    rolled = master.rolled(date(2025, 11, 26), {"NIFTY": 28000.0})
    assert rolled.option("NIFTY", "NFO", date(2025, 12, 30), far_strike, InstrumentType.CALL) is not None
    assert rolled.option("NIFTY", "NFO", date(2025, 12, 30), 28000.0, InstrumentType.PUT) is not None
    assert rolled.get("NFO", "NIFTY25NOV25FUT") is None
