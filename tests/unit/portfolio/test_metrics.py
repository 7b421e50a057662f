"""The backtest figures against independent computations: plain loops, the statistics module and
scipy's root finder, on pinned series."""

from __future__ import annotations

import math
import statistics
from datetime import date, timedelta

import numpy as np
import pytest
from scipy.optimize import brentq

from gateway.portfolio import backtest, metrics, sip
from gateway.portfolio.costs import cost_model
from generated.errors import ValidationFailed

# Forty weekdays of two stocks and an index, with a rally, a slump and a recovery in them.
DAYS = [
    date(2025, 1, 1) + timedelta(days=i) for i in range(60) if (date(2025, 1, 1) + timedelta(days=i)).weekday() < 5
][:40]
A = np.array([100 * (1 + 0.05 * math.sin(i / 3) + 0.004 * i) for i in range(40)])
B = np.array([50 * (1 - 0.006 * i + 0.02 * math.cos(i / 2)) for i in range(40)])
INDEX = np.array([1000 * (1 + 0.002 * i + 0.005 * math.sin(i)) for i in range(40)])
NO_COSTS = cost_model(model="flat_bps")


def _loop_max_drawdown(values) -> float:
    peak, deepest = values[0], 0.0
    for value in values:
        peak = max(peak, value)
        deepest = min(deepest, value / peak - 1)
    return deepest


def _loop_returns(values) -> list[float]:
    return [values[i] / values[i - 1] - 1 for i in range(1, len(values))]


def test_cagr_and_max_drawdown_match_a_plain_loop():
    figures = metrics.summary(DAYS, A, 0.0)

    years = (DAYS[-1] - DAYS[0]).days / 365.25
    assert figures["cagr"] == pytest.approx((A[-1] / A[0]) ** (1 / years) - 1, abs=1e-6)
    assert figures["max_drawdown"] == pytest.approx(_loop_max_drawdown(list(A)), abs=1e-6)
    assert figures["max_drawdown"] < 0
    assert figures["total_return"] == pytest.approx(A[-1] / A[0] - 1, abs=1e-6)


def test_volatility_sharpe_and_sortino_match_the_statistics_module():
    rf = 0.065
    returns = _loop_returns(list(B))
    excess = [r - rf / 252 for r in returns]
    downside = math.sqrt(sum(min(e, 0.0) ** 2 for e in excess) / len(excess))

    figures = metrics.summary(DAYS, B, rf)

    assert figures["volatility"] == pytest.approx(statistics.stdev(returns) * math.sqrt(252), abs=1e-6)
    assert figures["sharpe"] == pytest.approx(
        statistics.mean(excess) / statistics.stdev(returns) * math.sqrt(252), abs=1e-5
    )
    assert figures["sortino"] == pytest.approx(statistics.mean(excess) / downside * math.sqrt(252), abs=1e-5)
    assert figures["best_day"] == pytest.approx(max(returns), abs=1e-6)
    assert figures["positive_days"] == pytest.approx(sum(r > 0 for r in returns) / len(returns), abs=1e-6)


def test_beta_and_alpha_match_covariance_over_variance():
    mine, theirs = _loop_returns(list(A)), _loop_returns(list(INDEX))
    beta = statistics.covariance(mine, theirs) / statistics.variance(theirs)
    rf = 0.05 / 252
    alpha = (statistics.mean(mine) - rf - beta * (statistics.mean(theirs) - rf)) * 252

    figures = metrics.summary(DAYS, A, 0.05, INDEX)

    assert figures["beta"] == pytest.approx(beta, abs=1e-5)
    assert figures["alpha"] == pytest.approx(alpha, abs=1e-5)


def test_a_flat_series_has_no_sharpe_ratio_rather_than_infinity():
    figures = metrics.summary(DAYS, np.full(40, 100.0), 0.0)

    assert figures["sharpe"] is None and figures["sortino"] is None and figures["max_drawdown"] == 0.0


def test_longest_underwater_counts_days_below_the_last_high():
    assert metrics.longest_underwater(np.array([1, 2, 1.5, 1.8, 2.1, 2.0, 1.9, 2.2, 2.2])) == 2


@pytest.mark.parametrize(
    "flows",
    [
        [(date(2024, 1, 1), -10_000), (date(2024, 7, 1), -10_000), (date(2025, 1, 1), 23_000)],
        [
            (date(2024, 1, 5), -5_000),
            (date(2024, 2, 5), -5_000),
            (date(2024, 3, 5), -5_000),
            (date(2024, 9, 30), 13_200),
        ],
        [(date(2020, 3, 2), -100_000), (date(2026, 3, 2), 400_000)],
    ],
)
def test_xirr_matches_scipy_root_finding_on_the_cash_flows(flows):
    days, amounts = [day for day, _ in flows], [amount for _, amount in flows]

    def npv(rate: float) -> float:
        return sum(a / (1 + rate) ** ((d - days[0]).days / 365) for d, a in flows)

    assert metrics.xirr(days, amounts) == pytest.approx(brentq(npv, -0.99, 10), abs=1e-7)


