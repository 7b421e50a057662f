"""The portfolio backtest: a basket bought at target weights on the first day, rebalanced on period
boundaries (when it drifted past the band), charged its trading costs, and measured every day.

Prices arrive as one days-by-assets matrix of closes on common trading days. Between rebalances the
value is one matrix product; the loop runs only over rebalance days (at most one a month).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from gateway.portfolio import metrics
from gateway.portfolio.costs import CostModel

REBALANCE_PERIODS = ("never", "monthly", "quarterly", "yearly")
MONTE_CARLO_PATHS = 500
MONTE_CARLO_SEED = 20_260_101  # fixed, so the same request always gets the same answer


@dataclass(frozen=True, slots=True)
class Simulation:
    values: NDArray  # the portfolio's value each day, after costs
    shares: NDArray  # days-by-assets units held at each day's close
    costs: float  # every rupee paid in trading costs
    turnover: float  # every rupee traded, both sides
    rebalances: list[date]


def period_keys(days: list[date], period: str) -> NDArray:
    """A number per day that changes exactly when a new rebalance period begins."""
    if period == "monthly":
        return np.array([day.year * 12 + day.month for day in days])
    if period == "quarterly":
        return np.array([day.year * 4 + (day.month - 1) // 3 for day in days])
    if period == "yearly":
        return np.array([day.year for day in days])
    return np.zeros(len(days), dtype=int)


def _trade(holding: NDArray, target: NDArray, value: float, costs: CostModel) -> tuple[NDArray, float, float]:
    """Values per asset after trading `holding` towards `target` weights with `value` to spend, and the
    cost and turnover of doing so: what is left after costs is what is held, found by a few fixed-point
    steps since the costs depend on the trades."""
    invested = value
    for _ in range(8):
        wanted = invested * target
        bought, sold = np.maximum(wanted - holding, 0.0), np.maximum(holding - wanted, 0.0)
        cost = float(bought.sum() * costs.buy + sold.sum() * costs.sell)
        invested = value - cost
    wanted = invested * target
    return wanted, cost, float(np.abs(wanted - holding).sum())


def simulate(
    days: list[date],
    prices: NDArray,
    weights: NDArray,
    capital: float,
    costs: CostModel,
    rebalance: str = "never",
    drift_band: float = 0.0,
) -> Simulation:
    target = weights / weights.sum()
    keys = period_keys(days, rebalance)
    # Rebalance on the first trading day of each new period, never on the first day (that is the purchase).
    starts = [0, *np.flatnonzero(np.diff(keys) != 0) + 1, len(days)]
    values = np.empty(len(days))
    shares = np.empty_like(prices, dtype=float)
    held, total_cost, turnover = np.zeros(len(target)), 0.0, 0.0
    rebalanced: list[date] = []
    for first, end in itertools.pairwise(starts):
        worth = held * prices[first]
        value = capital if first == 0 else float(worth.sum())
        drifted = first == 0 or np.abs(worth / value - target).max() > drift_band
        if drifted:
            wanted, cost, traded = _trade(worth, target, value, costs)
            held = wanted / prices[first]
            total_cost, turnover = total_cost + cost, turnover + traded
            if first:
                rebalanced.append(days[first])
        shares[first:end] = held
        values[first:end] = prices[first:end] @ held
    return Simulation(values, shares, total_cost, turnover, rebalanced)


def dated(days: list[date], values: NDArray, digits: int = 2) -> list[dict]:
    return [
        {"date": day.isoformat(), "value": round(float(value), digits)} for day, value in zip(days, values, strict=True)
    ]


def items(
    symbols: list[tuple[str, str]], days: list[date], prices: NDArray, sim: Simulation, weights: NDArray
) -> list[dict]:
    """Each holding's own figures and its share of the portfolio's gain (the attribution)."""
    target = weights / weights.sum()
    years = metrics.years_between(days[0], days[-1])
    worth = sim.shares * prices
    gain = sim.values[-1] - sim.values[0]
    # A holding's gain is the change in its value less what was put in or taken out at rebalances.
    flows = np.vstack([worth[:1] * 0, (sim.shares[1:] - sim.shares[:-1]) * prices[1:]])
    earned = worth[-1] - worth[0] - flows.sum(axis=0)
    rows = []
    for index, (symbol, exchange) in enumerate(symbols):
        column = prices[:, index]
        returns = metrics.daily_returns(column)
        rows.append(
            {
                "symbol": symbol,
                "exchange": exchange,
                "weight": metrics.finite(target[index]),
                "final_weight": metrics.finite(worth[-1, index] / sim.values[-1]),
                "start_price": metrics.finite(column[0], 4),
                "end_price": metrics.finite(column[-1], 4),
                "total_return": metrics.finite(column[-1] / column[0] - 1.0),
                "cagr": metrics.finite(metrics.cagr(column[0], column[-1], years)),
                "volatility": metrics.finite(metrics.volatility(returns)),
                "max_drawdown": metrics.finite(metrics.max_drawdown(column)),
                "contribution": metrics.finite(earned[index] / sim.values[0]),
                "share_of_gain": metrics.finite(earned[index] / gain) if gain else None,
            }
        )
    return rows


def correlation_block(symbols: list[tuple[str, str]], prices: NDArray) -> dict:
    matrix = metrics.correlation(np.column_stack([metrics.daily_returns(prices[:, i]) for i in range(prices.shape[1])]))
    return {
        "symbols": [symbol for symbol, _ in symbols],
        "matrix": [[metrics.finite(value, 4) for value in row] for row in matrix],
    }


def diversification(prices: NDArray, weights: NDArray, values: NDArray) -> dict:
    """How much the holdings' spread cuts the risk: the diversification ratio (weighted volatility of
    the parts over the volatility of the whole) and the effective number of holdings, 1 / sum(w^2)."""
    target = weights / weights.sum()
    vols = np.array([metrics.volatility(metrics.daily_returns(prices[:, i])) or 0.0 for i in range(prices.shape[1])])
    whole = metrics.volatility(metrics.daily_returns(values))
    return {
        "ratio": metrics.finite(float(target @ vols) / whole) if whole else None,
        "effective_holdings": metrics.finite(1.0 / float((target**2).sum()), 4),
        "largest_weight": metrics.finite(target.max()),
    }


def walk_forward(days: list[date], values: NDArray, risk_free_rate: float, benchmark: NDArray | None) -> list[dict]:
    """The headline figures of each calendar year on its own: does the result hold out of its best year?"""
    years = np.array([day.year for day in days])
    windows = []
    for year in np.unique(years):
        where = np.flatnonzero(years == year)
        # Each window starts at the previous close, so consecutive windows chain without a gap.
        first = max(where[0] - 1, 0)
        span = slice(first, where[-1] + 1)
        if span.stop - span.start < 2:
            continue
        figures = metrics.summary(
            days[span], values[span], risk_free_rate, None if benchmark is None else benchmark[span]
        )
        windows.append(
            {
                "period": str(year),
                "start": days[span.start].isoformat(),
                "end": days[span.stop - 1].isoformat(),
                "total_return": figures["total_return"],
                "volatility": figures["volatility"],
                "sharpe": figures["sharpe"],
                "max_drawdown": figures["max_drawdown"],
                "benchmark_return": metrics.finite(benchmark[span.stop - 1] / benchmark[span.start] - 1.0)
                if benchmark is not None
                else None,
            }
        )
    return windows


def monte_carlo(values: NDArray, paths: int = MONTE_CARLO_PATHS, seed: int = MONTE_CARLO_SEED) -> dict:
    """Bootstrap the daily returns (drawn with replacement) into `paths` alternative histories of the
    same length: the spread of the final value and the worst drawdown says how much was luck."""
    returns = metrics.daily_returns(values)
    if len(returns) < 2:
        return {"paths": 0, "final_value": {}, "max_drawdown": {}, "probability_of_loss": None}
    draws = np.random.default_rng(seed).choice(returns, size=(paths, len(returns)), replace=True)
    curves = values[0] * np.cumprod(1.0 + draws, axis=1)
    finals = curves[:, -1]
    peaks = np.maximum.accumulate(np.maximum(curves, values[0]), axis=1)
    deepest = (curves / peaks - 1.0).min(axis=1)
    quantiles = (5, 25, 50, 75, 95)
    return {
        "paths": paths,
        "seed": seed,
        "final_value": {f"p{q}": metrics.finite(np.percentile(finals, q), 2) for q in quantiles},
        "max_drawdown": {f"p{q}": metrics.finite(np.percentile(deepest, q)) for q in quantiles},
        "probability_of_loss": metrics.finite(float((finals < values[0]).mean()), 4),
    }


def rebalancing_sweep(
    days: list[date],
    prices: NDArray,
    weights: NDArray,
    capital: float,
    costs: CostModel,
    drift_band: float,
    risk_free_rate: float,
) -> list[dict]:
    """The same basket under every rebalancing schedule, to see what the schedule buys after costs."""
    rows = []
    for period in REBALANCE_PERIODS:
        sim = simulate(days, prices, weights, capital, costs, period, drift_band)
        figures = metrics.summary(days, sim.values, risk_free_rate)
        rows.append(
            {
                "rebalance": period,
                "final_value": figures["final_value"],
                "cagr": figures["cagr"],
                "volatility": figures["volatility"],
                "sharpe": figures["sharpe"],
                "max_drawdown": figures["max_drawdown"],
                "costs": round(sim.costs, 2),
                "rebalances": len(sim.rebalances),
            }
        )
    return rows


def monthly_returns(days: list[date], values: NDArray) -> list[dict]:
    """The return of each calendar month, from the previous month's last close."""
    keys = period_keys(days, "monthly")
    ends = [*np.flatnonzero(np.diff(keys) != 0), len(days) - 1]
    rows, previous = [], values[0]
    for end in ends:
        rows.append(
            {"year": days[end].year, "month": days[end].month, "return": metrics.finite(values[end] / previous - 1.0)}
        )
        previous = values[end]
    return rows
