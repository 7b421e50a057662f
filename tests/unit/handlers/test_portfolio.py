"""`/portfolio/*` and `/sip/*` as a client calls them: numbers on closes pinned in the history store,
the tearsheet page, the sandbox's own history, and the refusals."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta

import pytest
from scipy.optimize import brentq

from brokers.sandbox import SandboxPlugin
from gateway.app import create_app
from gateway.historify import Historify
from storage.history import HistoryStore
from tests.unit.gateway.historify_fixtures import NOW, FixedRouter, pinned_market

EPOCH = date(1970, 1, 1)
DAYS = [
    date(2024, 1, 1) + timedelta(days=i) for i in range(730) if (date(2024, 1, 1) + timedelta(days=i)).weekday() < 5
]
CLOSES = {
    ("SBIN", "NSE"): [600 * (1 + 0.15 * math.sin(i / 40) + 0.0006 * i) for i in range(len(DAYS))],
    ("INFY", "NSE"): [1500 * (1 - 0.1 * math.sin(i / 55) + 0.0003 * i) for i in range(len(DAYS))],
    ("NIFTY", "NSE_INDEX"): [22000 * (1 + 0.05 * math.sin(i / 30) + 0.0004 * i) for i in range(len(DAYS))],
}


@pytest.fixture
def app(settings):
    app = create_app(settings, validate_responses=True)
    # The closes the store holds, and a Historify whose "today" is pinned (holdings read it).
    store = HistoryStore(settings.history_database)
    for (symbol, exchange), closes in CLOSES.items():
        rows = [((day - EPOCH).days * 86400, c, c, c, c, 1000, 0) for day, c in zip(DAYS, closes, strict=True)]
        store.upsert(symbol, exchange, "D", rows)
    app.services.historify = Historify(store, app.services.router, app.services.scheduler, clock=lambda: NOW)
    return app


def _loop_max_drawdown(values) -> float:
    peak, deepest = values[0], 0.0
    for value in values:
        peak = max(peak, value)
        deepest = min(deepest, value / peak - 1)
    return deepest


BASKET = [{"symbol": "SBIN", "exchange": "NSE", "weight": "60"}, {"symbol": "INFY", "weight": 40}]


def test_a_buy_and_hold_backtest_from_the_store_matches_a_hand_computation(trader):
    answer = trader(
        "portfolio/backtest",
        holdings=BASKET,
        start_date="2024-01-01",
        end_date="2025-12-31",
        benchmark="NIFTY",
        cost_model="flat_bps",
        initial_capital=200000,
    )

    sbin, infy = CLOSES[("SBIN", "NSE")], CLOSES[("INFY", "NSE")]
    expected = [200000 * (0.6 * s / sbin[0] + 0.4 * i / infy[0]) for s, i in zip(sbin, infy, strict=True)]
    years = (DAYS[-1] - DAYS[0]).days / 365.25
    metrics = answer["metrics"]
    assert [point["value"] for point in answer["equity"]] == pytest.approx(expected, abs=0.01)
    assert metrics["cagr"] == pytest.approx((expected[-1] / expected[0]) ** (1 / years) - 1, abs=1e-6)
    assert metrics["max_drawdown"] == pytest.approx(_loop_max_drawdown(expected), abs=1e-6)
    assert metrics["beta"] is not None and answer["benchmark_metrics"]["days"] == len(DAYS)
    assert answer["meta"]["source"] == "db" and answer["meta"]["total_costs"] == 0
    assert [item["symbol"] for item in answer["items"]] == ["SBIN", "INFY"]
    assert answer["correlation"]["matrix"][0][0] == pytest.approx(1.0)
    assert [window["period"] for window in answer["walk_forward"]] == ["2024", "2025"]
    assert [row["rebalance"] for row in answer["rebalancing_sweep"]] == ["never", "monthly", "quarterly", "yearly"]
    # Without costs, the contributions add up to the total return.
    assert sum(row["contribution"] for row in answer["attribution"]) == pytest.approx(metrics["total_return"], abs=1e-5)


def test_rebalancing_with_indian_equity_costs_charges_every_trade(trader):
    answer = trader(
        "portfolio/backtest",
        holdings=BASKET,
        start_date="2024-01-01",
        end_date="2025-12-31",
        rebalance="quarterly",
        brokerage_pct=0.0003,
        slippage=0.001,
    )

    assert len(answer["meta"]["rebalances"]) == 7
    assert answer["meta"]["total_costs"] > 100000 * 0.0011  # at least the first purchase's STT and slippage
    assert answer["meta"]["costs"]["components"]["slippage"] == {"buy": 0.001, "sell": 0.001}


def test_the_tearsheet_is_a_self_contained_html_attachment(client, api_key):
    response = client.post(
        "/api/v1/portfolio/tearsheet",
        json={
            "apikey": api_key,
            "holdings": BASKET,
            "start_date": "2024-01-01",
            "end_date": "2025-12-31",
            "benchmark": "NIFTY",
        },
    )

    page = response.text
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-disposition"] == 'attachment; filename="portfolio-tearsheet.html"'
    assert page.startswith("<!doctype html>") and "<svg" in page and "SBIN" in page
    assert not re.search(r"<script|<link|src=|@import|url\(|https?://", page, re.IGNORECASE)


def test_a_sip_from_the_store_has_the_xirr_of_its_own_installments(trader):
    answer = trader(
        "sip/backtest",
        symbol="SBIN",
        start_date="2024-01-01",
        end_date="2025-12-31",
        amount="10000",
        day_of_month=6,
        step_up_percent=10,
        benchmark="NIFTY",
    )

    rows = answer["installments"]
    flows = [(date.fromisoformat(row["date"]), -row["amount"]) for row in rows]
    flows.append((date.fromisoformat(answer["headline"]["last_day"]), answer["headline"]["final_value"]))
    expected = brentq(lambda r: sum(a / (1 + r) ** ((d - flows[0][0]).days / 365) for d, a in flows), -0.99, 10)
    assert len(rows) == 24 and rows[0]["date"] == "2024-01-08"  # 6 January 2024 was a Saturday
    assert [row["amount"] for row in rows[11:13]] == [10000, 11000]
    assert answer["headline"]["invested"] == 12 * 10000 + 12 * 11000
    assert answer["headline"]["xirr"] == pytest.approx(expected, abs=1e-5)
    assert answer["benchmark"]["installments"] == 24 and "benchmark_value" in answer["curves"][-1]
    assert [row["frequency"] for row in answer["frequency_comparison"]] == [
        "monthly",
        "fortnightly",
        "weekly",
        "quarterly",
    ]
    assert [row["year"] for row in answer["monthly_heatmap"]] == [2024, 2025]


def test_a_sip_without_grids_leaves_out_the_heatmap_and_the_comparison(trader):
    answer = trader(
        "sip/backtest",
        symbol="INFY",
        start_date="2024-03-01",
        end_date="2024-12-31",
        amount=5000,
        frequency="weekly",
        include_grids=False,
    )

    assert answer["monthly_heatmap"] == [] and answer["frequency_comparison"] == []
    assert answer["installments"][0]["date"] == "2024-03-01"


def test_frequencies_need_no_key_and_benchmarks_refuse_a_bad_one(client, api_key):
    frequencies = client.get("/api/v1/sip/frequencies")
    refused = client.get("/api/v1/portfolio/benchmarks", params={"apikey": "f" * 64})
    listed = client.get("/api/v1/portfolio/benchmarks", params={"apikey": api_key})

    assert frequencies.status_code == 200
    assert [row["value"] for row in frequencies.json()["data"]] == ["monthly", "fortnightly", "weekly", "quarterly"]
    assert refused.status_code == 403
    assert {"symbol": "NIFTY", "exchange": "NSE_INDEX", "name": "NIFTY 50"} in listed.json()["data"]


def test_a_range_the_store_does_not_hold_names_the_download(trader):
    answer = trader(
        "portfolio/backtest",
        expect=404,
        holdings=[{"symbol": "TCS", "weight": 1}],
        start_date="2024-01-01",
        end_date="2024-06-30",
    )

    assert answer["code"] == "HISTORY_NOT_STORED" and "TCS" in answer["message"]


@pytest.mark.parametrize(
    ("path", "fields", "field"),
    [
        ("portfolio/backtest", {"holdings": []}, "holdings"),
        ("portfolio/backtest", {"holdings": [{"symbol": f"S{i}", "weight": 1} for i in range(51)]}, "holdings"),
        ("portfolio/backtest", {"holdings": [{"symbol": "SBIN", "weight": -1}]}, "holdings.0.weight"),
        (
            "portfolio/backtest",
            {"holdings": [{"symbol": "SBIN", "exchange": "NFO", "weight": 1}]},
            "holdings.0.exchange",
        ),
        ("portfolio/backtest", {"holdings": [{"symbol": "SBIN", "weight": 0}]}, "holdings"),
        (
            "portfolio/backtest",
            {"holdings": [{"symbol": "SBIN", "weight": 1}, {"symbol": "sbin", "weight": 1}]},
            "holdings",
        ),
        (
            "portfolio/backtest",
            {"holdings": BASKET, "start_date": "2025-01-01", "end_date": "2024-01-01"},
            "start_date",
        ),
        ("portfolio/backtest", {"holdings": BASKET, "start_date": "2010-01-01"}, "start_date"),
        ("portfolio/backtest", {"holdings": BASKET, "rebalance": "daily"}, "rebalance"),
        ("portfolio/backtest", {"holdings": BASKET, "drift_band": 1}, "drift_band"),
        ("portfolio/backtest", {"holdings": BASKET, "charges": {"stt": {"both": 0.001}}}, "charges.stt"),
        ("portfolio/backtest", {"holdings": BASKET, "leverage": 2}, "leverage"),
        ("sip/backtest", {"symbol": "SBIN", "amount": 0}, "amount"),
        ("sip/backtest", {"symbol": "SBIN", "amount": 100, "day_of_month": 29}, "day_of_month"),
        ("sip/backtest", {"symbol": "SBIN", "amount": 100, "frequency": "daily"}, "frequency"),
        ("sip/backtest", {"symbol": "SBIN", "amount": 100, "start_date": "2024-1-1"}, "start_date"),
        ("portfolio/holdings", {"lookback_days": 30}, "lookback_days"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(trader, path, fields, field):
    body = {"start_date": "2024-01-01", "end_date": "2025-12-31", **fields}
    if path == "portfolio/holdings":
        body = fields

    answer = trader(path, expect=400, **body)

    assert answer["code"] == "VALIDATION_FAILED"
    assert field in answer["errors"], answer


def test_holdings_with_nothing_held_is_a_400(trader):
    answer = trader("portfolio/holdings", expect=400)

    assert "no NSE or BSE holdings" in answer["message"]


def test_sip_frequencies_are_limited_to_ten_a_minute(client):
    statuses = [client.get("/api/v1/sip/frequencies").status_code for _ in range(11)]

    assert statuses == [200] * 10 + [429]


class TestSandboxHistory:
    """`source: api` reads the caller's broker: the sandbox's offline market, pinned to a Friday evening."""

    @pytest.fixture
    def app(self, settings):
        app = create_app(settings, validate_responses=True)
        market = pinned_market()
        app.services.registry.provide("sandbox", SandboxPlugin(app.services.sandbox, market))
        app.services.router = FixedRouter(SandboxPlugin(app.services.sandbox, market))
        return app

    def test_a_backtest_on_the_offline_market(self, trader):
        answer = trader(
            "portfolio/backtest",
            holdings=BASKET,
            start_date="2025-06-01",
            end_date=NOW.date().isoformat(),
            benchmark="NIFTY",
            rebalance="monthly",
            source="api",
        )

        first, last = answer["equity"][0]["date"], answer["equity"][-1]["date"]
        assert answer["meta"]["source"] == "api"
        assert first >= "2025-06-02" and last == "2026-11-27"
        assert datetime.fromisoformat(last).weekday() < 5
        assert answer["metrics"]["days"] == len(answer["benchmark_equity"]) > 300
        assert answer["metrics"]["max_drawdown"] == pytest.approx(
            _loop_max_drawdown([point["value"] for point in answer["equity"]]), abs=1e-5
        )
