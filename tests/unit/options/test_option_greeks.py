"""POST /optiongreeks and /multioptiongreeks, and the vectorised Black-76 table against py_vollib."""

from datetime import datetime

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from py_vollib.black import black
from py_vollib.black.greeks import analytical
from py_vollib.black.implied_volatility import implied_volatility

from gateway import options
from generated.errors import ValidationFailed
from sandbox.market import IST, InstrumentType, OfflineMarket, option_symbol

GREEKS = ("delta", "gamma", "theta", "vega", "rho")


@pytest.fixture
def atm_call(nifty_expiry, nifty_atm) -> str:
    return option_symbol("NIFTY", nifty_expiry, nifty_atm, InstrumentType.CALL)


def _vollib(body: dict, rate: float = 0.0) -> tuple[float, dict]:
    flag = "c" if body["option_type"] == "CE" else "p"
    forward, strike, years = body["spot_price"], body["strike"], body["days_to_expiry"] / 365.0
    sigma = implied_volatility(body["option_price"], forward, strike, rate, years, flag)
    return sigma, {name: getattr(analytical, name)(flag, forward, strike, years, rate, sigma) for name in GREEKS}


def test_greeks_match_py_vollib_on_the_synthetic_forward(ask, atm_call, nifty_expiry_text):
    synthetic = ask("syntheticfuture", underlying="NIFTY", exchange="NSE_INDEX", expiry_date=nifty_expiry_text)

    body = ask("optiongreeks", symbol=atm_call, exchange="NFO", interest_rate="6.5")

    assert body["spot_price"] == synthetic["synthetic_future_price"]
    assert (body["underlying"], body["option_type"], body["interest_rate"]) == ("NIFTY", "CE", 6.5)
    sigma, expected = _vollib(body, 0.065)
    assert body["implied_volatility"] == pytest.approx(sigma * 100, abs=0.011)
    for name in GREEKS:
        assert body["greeks"][name] == pytest.approx(expected[name], rel=2e-3, abs=1e-4), name


def test_single_greeks_agree_with_the_chain(ask, atm_call, nifty_expiry_text):
    chain = ask(
        "optionchain",
        underlying="NIFTY",
        exchange="NSE_INDEX",
        expiry_date=nifty_expiry_text,
        strike_count=1,
        with_greeks=True,
    )
    leg = next(row["ce"] for row in chain["chain"] if row["ce"]["symbol"] == atm_call)

    body = ask("optiongreeks", symbol=atm_call, exchange="NFO")

    assert body["implied_volatility"] == leg["implied_volatility"]
    assert body["greeks"]["delta"] == leg["delta"]
    assert body["greeks"]["vega"] == leg["vega"]


def test_forward_price_override_is_used_as_is(ask, atm_call, nifty_atm):
    # A forward just above the strike keeps the option's price above its intrinsic value wherever the
    # simulated index stands at the hour the test runs.
    forward = nifty_atm + 10
    body = ask("optiongreeks", symbol=atm_call, exchange="NFO", forward_price=str(forward))

    assert body["spot_price"] == forward
    sigma, _ = _vollib(body)
    assert body["implied_volatility"] == pytest.approx(sigma * 100, abs=0.011)


def test_underlying_symbol_override_reads_that_price(ask, market, atm_call, nifty_expiry):
    future = market.master.expiries("NIFTY", "NFO", "futures")[0]
    symbol = f"NIFTY{future:%d%b%y}FUT".upper()

    body = ask("optiongreeks", symbol=atm_call, exchange="NFO", underlying_symbol=symbol, underlying_exchange="NFO")

    assert body["spot_price"] == market.quote("NFO", symbol).ltp


def test_option_without_time_value_gets_theoretical_greeks(ask, atm_call):
    body = ask("optiongreeks", symbol=atm_call, exchange="NFO", forward_price=99999)

    assert body["implied_volatility"] == 0
    assert body["greeks"] == {"delta": 1.0, "gamma": 0.0, "theta": 0.0, "vega": 0.0, "rho": 0.0}
    assert body["intrinsic_value"] > body["option_price"] and body["time_value"] == 0
    assert "note" in body


def test_unknown_option_is_404(ask, nifty_expiry):
    body = ask(
        "optiongreeks", 404, symbol=option_symbol("NIFTY", nifty_expiry, 99999, InstrumentType.PUT), exchange="NFO"
    )

    assert body["code"] == "SYMBOL_NOT_FOUND"


def test_future_is_not_an_option(ask, market):
    future = market.master.expiries("NIFTY", "NFO", "futures")[0]

    body = ask("optiongreeks", 400, symbol=f"NIFTY{future:%d%b%y}FUT".upper(), exchange="NFO")

    assert list(body["errors"]) == ["symbol"]


@pytest.mark.parametrize("expiry_time", ["25:00", "3pm", "12:60"])
def test_bad_expiry_time_is_400(ask, atm_call, expiry_time):
    assert list(ask("optiongreeks", 400, symbol=atm_call, exchange="NFO", expiry_time=expiry_time)["errors"]) == [
        "expiry_time"
    ]


def test_cash_exchange_is_refused_by_the_schema(ask, atm_call):
    assert list(ask("optiongreeks", 400, symbol=atm_call, exchange="NSE")["errors"]) == ["exchange"]


