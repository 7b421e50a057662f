"""Black-76: prices, Greeks and implied volatility of European options on a forward, vectorised.

Every function takes numpy-broadcastable arrays (or scalars) and works elementwise, so a whole
option chain is one call. Conventions follow OpenAlgo's Greeks API: `time` in years, `volatility`
and `rate` as decimals (0.15, 0.065), theta per calendar day, vega per one volatility point, rho per
one percentage point of rate. `is_call` is a boolean (or array of booleans).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sandbox.market.normal import cdf as normal_cdf

_DAYS_PER_YEAR = 365.0
_SQRT_TWO_PI = np.sqrt(2.0 * np.pi)
_VOLATILITY_FLOOR = 1e-9
_VOLATILITY_CEILING = 10.0  # 1000%: beyond this no quoted option price is meaningful

FloatArray = NDArray[np.float64]


def _normal_density(x: FloatArray) -> FloatArray:
    return np.exp(-0.5 * x * x) / _SQRT_TWO_PI


def _d1_d2(forward: FloatArray, strike: FloatArray, time: FloatArray, volatility: FloatArray):
    spread = volatility * np.sqrt(time)
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (np.log(forward / strike) + 0.5 * spread * spread) / spread
    return d1, d1 - spread


def _inputs(forward, strike, time, volatility, rate, is_call):
    arrays = np.broadcast_arrays(
        np.asarray(forward, dtype=float),
        np.asarray(strike, dtype=float),
        np.asarray(time, dtype=float),
        np.asarray(volatility, dtype=float),
        np.asarray(rate, dtype=float),
        np.asarray(is_call, dtype=bool),
    )
    return arrays


def price(
    forward: ArrayLike,
    strike: ArrayLike,
    time: ArrayLike,
    volatility: ArrayLike,
    rate: ArrayLike = 0.0,
    is_call: ArrayLike = True,
) -> FloatArray:
    """Discounted Black-76 value; at zero time or zero volatility it is the discounted intrinsic value."""
    forward, strike, time, volatility, rate, is_call = _inputs(
        forward, strike, time, volatility, rate, is_call
    )
    discount = np.exp(-rate * np.maximum(time, 0.0))
    sign = np.where(is_call, 1.0, -1.0)
    intrinsic = np.maximum(sign * (forward - strike), 0.0)
    alive = (time > 0) & (volatility > 0)
    d1, d2 = _d1_d2(forward, strike, np.where(alive, time, 1.0), np.where(alive, volatility, 1.0))
    value = sign * (forward * normal_cdf(sign * d1) - strike * normal_cdf(sign * d2))
    return discount * np.where(alive, value, intrinsic)


def delta(forward, strike, time, volatility, rate=0.0, is_call=True) -> FloatArray:
    """Change of value per unit change of the forward."""
    forward, strike, time, volatility, rate, is_call = _inputs(
        forward, strike, time, volatility, rate, is_call
    )
    d1, _ = _d1_d2(forward, strike, time, volatility)
    discount = np.exp(-rate * time)
    return np.where(is_call, discount * normal_cdf(d1), -discount * normal_cdf(-d1))


def gamma(forward, strike, time, volatility, rate=0.0, is_call=True) -> FloatArray:
    """Change of delta per unit change of the forward (the same for calls and puts)."""
    forward, strike, time, volatility, rate, _ = _inputs(forward, strike, time, volatility, rate, is_call)
    d1, _ = _d1_d2(forward, strike, time, volatility)
    return np.exp(-rate * time) * _normal_density(d1) / (forward * volatility * np.sqrt(time))


def vega(forward, strike, time, volatility, rate=0.0, is_call=True) -> FloatArray:
    """Change of value per one volatility point (0.01 of volatility)."""
    return _vega_per_unit(*_inputs(forward, strike, time, volatility, rate, is_call)[:5]) / 100.0


def _vega_per_unit(forward, strike, time, volatility, rate) -> FloatArray:
    d1, _ = _d1_d2(forward, strike, time, volatility)
    return np.exp(-rate * time) * forward * _normal_density(d1) * np.sqrt(time)


def theta(forward, strike, time, volatility, rate=0.0, is_call=True) -> FloatArray:
    """Change of value per calendar day that passes, the forward held fixed (negative for a long option)."""
    forward, strike, time, volatility, rate, is_call = _inputs(
        forward, strike, time, volatility, rate, is_call
    )
    d1, _ = _d1_d2(forward, strike, time, volatility)
    decay = np.exp(-rate * time) * forward * _normal_density(d1) * volatility / (2.0 * np.sqrt(time))
    value = price(forward, strike, time, volatility, rate, is_call)
    return (rate * value - decay) / _DAYS_PER_YEAR


def rho(forward, strike, time, volatility, rate=0.0, is_call=True) -> FloatArray:
    """Change of value per one percentage point of rate, the forward held fixed (Black-76: -T * V)."""
    forward, strike, time, volatility, rate, is_call = _inputs(
        forward, strike, time, volatility, rate, is_call
    )
    return -time * price(forward, strike, time, volatility, rate, is_call) / 100.0


def implied_volatility(
    option_price: ArrayLike,
    forward: ArrayLike,
    strike: ArrayLike,
    time: ArrayLike,
    rate: ArrayLike = 0.0,
    is_call: ArrayLike = True,
    *,
    tolerance: float = 1e-10,
    max_iterations: int = 100,
) -> FloatArray:
    """The volatility at which Black-76 gives `option_price`, elementwise.

    Newton steps inside a bracket that shrinks every iteration; a step that leaves the bracket, or
    a vanishing vega (deep in or out of the money), falls back to bisection, so every element
    converges. NaN where no volatility fits: a price below intrinsic value or at or above the
    no-arbitrage ceiling, or non-positive time. A price equal to intrinsic value gives 0.
    """
    target, forward, strike, time, rate, is_call = _inputs(option_price, forward, strike, time, rate, is_call)
    safe_time = np.where(time > 0, time, 1.0)
    discount = np.exp(-rate * safe_time)
    # Work with calls only: put-call parity moves a put's price onto the equivalent call.
    call_target = np.where(is_call, target, target + discount * (forward - strike))
    floor = discount * np.maximum(forward - strike, 0.0)
    ceiling = discount * forward
    scale = np.maximum(np.abs(call_target), 1e-300)
    at_intrinsic = np.abs(call_target - floor) <= tolerance * np.maximum(scale, 1.0)
    solvable = (time > 0) & (forward > 0) & (strike > 0) & (call_target > floor) & (call_target < ceiling)

    low = np.full(target.shape, _VOLATILITY_FLOOR)
    high = np.full(target.shape, _VOLATILITY_CEILING)
    # Brenner-Subrahmanyam near the money, widened by the log-moneyness term away from it.
    moneyness = np.abs(np.log(np.where(solvable, forward / strike, 1.0)))
    guess = np.sqrt(2.0 * np.pi / safe_time) * call_target / np.where(ceiling > 0, ceiling, 1.0)
    guess = np.clip(np.maximum(guess, np.sqrt(2.0 * moneyness / safe_time)), 0.01, 5.0)
    sigma = np.where(solvable, guess, 0.2)
    active = solvable.copy()
    for _ in range(max_iterations):
        if not active.any():
            break
        model = price(forward, strike, safe_time, sigma, rate, True)
        error = model - call_target
        converged = np.abs(error) <= tolerance * np.maximum(scale, 1.0)
        active &= ~converged
        high = np.where(active & (error > 0), sigma, high)
        low = np.where(active & (error < 0), sigma, low)
        slope = _vega_per_unit(forward, strike, safe_time, sigma, rate)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = sigma - error / slope
        inside = np.isfinite(newton) & (newton > low) & (newton < high)
        stepped = np.where(inside, newton, 0.5 * (low + high))
        sigma = np.where(active, stepped, sigma)
        active &= (high - low) > tolerance * 1e-2
    result = np.where(solvable, sigma, np.nan)
    return np.where(~solvable & at_intrinsic & (time > 0), 0.0, result)
