"""Fixtures of the angel plugin's tests: answers and packets built from SmartAPI's documentation, and the simulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from brokers.angel.auth import Session
from brokers.angel.simulator import AngelSimulator
from brokers.angel.symbols import SymbolBook, parse_master

FIXTURES = Path(__file__).parent / "fixtures"
SESSION = Session("app-key", "S1234567", "jwt.token.sig", "feed-token")


def http_fixture(name: str):
    return json.loads((FIXTURES / "http" / f"{name}.json").read_text())


def ws_fixture(name: str) -> bytes:
    return (FIXTURES / "ws" / f"{name}.bin").read_bytes()


@pytest.fixture
def book() -> SymbolBook:
    return SymbolBook(parse_master(http_fixture("scrip_master_ok")))


@pytest.fixture
async def simulator():
    simulator = AngelSimulator(feed_interval=0.01)
    yield simulator
    await simulator.close()
