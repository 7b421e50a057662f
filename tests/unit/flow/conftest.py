"""A gateway whose trading clock is pinned (a Wednesday in session) and can be moved, a signed-in
trader, and helpers to save workflows, run them and read their orders."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from gateway.app import create_app
from gateway.services import Services
from sandbox.market import IST

WEDNESDAY_MORNING = datetime(2026, 12, 2, 10, 30, tzinfo=IST)


class PinnedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment


@pytest.fixture
def clock() -> PinnedClock:
    return PinnedClock(WEDNESDAY_MORNING)


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"market_start": WEDNESDAY_MORNING, "webhook_rate_limit": "1000 per second"})


@pytest.fixture
def app(settings, clock):
    return create_app(settings, validate_responses=True, services=Services.build(settings, clock=clock))


@pytest.fixture
def trader(client, api_key):
    def post(path: str, expect: int = 200, headers: dict | None = None, **body):
        response = client.post(f"/api/v1/{path}", json={"apikey": api_key, **body}, headers=headers or {})
        assert response.status_code == expect, response.text
        return response.json()

    return post


def buy(node_id: str = "buy", quantity=1, symbol: str = "SBIN") -> dict:
    data = {"strategy": "Flow", "symbol": symbol, "exchange": "NSE", "action": "BUY", "quantity": quantity}
    return {"id": node_id, "type": "placeOrder", "data": {**data, "pricetype": "MARKET", "product": "MIS"}}


def workflow(*nodes: dict, edges: list | None = None, name: str = "Test flow", **fields) -> dict:
    if edges is None:
        edges = [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(nodes)]
    return {"name": name, "nodes": list(nodes), "edges": edges, **fields}


@pytest.fixture
def create(trader):
    def make(document: dict, expect: int = 200, **fields):
        return trader("flow/create", expect=expect, workflow=document, **fields)

    return make


@pytest.fixture
def orders(trader):
    def read() -> list[dict]:
        return trader("orderbook")["data"]["orders"]

    return read
