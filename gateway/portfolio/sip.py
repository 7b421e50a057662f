"""The SIP backtest: a fixed amount (stepped up each year) buys units of one instrument on a schedule,
and the units are valued every trading day; the return is the XIRR of the installments against the
final value, compared with putting the same money in at once and with the other schedules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from gateway.portfolio import metrics
from gateway.portfolio.backtest import monthly_returns
from gateway.portfolio.costs import CostModel

FREQUENCIES = {"monthly": "Monthly", "fortnightly": "Fortnightly", "weekly": "Weekly", "quarterly": "Quarterly"}
PER_YEAR = {"monthly": 12, "fortnightly": 26, "weekly": 52, "quarterly": 4}


@dataclass(frozen=True, slots=True)
class Plan:
    amount: float
    frequency: str = "monthly"
    day_of_month: int = 1
    step_up_percent: float = 0.0
    brokerage_flat: float = 0.0  # rupees per installment


@dataclass(frozen=True, slots=True)
class Installment:
    planned: date
    index: int  # the trading day it was bought on, as a row of the price series
    amount: float
    cost: float
    units: float


def _add_months(day: date, months: int, day_of_month: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, day_of_month)


def _full_years(start: date, day: date) -> int:
    years = day.year - start.year
    return years - 1 if (day.month, day.day) < (start.month, start.day) else years


def planned_dates(start: date, end: date, frequency: str, day_of_month: int) -> list[date]:
    """The calendar days the plan buys on: a fixed day of the month (or quarter), or every 7 or 14 days."""
    if frequency in ("weekly", "fortnightly"):
        step = 7 if frequency == "weekly" else 14
        return [start + timedelta(days=step * k) for k in range((end - start).days // step + 1)]
    months = 3 if frequency == "quarterly" else 1
    first = date(start.year, start.month, day_of_month)
    if first < start:
        first = _add_months(first, 1, day_of_month)
    found, k = [], 0
    while (day := _add_months(first, k * months, day_of_month)) <= end:
        found.append(day)
        k += 1
    return found


def installments(
    days: list[date], prices: NDArray, plan: Plan, costs: CostModel, start: date, end: date
) -> list[Installment]:
    """Each planned day bought at the close of the first trading day on or after it (none past the last)."""
    ordinal = np.array([day.toordinal() for day in days])
    rows = []
    for planned in planned_dates(start, end, plan.frequency, plan.day_of_month):
        index = int(np.searchsorted(ordinal, planned.toordinal()))
        if index >= len(days):
            break
        amount = plan.amount * (1.0 + plan.step_up_percent / 100.0) ** _full_years(start, planned)
        cost = min(amount, amount * costs.buy + plan.brokerage_flat)
        rows.append(Installment(planned, index, amount, cost, (amount - cost) / float(prices[index])))
    return rows


def value_curves(count: int, bought: list[Installment], prices: NDArray) -> tuple[NDArray, NDArray]:
    """Money put in so far and the units' value, every trading day."""
    invested, units = np.zeros(count), np.zeros(count)
    np.add.at(invested, [row.index for row in bought], [row.amount for row in bought])
    np.add.at(units, [row.index for row in bought], [row.units for row in bought])
    return np.cumsum(invested), np.cumsum(units) * prices


def outcome(days: list[date], prices: NDArray, bought: list[Installment]) -> dict:
    """Invested, final value, units, average cost, absolute return and XIRR of a set of installments."""
    invested, value = value_curves(len(days), bought, prices)
    units = sum(row.units for row in bought)
    flows_days = [days[row.index] for row in bought] + [days[-1]]
    flows = [-row.amount for row in bought] + [float(value[-1])]
    return {
        "installments": len(bought),
        "invested": round(float(invested[-1]), 2),
        "final_value": round(float(value[-1]), 2),
        "units": metrics.finite(units, 6),
        "average_cost": metrics.finite(float(invested[-1]) / units, 4) if units else None,
        "absolute_return": metrics.finite(float(value[-1]) / float(invested[-1]) - 1.0) if invested[-1] else None,
        "xirr": metrics.finite(metrics.xirr(flows_days, flows)),
        "charges": round(sum(row.cost for row in bought), 2),
    }


def lumpsum(days: list[date], prices: NDArray, total: float, first: int, costs: CostModel, flat: float) -> dict:
    """The same money invested all at once on the first installment's day."""
    cost = min(total, total * costs.buy + flat)
    units = (total - cost) / float(prices[first])
    final = units * float(prices[-1])
    years = metrics.years_between(days[first], days[-1])
    return {
        "invested": round(total, 2),
        "final_value": round(final, 2),
        "absolute_return": metrics.finite(final / total - 1.0),
        "cagr": metrics.finite(metrics.cagr(total, final, years)),
        "xirr": metrics.finite(metrics.xirr([days[first], days[-1]], [-total, final])),
        "max_drawdown": metrics.finite(metrics.max_drawdown(prices[first:])),
    }


def yearly(days: list[date], invested: NDArray, value: NDArray, prices: NDArray) -> list[dict]:
    years = np.array([day.year for day in days])
    rows, before, price_before = [], 0.0, None
    for year in np.unique(years):
        where = np.flatnonzero(years == year)
        last = where[-1]
        opening = float(prices[where[0] - 1]) if where[0] > 0 else float(prices[where[0]])
        rows.append(
            {
                "year": int(year),
                "invested": round(float(invested[last]) - before, 2),
                "total_invested": round(float(invested[last]), 2),
                "value": round(float(value[last]), 2),
                "gain": round(float(value[last] - invested[last]), 2),
                "price_return": metrics.finite(float(prices[last]) / (price_before or opening) - 1.0),
            }
        )
        before, price_before = float(invested[last]), float(prices[last])
    return rows


def heatmap(days: list[date], prices: NDArray) -> list[dict]:
    """The instrument's monthly returns as a year-by-month grid (None where the month is outside the range)."""
    grid: dict[int, list[float | None]] = {}
    for row in monthly_returns(days, prices):
        grid.setdefault(row["year"], [None] * 12)[row["month"] - 1] = row["return"]
    return [{"year": year, "months": months} for year, months in sorted(grid.items())]
