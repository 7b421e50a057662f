"""The portfolio and SIP desks behind `/portfolio/*` and `/sip/*`: fetch the closes, run the
backtest, and shape the answer OpenAlgo's clients read."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np

from gateway.accounts import Principal
from gateway.portfolio import backtest, metrics, sip
from gateway.portfolio.costs import cost_model
from gateway.portfolio.prices import DailyCloses, align
from generated.errors import ValidationFailed

MAX_SPAN_DAYS = 3660  # ten years of daily closes, what a broker's daily history and the sandbox serve
# The indices a portfolio is usually measured against; any index symbol may be named in a request.
BENCHMARKS = (
    ("NIFTY", "NSE_INDEX", "NIFTY 50"),
    ("NIFTYNXT50", "NSE_INDEX", "NIFTY NEXT 50"),
    ("BANKNIFTY", "NSE_INDEX", "NIFTY BANK"),
    ("FINNIFTY", "NSE_INDEX", "NIFTY FINANCIAL SERVICES"),
    ("MIDCPNIFTY", "NSE_INDEX", "NIFTY MIDCAP SELECT"),
    ("SENSEX", "BSE_INDEX", "S&P BSE SENSEX"),
    ("BANKEX", "BSE_INDEX", "S&P BSE BANKEX"),
)


def benchmarks() -> list[dict[str, str]]:
    return [{"symbol": symbol, "exchange": exchange, "name": name} for symbol, exchange, name in BENCHMARKS]


def check_range(start: date, end: date) -> None:
    if start > end:
        raise ValidationFailed("start_date is after end_date", field="start_date")
    if (end - start).days > MAX_SPAN_DAYS:
        raise ValidationFailed(f"a backtest spans at most {MAX_SPAN_DAYS} days", field="start_date")


def _costs(request: Any, **extra):
    return cost_model(
        model=request.cost_model or "indian_equity",
        cost_exchange=str(request.cost_exchange or "NSE"),
        charges=request.model_dump(include={"charges"}).get("charges"),
        gst_rate=request.gst_rate,
        cost_bps=request.cost_bps or 0.0,
        slippage=request.slippage or 0.0,
        **extra,
    )


class PortfolioDesk:
    def __init__(self, closes: DailyCloses) -> None:
        self._closes = closes

    async def _aligned(
        self, user: Principal, source: str, pairs: list[tuple[str, str]], start: date, end: date
    ) -> tuple[list[date], np.ndarray, list[str]]:
        named = [(f"{s}:{e}", await self._closes.series(user, source, s, e, start, end)) for s, e in pairs]
        days, matrix = align(named)
        warnings = [
            f"{name}: {len(series[0]) - len(days)} trading days left out, as other instruments have no close on them"
            for name, series in named
            if len(series[0]) > len(days)
        ]
        return days, matrix, warnings

    # -- portfolio ---------------------------------------------------------------------------------

    async def backtest(self, user: Principal, request: Any) -> dict[str, Any]:
        """Run the basket of `request` (a PortfolioBacktestRequest) and every figure of its answer."""
        check_range(request.start_date, request.end_date)
        holdings = [(item.symbol.strip().upper(), str(item.exchange or "NSE")) for item in request.holdings]
        if len(set(holdings)) < len(holdings):
            raise ValidationFailed("a symbol is listed twice in holdings", field="holdings")
        weights = np.array([float(item.weight) for item in request.holdings])
        if weights.sum() <= 0:
            raise ValidationFailed("the holdings' weights add up to zero", field="holdings")
        benchmark = (
            (request.benchmark.strip().upper(), str(request.benchmark_exchange or "NSE_INDEX"))
            if request.benchmark
            else None
        )
        pairs = holdings + ([benchmark] if benchmark else [])
        days, matrix, warnings = await self._aligned(
            user, request.source or "db", pairs, request.start_date, request.end_date
        )
        return self.analyse(
            days,
            matrix[:, : len(holdings)],
            holdings,
            weights,
            benchmark_prices=matrix[:, -1] if benchmark else None,
            benchmark=benchmark,
            capital=float(request.initial_capital or 100_000),
            rebalance=request.rebalance or "never",
            drift_band=float(request.drift_band or 0.0),
            risk_free_rate=float(request.risk_free_rate or 0.0),
            costs=_costs(request, brokerage_pct=float(request.brokerage_pct or 0.0)),
            source=request.source or "db",
            warnings=warnings,
        )

    def analyse(
        self,
        days: list[date],
        prices: np.ndarray,
        holdings: list[tuple[str, str]],
        weights: np.ndarray,
        *,
        benchmark_prices: np.ndarray | None,
        benchmark: tuple[str, str] | None,
        capital: float,
        rebalance: str,
        drift_band: float,
        risk_free_rate: float,
        costs,
        source: str,
        warnings: list[str],
    ) -> dict[str, Any]:
        sim = backtest.simulate(days, prices, weights, capital, costs, rebalance, drift_band)
        benchmark_values = None if benchmark_prices is None else capital * benchmark_prices / benchmark_prices[0]
        rows = backtest.items(holdings, days, prices, sim, weights)
        return {
            "status": "success",
            "meta": {
                "start_date": days[0].isoformat(),
                "end_date": days[-1].isoformat(),
                "days": len(days),
                "source": source,
                "rebalance": rebalance,
                "drift_band": drift_band,
                "initial_capital": capital,
                "risk_free_rate": risk_free_rate,
                "benchmark": {"symbol": benchmark[0], "exchange": benchmark[1]} if benchmark else None,
                "costs": costs.as_dict(),
                "total_costs": round(sim.costs, 2),
                "turnover": round(sim.turnover, 2),
                "rebalances": [day.isoformat() for day in sim.rebalances],
                "warnings": warnings,
            },
            "equity": backtest.dated(days, sim.values),
            "benchmark_equity": [] if benchmark_values is None else backtest.dated(days, benchmark_values),
            "metrics": metrics.summary(days, sim.values, risk_free_rate, benchmark_values),
            "benchmark_metrics": None
            if benchmark_values is None
            else metrics.summary(days, benchmark_values, risk_free_rate),
            "items": rows,
            "correlation": backtest.correlation_block(holdings, prices),
            "diversification": backtest.diversification(prices, weights, sim.values),
            "series": {
                "drawdown": backtest.dated(days, metrics.drawdown(sim.values), 6),
                "monthly_returns": backtest.monthly_returns(days, sim.values),
            },
            "walk_forward": backtest.walk_forward(days, sim.values, risk_free_rate, benchmark_values),
            "monte_carlo": backtest.monte_carlo(sim.values),
            "rebalancing_sweep": backtest.rebalancing_sweep(
                days, prices, weights, capital, costs, drift_band, risk_free_rate
            ),
            "attribution": [
                {key: row[key] for key in ("symbol", "exchange", "weight", "contribution", "share_of_gain")}
                for row in rows
            ],
        }

    async def live_holdings(self, user: Principal, request: Any, router, today: date) -> dict[str, Any]:
        """Backtest what the caller holds now, weighted by today's value, over the last `lookback_days`."""
        route = router.route(user)
        book = await route.plugin.holdings(route.account(user.user_id))
        held = [row for row in book.holdings if row.quantity > 0 and row.exchange in ("NSE", "BSE")]
        if not held:
            raise ValidationFailed("there are no NSE or BSE holdings to analyse", field="holdings")
        start = today - timedelta(days=int(request.lookback_days or 365))
        pairs = list(dict.fromkeys((row.symbol, row.exchange) for row in held))
        quantity = {pair: 0 for pair in pairs}
        for row in held:
            quantity[(row.symbol, row.exchange)] += row.quantity
        benchmark = ((request.benchmark or "NIFTY").strip().upper(), str(request.benchmark_exchange or "NSE_INDEX"))
        source = request.source or "api"
        days, matrix, warnings = await self._aligned(user, source, [*pairs, benchmark], start, today)
        prices = matrix[:, : len(pairs)]
        values_now = prices[-1] * np.array([quantity[pair] for pair in pairs], dtype=float)
        answer = self.analyse(
            days,
            prices,
            pairs,
            values_now,  # today's weights, held through the window: what the current mix would have done
            benchmark_prices=matrix[:, -1],
            benchmark=benchmark,
            capital=float(values_now.sum()),
            rebalance="never",
            drift_band=0.0,
            risk_free_rate=float(request.risk_free_rate or 0.0),
            costs=cost_model(model="flat_bps"),
            source=source,
            warnings=warnings,
        )
        answer["holdings"] = [
            {"symbol": s, "exchange": e, "quantity": quantity[(s, e)], "value": round(float(v), 2)}
            for (s, e), v in zip(pairs, values_now, strict=True)
        ]
        return answer

    # -- SIP ---------------------------------------------------------------------------------------

    async def sip_backtest(self, user: Principal, request: Any) -> dict[str, Any]:
        check_range(request.start_date, request.end_date)
        symbol, exchange = request.symbol.strip().upper(), str(request.exchange or "NSE")
        benchmark = (
            (request.benchmark.strip().upper(), str(request.benchmark_exchange or "NSE_INDEX"))
            if request.benchmark
            else None
        )
        pairs = [(symbol, exchange)] + ([benchmark] if benchmark else [])
        source = request.source or "db"
        days, matrix, warnings = await self._aligned(user, source, pairs, request.start_date, request.end_date)
        prices = matrix[:, 0]
        plan = sip.Plan(
            amount=float(request.amount),
            frequency=request.frequency or "monthly",
            day_of_month=int(request.day_of_month or 1),
            step_up_percent=float(request.step_up_percent or 0.0),
            brokerage_flat=float(request.brokerage_flat or 0.0),
        )
        costs = _costs(request, brokerage_pct=float(request.brokerage_percent or 0.0) / 100.0)
        bought = sip.installments(days, prices, plan, costs, request.start_date, request.end_date)
        if not bought:
            raise ValidationFailed(
                "no installment falls on or before the last trading day of the range", field="start_date"
            )
        invested, value = sip.value_curves(len(days), bought, prices)
        headline = sip.outcome(days, prices, bought)
        first = bought[0].index
        gain = np.where(invested > 0, value / np.where(invested > 0, invested, 1.0) - 1.0, 0.0)
        answer: dict[str, Any] = {
            "status": "success",
            "request": {
                "symbol": symbol,
                "exchange": exchange,
                "start_date": request.start_date.isoformat(),
                "end_date": request.end_date.isoformat(),
                "amount": plan.amount,
                "frequency": plan.frequency,
                "day_of_month": plan.day_of_month,
                "step_up_percent": plan.step_up_percent,
                "source": source,
                "benchmark": {"symbol": benchmark[0], "exchange": benchmark[1]} if benchmark else None,
            },
            "headline": {
                **headline,
                "first_installment": days[first].isoformat(),
                "last_day": days[-1].isoformat(),
                "price_cagr": metrics.finite(
                    metrics.cagr(prices[first], prices[-1], metrics.years_between(days[first], days[-1]))
                ),
                "max_drawdown": metrics.finite(metrics.max_drawdown(prices[first:])),
                "worst_gain": metrics.finite(float(gain[first:].min())),
            },
            "underwater": backtest.dated(days[first:], np.minimum(gain[first:], 0.0), 6),
            "drawdown": backtest.dated(days[first:], metrics.drawdown(prices[first:]), 6),
            "yearly": sip.yearly(days[first:], invested[first:], value[first:], prices[first:]),
            "lumpsum": sip.lumpsum(days, prices, headline["invested"], first, costs, plan.brokerage_flat),
            "charges": {
                "total": headline["charges"],
                "buy_rate": costs.as_dict()["buy_rate"],
                "flat_per_installment": plan.brokerage_flat,
                "components": {
                    name: round(sum(row.amount * rates["buy"] for row in bought), 2)
                    for name, rates in costs.components.items()
                },
            },
            "curves": [
                {"date": day.isoformat(), "invested": round(float(i), 2), "value": round(float(v), 2)}
                for day, i, v in zip(days[first:], invested[first:], value[first:], strict=True)
            ],
            "installments": [
                {
                    "date": days[row.index].isoformat(),
                    "planned": row.planned.isoformat(),
                    "price": metrics.finite(prices[row.index], 4),
                    "amount": round(row.amount, 2),
                    "charges": round(row.cost, 2),
                    "units": metrics.finite(row.units, 6),
                }
                for row in bought
            ],
            "benchmark": None,
            "monthly_heatmap": [],
            "frequency_comparison": [],
            "warnings": warnings,
        }
        if benchmark:
            benchmark_prices = matrix[:, 1]
            benchmark_bought = sip.installments(
                days, benchmark_prices, plan, costs, request.start_date, request.end_date
            )
            answer["benchmark"] = sip.outcome(days, benchmark_prices, benchmark_bought)
            _, benchmark_value = sip.value_curves(len(days), benchmark_bought, benchmark_prices)
            for point, worth in zip(answer["curves"], benchmark_value[first:], strict=True):
                point["benchmark_value"] = round(float(worth), 2)
        if request.include_grids is not False:
            answer["monthly_heatmap"] = sip.heatmap(days, prices)
            answer["frequency_comparison"] = self._frequencies(days, prices, plan, costs, request)
        return answer

    @staticmethod
    def _frequencies(days, prices, plan: sip.Plan, costs, request) -> list[dict]:
        """Every schedule with the same yearly budget (the monthly amount times twelve), side by side."""
        budget = plan.amount * sip.PER_YEAR[plan.frequency]
        rows = []
        for frequency in sip.FREQUENCIES:
            other = sip.Plan(
                budget / sip.PER_YEAR[frequency],
                frequency,
                plan.day_of_month,
                plan.step_up_percent,
                plan.brokerage_flat,
            )
            bought = sip.installments(days, prices, other, costs, request.start_date, request.end_date)
            if bought:
                rows.append(
                    {"frequency": frequency, "amount": round(other.amount, 2), **sip.outcome(days, prices, bought)}
                )
        return rows
