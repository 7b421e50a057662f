"""Fixtures of the zerodha plugin's tests: recorded answers built from Kite's documentation, and the simulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from brokers.zerodha.simulator import KiteSimulator
from brokers.zerodha.symbols import SymbolBook, parse_master

FIXTURES = Path(__file__).parent / "fixtures"


def http_fixture(name: str) -> dict:
    return json.loads((FIXTURES / "http" / f"{name}.json").read_text())


def ws_fixture(name: str) -> bytes:
    return (FIXTURES / "ws" / f"{name}.bin").read_bytes()


@pytest.fixture
def book() -> SymbolBook:
    return SymbolBook(parse_master((FIXTURES / "http" / "instruments_ok.csv").read_text()))


@pytest.fixture
async def simulator():
    simulator = KiteSimulator(feed_interval=0.01)
    yield simulator
    await simulator.close()