def test_multi_greeks_reports_each_symbol_in_order(ask, atm_call, nifty_expiry):
    missing = option_symbol("NIFTY", nifty_expiry, 99999, InstrumentType.CALL)
    put = atm_call[:-2] + "PE"

    body = ask(
        "multioptiongreeks",
        symbols=[
            {"symbol": atm_call, "exchange": "NFO"},
            {"symbol": missing, "exchange": "NFO"},
            {"symbol": put, "exchange": "NFO"},
        ],
    )

    assert body["status"] == "partial"
    assert body["summary"] == {"total": 3, "success": 2, "failed": 1}
    assert [item["status"] for item in body["data"]] == ["success", "error", "success"]
    assert body["data"][1]["symbol"] == missing and missing in body["message"]
    single = ask("optiongreeks", symbol=put, exchange="NFO")
    assert body["data"][2] == single


def test_multi_greeks_all_failing_is_still_200_with_status_error(ask):
    body = ask("multioptiongreeks", symbols=[{"symbol": "NOPE", "exchange": "NFO"}])

    assert body["status"] == "error"
    assert body["summary"]["failed"] == 1


@pytest.mark.parametrize("count", [0, 51])
def test_multi_greeks_takes_one_to_fifty_symbols(ask, atm_call, count):
    body = ask("multioptiongreeks", 400, symbols=[{"symbol": atm_call, "exchange": "NFO"}] * count)

    assert list(body["errors"]) == ["symbols"]


def test_expired_option_is_400_alone_and_a_noted_success_in_a_batch():
    # 1 Dec 2026 is a Tuesday: NIFTY's weekly expires at 15:30 and is still listed that evening.
    market = OfflineMarket(7, start=datetime(2026, 12, 1, 16, 0, tzinfo=IST))
    expiry = market.master.expiries("NIFTY", "NFO", "options")[0]
    strike = market.master.strikes("NIFTY", "NFO", expiry)[20]
    symbol = option_symbol("NIFTY", expiry, strike, InstrumentType.CALL)
    assert expiry == datetime(2026, 12, 1).date()

    with pytest.raises(ValidationFailed, match="Option has expired on 01-Dec-2026"):
        options.option_greeks(market, symbol=symbol, exchange="NFO")
    batch = options.multi_option_greeks(market, [{"symbol": symbol, "exchange": "NFO"}])

    assert batch["status"] == "success"
    assert batch["data"][0]["greeks"] == dict.fromkeys(GREEKS, 0.0) and "expired" in batch["data"][0]["note"]


def test_later_expiry_time_keeps_an_option_alive():
    market = OfflineMarket(7, start=datetime(2026, 12, 1, 16, 0, tzinfo=IST))
    expiry = market.master.expiries("NIFTY", "NFO", "options")[0]
    strike = market.master.strikes("NIFTY", "NFO", expiry)[20]

    body = options.option_greeks(
        market, symbol=option_symbol("NIFTY", expiry, strike, InstrumentType.CALL), exchange="NFO", expiry_time="19:00"
    )

    assert body["days_to_expiry"] == pytest.approx(3 / 24, abs=1e-3)


@settings(max_examples=200)
@given(
    forward=st.floats(100, 100_000),
    moneyness=st.floats(0.8, 1.25),
    years=st.floats(2 / 365, 2.0),
    sigma=st.floats(0.05, 1.0),
    rate=st.floats(0.0, 0.1),
    flag=st.sampled_from("cp"),
)
def test_greeks_table_agrees_with_py_vollib(forward, moneyness, years, sigma, rate, flag):
    strike = forward * moneyness
    price = black(flag, forward, strike, years, rate, sigma)
    intrinsic = max(forward - strike, 0) if flag == "c" else max(strike - forward, 0)
    assume(price - intrinsic > 1e-4 * forward)  # enough time value for the volatility to be well defined

    table = options.greeks_table([price], forward, [strike], years, rate, [flag == "c"])

    assert table.has_time_value[0]
    assert table.volatility[0] == pytest.approx(implied_volatility(price, forward, strike, rate, years, flag), rel=1e-6)
    for name in GREEKS:
        expected = getattr(analytical, name)(flag, forward, strike, years, rate, sigma)
        assert getattr(table, name)[0] == pytest.approx(expected, rel=1e-5, abs=1e-9), name


def test_greeks_table_marks_unpriced_and_intrinsic_legs_theoretical():
    table = options.greeks_table(
        prices=[0.0, 100.0, 1.0, 250.0],
        forwards=1000.0,
        strikes=[1000.0, 900.0, 1100.0, 1000.0],
        years=0.1,
        rates=0.0,
        is_call=[True, True, False, False],
    )

    assert table.has_time_value.tolist() == [False, False, False, True]
    assert table.delta[:3].tolist() == [0.0, 1.0, -1.0]
    assert np.all(table.volatility[:3] == 0) and table.volatility[3] > 0


def test_deep_in_the_money_option_below_undiscounted_intrinsic_is_still_solved():
    # At 6.5% a deep call is worth e^(-rT) (F - K) plus a little, less than F - K itself.
    price = black(flag="c", F=25_900.0, K=23_400.0, t=30 / 365, r=0.065, sigma=0.15)
    assert price < 25_900.0 - 23_400.0

    table = options.greeks_table([price], 25_900.0, [23_400.0], 30 / 365, 0.065, [True])

    assert table.has_time_value[0]
    assert table.volatility[0] == pytest.approx(0.15, rel=1e-6)
