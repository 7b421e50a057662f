"""Fixtures of the dhan plugin's tests: answers built from DhanHQ's documentation, and the simulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from brokers.dhan.simulator import DhanSimulator
from brokers.dhan.symbols import DhanSymbolBook, parse_master

FIXTURES = Path(__file__).parent / "fixtures"


def http_fixture(name: str):
    return json.loads((FIXTURES / "http" / f"{name}.json").read_text())


def ws_fixture(name: str) -> bytes:
    return (FIXTURES / "ws" / f"{name}.bin").read_bytes()


def master_text() -> str:
    return (FIXTURES / "http" / "scrip_master_ok.csv").read_text()


@pytest.fixture
def book() -> DhanSymbolBook:
    return DhanSymbolBook(parse_master(master_text()))


@pytest.fixture
async def simulator():
    simulator = DhanSimulator(feed_interval=0.01)
    yield simulator
    await simulator.close()
