"""Fixtures of the fyers plugin's tests: answers built from Fyers' documentation, and the simulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from brokers.common.symbols import SymbolBook
from brokers.fyers.simulator import FyersSimulator
from brokers.fyers.symbols import parse_master

FIXTURES = Path(__file__).parent / "fixtures"


def http_fixture(name: str) -> dict:
    return json.loads((FIXTURES / "http" / f"{name}.json").read_text())


def ws_fixture(name: str) -> bytes:
    return (FIXTURES / "ws" / f"{name}.bin").read_bytes()


def master_fixture(name: str) -> str:
    return (FIXTURES / "http" / f"{name}.csv").read_text()


@pytest.fixture
def book() -> SymbolBook:
    return SymbolBook(parse_master(master_fixture("NSE_CM")) + parse_master(master_fixture("NSE_FO")))


@pytest.fixture
async def simulator():
    simulator = FyersSimulator(feed_interval=0.01)
    yield simulator
    await simulator.close()
