"""Fixtures of the upstox plugin's tests: answers built from Upstox's documentation, and the simulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from brokers.common.symbols import SymbolBook
from brokers.upstox.simulator import UpstoxSimulator
from brokers.upstox.symbols import parse_master

FIXTURES = Path(__file__).parent / "fixtures"


def http_fixture(name: str):
    return json.loads((FIXTURES / "http" / f"{name}.json").read_text())


def ws_fixture(name: str) -> bytes:
    return (FIXTURES / "ws" / f"{name}.bin").read_bytes()


@pytest.fixture
def book() -> SymbolBook:
    return SymbolBook(parse_master(http_fixture("instruments_ok")))


@pytest.fixture
async def simulator():
    simulator = UpstoxSimulator(feed_interval=0.01)
    yield simulator
    await simulator.close()