def test_xirr_without_a_sign_change_is_none():
    assert metrics.xirr([date(2024, 1, 1), date(2025, 1, 1)], [-1.0, -2.0]) is None


def test_buy_and_hold_without_costs_is_the_weighted_growth_of_each_holding():
    prices = np.column_stack([A, B])

    sim = backtest.simulate(DAYS, prices, np.array([3.0, 1.0]), 100_000, NO_COSTS)

    expected = [100_000 * (0.75 * a / A[0] + 0.25 * b / B[0]) for a, b in zip(A, B, strict=True)]
    assert sim.values == pytest.approx(expected, rel=1e-12)
    assert sim.rebalances == [] and sim.costs == 0


def test_monthly_rebalancing_matches_a_plain_loop_with_costs():
    prices = np.column_stack([A, B])
    costs = cost_model(model="flat_bps", cost_bps=25)  # 0.25 % a side

    sim = backtest.simulate(DAYS, prices, np.array([0.5, 0.5]), 100_000, costs, "monthly")

    # The loop: on the first day of each new month sell the overweight, buy the underweight, pay 0.25 %.
    rate = 0.0025
    value = 100_000 / (1 + rate)
    units = [value * 0.5 / A[0], value * 0.5 / B[0]]
    expected = [units[0] * A[0] + units[1] * B[0]]
    for i in range(1, len(DAYS)):
        worth = units[0] * A[i] + units[1] * B[i]
        if DAYS[i].month != DAYS[i - 1].month:
            held = worth
            for _ in range(50):  # the value kept after paying for its own trades
                traded = abs(held * 0.5 - units[0] * A[i]) + abs(held * 0.5 - units[1] * B[i])
                held = worth - rate * traded
            units = [held * 0.5 / A[i], held * 0.5 / B[i]]
            worth = held
        expected.append(worth)
    assert sim.values == pytest.approx(expected, rel=1e-9)
    assert [day.month for day in sim.rebalances] == [2]
    assert sim.costs > 0


def test_a_drift_band_wider_than_the_drift_skips_the_rebalance():
    prices = np.column_stack([A, B])

    sim = backtest.simulate(DAYS, prices, np.array([0.5, 0.5]), 100_000, NO_COSTS, "monthly", drift_band=0.9)

    assert sim.rebalances == []


def test_indian_equity_costs_add_the_statutory_charges_and_gst():
    costs = cost_model(brokerage_pct=0.0003, cost_exchange="NSE")

    services = 0.0003 + 0.0000297 + 0.000001
    assert costs.buy == pytest.approx(services * 1.18 + 0.001 + 0.00015)
    assert costs.sell == pytest.approx(services * 1.18 + 0.001)


def test_a_charge_override_with_an_unknown_side_is_refused():
    with pytest.raises(ValidationFailed):
        cost_model(charges={"stt": {"both": 0.001}})


def test_sip_installments_step_up_on_each_anniversary_and_land_on_the_next_trading_day():
    days = [
        date(2024, 1, 1) + timedelta(days=i) for i in range(800) if (date(2024, 1, 1) + timedelta(days=i)).weekday() < 5
    ]
    prices = np.linspace(100, 150, len(days))
    plan = sip.Plan(amount=1000, frequency="monthly", day_of_month=6, step_up_percent=10)

    bought = sip.installments(days, prices, plan, NO_COSTS, date(2024, 1, 1), days[-1])

    assert [days[row.index] for row in bought[:3]] == [
        date(2024, 1, 8),
        date(2024, 2, 6),
        date(2024, 3, 6),
    ]  # Jan 6 is a Saturday
    assert [row.amount for row in bought[10:14]] == pytest.approx([1000, 1000, 1100, 1100])
    assert bought[0].units == pytest.approx(1000 / prices[bought[0].index])


def test_sip_outcome_xirr_matches_scipy_on_its_own_cash_flows():
    days = [
        date(2024, 1, 1) + timedelta(days=i) for i in range(400) if (date(2024, 1, 1) + timedelta(days=i)).weekday() < 5
    ]
    prices = 100 + 10 * np.sin(np.arange(len(days)) / 20) + np.arange(len(days)) * 0.05
    bought = sip.installments(days, prices, sip.Plan(5000, "weekly"), NO_COSTS, days[0], days[-1])

    answer = sip.outcome(days, prices, bought)

    final = sum(row.units for row in bought) * prices[-1]
    flows = [(days[row.index], -row.amount) for row in bought] + [(days[-1], final)]
    expected = brentq(lambda r: sum(a / (1 + r) ** ((d - flows[0][0]).days / 365) for d, a in flows), -0.99, 10)
    assert answer["xirr"] == pytest.approx(expected, abs=1e-6)
    assert answer["invested"] == 5000 * len(bought)
    assert answer["final_value"] == pytest.approx(final, abs=0.01)
