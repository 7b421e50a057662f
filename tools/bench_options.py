"""Options benchmark: IV and Greeks of a 100-strike chain (200 options), our vectorised Black-76 against py_vollib.

Both sides get the same inputs in the same run: a forward, 100 strikes around it, calls and puts
priced on a smile. Ours is one `greeks_table` call for the whole chain; py_vollib is called once
per option, as a per-leg implementation would. The differences show both solve the same problem.
"""

from __future__ import annotations

import statistics
import time
import warnings

import numpy as np

from gateway.options import greeks_table, option_chain
from sandbox.market import OfflineMarket, black76

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # py_vollib now warns that it is vollib
    from py_vollib.black.greeks import analytical
    from py_vollib.black.implied_volatility import implied_volatility

FORWARD, STEP, STRIKES = 25_900.0, 50.0, 100
YEARS, RATE = 30 / 365, 0.065


def chain_inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(prices, strikes, is_call) of both sides of a 100-strike chain priced on a skewed smile."""
    strikes = FORWARD + STEP * (np.arange(STRIKES) - STRIKES // 2)
    moneyness = np.log(strikes / FORWARD)
    smile = 0.13 - 0.10 * moneyness + 0.9 * moneyness**2
    strikes = np.concatenate([strikes, strikes])
    is_call = np.repeat([True, False], STRIKES)
    prices = black76.price(FORWARD, strikes, YEARS, np.concatenate([smile, smile]), RATE, is_call)
    return prices, strikes, is_call


def _ours(prices, strikes, is_call):
    return greeks_table(prices, FORWARD, strikes, YEARS, RATE, is_call)


def _vollib(prices, strikes, is_call) -> tuple[np.ndarray, np.ndarray]:
    volatility, delta = np.empty(len(prices)), np.empty(len(prices))
    for index, (price, strike, call) in enumerate(zip(prices, strikes, is_call, strict=True)):
        flag = "c" if call else "p"
        sigma = implied_volatility(price, FORWARD, strike, RATE, YEARS, flag)
        volatility[index], delta[index] = sigma, analytical.delta(flag, FORWARD, strike, YEARS, RATE, sigma)
        for greek in (analytical.gamma, analytical.theta, analytical.vega, analytical.rho):
            greek(flag, FORWARD, strike, YEARS, RATE, sigma)
    return volatility, delta


def _median_ms(work, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(repeats: int = 50) -> dict:
    prices, strikes, is_call = chain_inputs()
    table = _ours(prices, strikes, is_call)
    volatility, delta = _vollib(prices, strikes, is_call)
    ours_ms = _median_ms(lambda: _ours(prices, strikes, is_call), repeats)
    vollib_ms = _median_ms(lambda: _vollib(prices, strikes, is_call), max(5, repeats // 5))
    market = OfflineMarket(7)
    endpoint_ms = _median_ms(
        lambda: option_chain(market, underlying="NIFTY", exchange="NSE_INDEX", with_greeks=True), max(5, repeats // 5)
    )
    return {
        "options_per_chain": len(prices),
        "vectorised_ms_per_chain": round(ours_ms, 3),
        "py_vollib_ms_per_chain": round(vollib_ms, 3),
        "speedup": round(vollib_ms / ours_ms, 1),
        "max_abs_difference_iv": float(np.max(np.abs(table.volatility - volatility))),
        "max_abs_difference_delta": float(np.max(np.abs(table.delta - delta))),
        "all_solved": bool(table.has_time_value.all()),
        "optionchain_with_greeks_ms": round(endpoint_ms, 2),  # 41 NIFTY strikes on the offline market, quotes included
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
