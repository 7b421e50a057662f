"""Black-76 prices, Greeks and implied volatility."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.market import delta, gamma, implied_volatility, price, rho, theta, vega


def test_known_values():
    # At the money with no rate: F * (2N(sigma sqrt(T) / 2) - 1).
    assert float(price(100, 100, 1.0, 0.2)) == pytest.approx(7.965567455405804, rel=1e-12)
    # Hull's futures-option example: F = K = 20, r = 9%, T = 4 months, sigma = 25% gives a put of 1.12.
    assert float(price(20, 20, 4 / 12, 0.25, 0.09, False)) == pytest.approx(1.12, abs=0.005)


def test_expired_or_zero_volatility_is_discounted_intrinsic():
    assert float(price(110, 100, 0.0, 0.2)) == pytest.approx(10.0)
    assert float(price(90, 100, 0.0, 0.2, 0.0, False)) == pytest.approx(10.0)
    assert float(price(110, 100, 0.5, 0.0, 0.1)) == pytest.approx(10.0 * math.exp(-0.05))
    assert float(price(90, 100, 0.0, 0.2)) == 0.0


def test_vectorised_over_a_chain():
    strikes = np.arange(20000, 30001, 50.0)
    calls = price(25000, strikes, 0.05, 0.15, 0.06, True)
    puts = price(25000, strikes, 0.05, 0.15, 0.06, False)
    assert calls.shape == strikes.shape
    assert np.all(np.diff(calls) < 0)
    assert np.all(np.diff(puts) > 0)


@given(
    forward=st.floats(10, 100_000),
    moneyness=st.floats(0.5, 2.0),
    time=st.floats(1e-3, 3.0),
    volatility=st.floats(0.01, 2.0),
    rate=st.floats(0.0, 0.15),
)
def test_put_call_parity_and_bounds(forward, moneyness, time, volatility, rate):
    strike = forward * moneyness
    call = float(price(forward, strike, time, volatility, rate, True))
    put = float(price(forward, strike, time, volatility, rate, False))
    discount = math.exp(-rate * time)
    assert call - put == pytest.approx(discount * (forward - strike), abs=1e-9 * forward)
    assert (
        discount * max(forward - strike, 0.0) - 1e-9 * forward <= call <= discount * forward + 1e-9 * forward
    )
    assert discount * max(strike - forward, 0.0) - 1e-9 * forward <= put <= discount * strike + 1e-9 * forward


def test_greeks_match_finite_differences():
    forward, strike, time, volatility, rate = 25000.0, 25300.0, 30 / 365, 0.16, 0.065
    bump = 1.0
    for is_call in (True, False):

        def value(f=forward, t=time, s=volatility, r=rate, is_call=is_call):
            return float(price(f, strike, t, s, r, is_call))

        numeric_delta = (value(f=forward + bump) - value(f=forward - bump)) / (2 * bump)
        numeric_gamma = (value(f=forward + bump) - 2 * value() + value(f=forward - bump)) / bump**2
        numeric_vega = (value(s=volatility + 1e-4) - value(s=volatility - 1e-4)) / 2e-4 / 100
        numeric_theta = (value(t=time - 1 / 365) - value()) * 1.0
        numeric_rho = (value(r=rate + 1e-4) - value(r=rate - 1e-4)) / 2e-4 / 100
        arguments = (forward, strike, time, volatility, rate, is_call)
        assert float(delta(*arguments)) == pytest.approx(numeric_delta, rel=1e-5)
        assert float(gamma(*arguments)) == pytest.approx(numeric_gamma, rel=1e-3)
        assert float(vega(*arguments)) == pytest.approx(numeric_vega, rel=1e-5)
        assert float(theta(*arguments)) == pytest.approx(numeric_theta, rel=1e-2)
        assert float(rho(*arguments)) == pytest.approx(numeric_rho, rel=1e-5)


def test_delta_signs_and_limits():
    assert float(delta(25000, 20000, 0.05, 0.15)) == pytest.approx(1.0, abs=1e-6)
    assert float(delta(25000, 30000, 0.05, 0.15, 0.0, False)) == pytest.approx(-1.0, abs=1e-6)
    assert 0.4 < float(delta(100, 100, 0.5, 0.2)) < 0.6


@settings(max_examples=300)
@given(
    moneyness=st.floats(0.7, 1.4),
    time=st.floats(2 / 365, 2.0),
    volatility=st.floats(0.03, 1.5),
    rate=st.floats(0.0, 0.12),
    is_call=st.booleans(),
)
def test_implied_volatility_round_trip(moneyness, time, volatility, rate, is_call):
    forward = 25000.0
    strike = forward * moneyness
    value = float(price(forward, strike, time, volatility, rate, is_call))
    intrinsic = math.exp(-rate * time) * max((forward - strike) if is_call else (strike - forward), 0.0)
    # Below about a millionth of the forward in time value, the price no longer pins the volatility.
    if value - intrinsic < 1e-6 * forward:
        return
    solved = float(implied_volatility(value, forward, strike, time, rate, is_call))
    assert solved == pytest.approx(volatility, rel=1e-6, abs=1e-7)


def test_implied_volatility_on_whole_arrays_including_the_wings():
    strikes = np.array([15000.0, 20000.0, 24000.0, 25000.0, 26000.0, 30000.0, 40000.0])
    volatility = np.array([0.35, 0.25, 0.18, 0.15, 0.14, 0.2, 0.45])
    is_call = strikes >= 25000
    prices = price(25000.0, strikes, 0.25, volatility, 0.06, is_call)
    assert np.allclose(
        implied_volatility(prices, 25000.0, strikes, 0.25, 0.06, is_call), volatility, rtol=1e-6
    )
    deep_in = price(25000.0, strikes, 0.25, volatility, 0.06, ~is_call)  # the expensive side
    assert np.allclose(
        implied_volatility(deep_in, 25000.0, strikes, 0.25, 0.06, ~is_call), volatility, rtol=1e-4
    )


def test_no_solution_is_nan():
    solved = implied_volatility(
        [19.0, 101.0, -1.0, 5.0], 100.0, [80.0, 80.0, 100.0, 100.0], [0.5, 0.5, 0.5, 0.0]
    )
    assert np.isnan(solved).all()
    assert float(implied_volatility(20.0, 100.0, 80.0, 0.5)) == 0.0  # exactly intrinsic: no time value
