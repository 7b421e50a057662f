"""Performance figures of a value series, vectorised with numpy: returns, CAGR, volatility, Sharpe,
Sortino, drawdowns, beta and alpha against a benchmark, and XIRR of dated cash flows.

Every figure is a fraction (0.12 is 12 %), annualised over 252 trading days a year; a figure that
cannot be computed (a flat series has no Sharpe ratio) is None rather than infinity or NaN, so the
answer stays valid JSON.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np
from numpy.typing import NDArray

TRADING_DAYS = 252
DAYS_PER_YEAR = 365.25  # CAGR spans calendar time
XIRR_DAYS = 365.0  # the spreadsheet convention for XIRR


def finite(value: float | None, digits: int = 6) -> float | None:
    """`value` rounded, or None when it is not a finite number."""
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def daily_returns(values: NDArray) -> NDArray:
    values = np.asarray(values, dtype=float)
    return values[1:] / values[:-1] - 1.0


def years_between(first: date, last: date) -> float:
    return (last - first).days / DAYS_PER_YEAR


def cagr(start_value: float, end_value: float, years: float) -> float | None:
    if years <= 0 or start_value <= 0 or end_value <= 0:
        return None
    return (end_value / start_value) ** (1.0 / years) - 1.0


def volatility(returns: NDArray) -> float | None:
    return float(np.std(returns, ddof=1) * math.sqrt(TRADING_DAYS)) if len(returns) > 1 else None


def sharpe(returns: NDArray, risk_free_rate: float) -> float | None:
    if len(returns) < 2:
        return None
    excess = returns - risk_free_rate / TRADING_DAYS
    spread = np.std(returns, ddof=1)
    return float(excess.mean() / spread * math.sqrt(TRADING_DAYS)) if spread > 0 else None


def sortino(returns: NDArray, risk_free_rate: float) -> float | None:
    """Mean excess return over the downside deviation (the root mean square of the shortfalls)."""
    if len(returns) < 2:
        return None
    excess = returns - risk_free_rate / TRADING_DAYS
    downside = math.sqrt(float(np.mean(np.minimum(excess, 0.0) ** 2)))
    return float(excess.mean() / downside * math.sqrt(TRADING_DAYS)) if downside > 0 else None


def drawdown(values: NDArray) -> NDArray:
    """Each day's fall from the highest value so far (0 at a new high, -0.25 a quarter below it)."""
    values = np.asarray(values, dtype=float)
    return values / np.maximum.accumulate(values) - 1.0


def max_drawdown(values: NDArray) -> float:
    return float(drawdown(values).min()) if len(values) else 0.0


def longest_underwater(values: NDArray) -> int:
    """The most consecutive observations spent below an earlier high."""
    below = drawdown(values) < 0
    if not below.any():
        return 0
    # Runs of True: positions where a run starts and ends, from the edges of the padded mask.
    edges = np.diff(np.concatenate(([0], below.astype(np.int8), [0])))
    return int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max())


def beta_alpha(returns: NDArray, benchmark: NDArray, risk_free_rate: float) -> tuple[float | None, float | None]:
    """Beta (covariance over benchmark variance) and Jensen's alpha, annualised."""
    if len(returns) < 2:
        return None, None
    variance = np.var(benchmark, ddof=1)
    if variance <= 0:
        return None, None
    beta = float(np.cov(returns, benchmark, ddof=1)[0, 1] / variance)
    daily_rf = risk_free_rate / TRADING_DAYS
    alpha = float(((returns - daily_rf).mean() - beta * (benchmark - daily_rf).mean()) * TRADING_DAYS)
    return beta, alpha


def tracking(returns: NDArray, benchmark: NDArray) -> tuple[float | None, float | None]:
    """Tracking error and information ratio against the benchmark, annualised."""
    if len(returns) < 2:
        return None, None
    active = returns - benchmark
    error = float(np.std(active, ddof=1) * math.sqrt(TRADING_DAYS))
    return error, (float(active.mean() * TRADING_DAYS / error) if error > 0 else None)


def summary(
    days: Sequence[date], values: NDArray, risk_free_rate: float, benchmark_values: NDArray | None = None
) -> dict[str, float | int | None]:
    """The headline figures of one value series (and, given one, against a benchmark on the same days)."""
    values = np.asarray(values, dtype=float)
    returns = daily_returns(values)
    years = years_between(days[0], days[-1])
    growth = cagr(values[0], values[-1], years)
    deepest = max_drawdown(values)
    figures: dict[str, float | int | None] = {
        "start_value": values[0],
        "final_value": values[-1],
        "total_return": values[-1] / values[0] - 1.0,
        "cagr": growth,
        "volatility": volatility(returns),
        "sharpe": sharpe(returns, risk_free_rate),
        "sortino": sortino(returns, risk_free_rate),
        "max_drawdown": deepest,
        "max_drawdown_days": longest_underwater(values),
        "calmar": growth / -deepest if growth is not None and deepest < 0 else None,
        "best_day": returns.max() if len(returns) else None,
        "worst_day": returns.min() if len(returns) else None,
        "positive_days": float((returns > 0).mean()) if len(returns) else None,
        "days": len(values),
        "years": years,
        "beta": None,
        "alpha": None,
        "tracking_error": None,
        "information_ratio": None,
    }
    if benchmark_values is not None:
        benchmark = daily_returns(benchmark_values)
        figures["beta"], figures["alpha"] = beta_alpha(returns, benchmark, risk_free_rate)
        figures["tracking_error"], figures["information_ratio"] = tracking(returns, benchmark)
    return {name: value if isinstance(value, int) else finite(value) for name, value in figures.items()}


def xirr(days: Sequence[date], amounts: Sequence[float]) -> float | None:
    """The annual rate at which the dated cash flows are worth nothing today (None when there is none).

    Outflows are negative, the final value positive. Newton's method from 10 %, guarded by bisection
    on a bracket where the net present value changes sign, so a far-off or negative rate still converges.
    """
    amounts = np.asarray(amounts, dtype=float)
    if len(amounts) < 2 or not (amounts < 0).any() or not (amounts > 0).any():
        return None
    first = days[0]
    years = np.array([(day - first).days for day in days], dtype=float) / XIRR_DAYS

    def npv(rate: float) -> float:
        return float(np.sum(amounts / (1.0 + rate) ** years))

    def slope(rate: float) -> float:
        return float(np.sum(-years * amounts / (1.0 + rate) ** (years + 1.0)))

    low, high = -0.9999, 1.0
    while npv(high) > 0 and high < 1e6:  # widen until the bracket holds a sign change
        high *= 4.0
    if np.sign(npv(low)) == np.sign(npv(high)):
        return None
    rate = 0.1
    for _ in range(200):
        value = npv(rate)
        if abs(value) < 1e-9 * max(1.0, float(np.abs(amounts).max())):
            return rate
        if np.sign(value) == np.sign(npv(low)):
            low = rate
        else:
            high = rate
        step = slope(rate)
        guess = rate - value / step if step else None
        rate = guess if guess is not None and low < guess < high else (low + high) / 2.0
    return rate


def correlation(returns: NDArray) -> NDArray:
    """Pairwise correlation of the columns of a days-by-assets return matrix (NaN for a flat column)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.corrcoef(returns, rowvar=False).reshape(returns.shape[1], returns.shape[1])
