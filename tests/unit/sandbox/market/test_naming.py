"""Unified symbol format: building, parsing and expiry spellings."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.market import (
    InstrumentType,
    compact_expiry,
    dashed_expiry,
    format_strike,
    future_symbol,
    option_symbol,
    parse_expiry,
    parse_symbol,
)


@pytest.mark.parametrize(
    ("strike", "text"),
    [(20800.0, "20800"), (83.5, "83.5"), (88.25, "88.25"), (292.5, "292.5"), (100.0, "100"), (0.25, "0.25")],
)
def test_strike_has_no_trailing_zero_and_keeps_decimals(strike, text):
    assert format_strike(strike) == text


def test_documented_examples_are_built_exactly():
    assert future_symbol("NIFTY", date(2024, 3, 28)) == "NIFTY28MAR24FUT"
    assert option_symbol("NIFTY", date(2024, 3, 28), 20800, InstrumentType.CALL) == "NIFTY28MAR2420800CE"
    assert option_symbol("USDINR", date(2025, 1, 27), 83.5, InstrumentType.PUT) == "USDINR27JAN2583.5PE"
    assert option_symbol("VEDL", date(2024, 4, 25), 292.5, InstrumentType.CALL) == "VEDL25APR24292.5CE"


def test_option_symbol_refuses_a_future_type():
    with pytest.raises(ValueError):
        option_symbol("NIFTY", date(2024, 3, 28), 20800, InstrumentType.FUTURE)


def test_parse_reads_futures_options_and_cash():
    assert parse_symbol("CRUDEOIL19FEB25FUT") == parse_symbol("crudeoil19feb25fut")
    future = parse_symbol("BANKNIFTY27FEB25FUT")
    assert (future.name, future.instrument_type, future.expiry) == (
        "BANKNIFTY",
        InstrumentType.FUTURE,
        date(2025, 2, 27),
    )
    option = parse_symbol("NIFTYNXT5028MAR2470000PE")
    assert option.name == "NIFTYNXT50"
    assert option.strike == 70000.0
    assert option.instrument_type is InstrumentType.PUT
    assert parse_symbol("M&M").instrument_type is InstrumentType.EQUITY
    assert parse_symbol("BAJAJ-AUTO").name == "BAJAJ-AUTO"
    assert parse_symbol("NIFTY", "NSE_INDEX").instrument_type is InstrumentType.INDEX


def test_parse_rejects_impossible_dates():
    with pytest.raises(ValueError):
        parse_symbol("NIFTY31FEB25FUT")
    with pytest.raises(ValueError):
        parse_symbol("NIFTY28XYZ25FUT")


@given(
    name=st.sampled_from(["NIFTY", "BANKNIFTY", "USDINR", "M&M", "BAJAJ-AUTO", "NIFTYNXT50", "SENSEX"]),
    expiry=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    strike_steps=st.integers(min_value=1, max_value=400_000),
    step=st.sampled_from([0.25, 0.5, 1.0, 2.5, 50.0, 100.0]),
    kind=st.sampled_from([InstrumentType.CALL, InstrumentType.PUT]),
)
def test_option_symbols_round_trip(name, expiry, strike_steps, step, kind):
    strike = strike_steps * step
    parsed = parse_symbol(option_symbol(name, expiry, strike, kind))
    assert (parsed.name, parsed.expiry, parsed.strike, parsed.instrument_type) == (name, expiry, strike, kind)


@given(expiry=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_expiry_spellings_round_trip(expiry):
    assert parse_expiry(compact_expiry(expiry)) == expiry
    assert parse_expiry(dashed_expiry(expiry)) == expiry
    assert dashed_expiry(date(2025, 10, 28)) == "28-OCT-25"
    assert compact_expiry(date(2025, 10, 28)) == "28OCT25"
