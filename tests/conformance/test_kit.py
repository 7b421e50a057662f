"""Every installed plugin passes the conformance kit, and a broken plugin fails it with a clear message."""

from __future__ import annotations

from typing import Any

import pytest

from brokers import Registry
from brokers.registry import Manifest
from tools.conformance import FAIL, NOT_CHECKABLE, PASS, check_broker, open_harness, run_checks

INSTALLED = Registry.discover().ids()


@pytest.mark.parametrize("broker_id", INSTALLED)
async def test_installed_plugin_passes_every_check(broker_id):
    report = await check_broker(broker_id)

    failures = [f"{result.code} {result.title}: {result.detail}" for result in report.results if result.outcome != PASS and result.outcome != "n/a"]
    assert failures == []
    assert {result.code for result in report.results} >= {"C01", "C02", "C04", "C05", "C06"}


class _Broken:
    """A plugin that delegates to a real one, except where a test breaks it."""

    def __init__(self, plugin: Any, missing: str | None = None, **replaced: Any) -> None:
        self._plugin, self._missing, self._replaced = plugin, missing, replaced

    def __getattr__(self, name: str) -> Any:
        if name == self._missing:
            raise AttributeError(name)
        return self._replaced.get(name) or getattr(self._plugin, name)


def _outcome(results, code: str):
    return next(result for result in results if result.code == code)


async def test_a_plugin_missing_an_operation_fails_c02_naming_it():
    async with open_harness("zerodha", wrap_plugin=lambda plugin: _Broken(plugin, missing="trade_book")) as harness:
        results = await run_checks(harness, only={"C02"})

    assert _outcome(results, "C02").outcome == FAIL
    assert "the plugin has no `trade_book` operation" in _outcome(results, "C02").detail


async def test_a_plugin_answering_the_wrong_shape_fails_c02_saying_what_was_expected():
    async def positions(account):
        return [{"symbol": "SBIN", "qty": 1}]

    async with open_harness("zerodha", wrap_plugin=lambda plugin: _Broken(plugin, positions=positions)) as harness:
        results = await run_checks(harness, only={"C02"})

    assert _outcome(results, "C02").outcome == FAIL
    assert "positions answered a list holding dict; the contract says list[Position]" in _outcome(results, "C02").detail


async def test_a_plugin_exceeding_its_rate_limit_fails_c07_naming_the_class():
    async with open_harness("zerodha", plugin_options={"rate_limits": []}) as harness:
        results = await run_checks(harness, only={"C07"})

    assert _outcome(results, "C07").outcome == FAIL
    assert "quotes: 2 requests within" in _outcome(results, "C07").detail
    assert "the manifest allows 1 per 1s" in _outcome(results, "C07").detail


async def test_a_plugin_without_a_simulator_is_reported_not_checkable():
    manifest = Manifest(id="fakebroker", name="Fake", module="tests.security.fakebroker", data={"id": "fakebroker", "name": "Fake"})

    report = await check_broker("fakebroker", Registry({"fakebroker": manifest}))

    assert [result.outcome for result in report.results] == [NOT_CHECKABLE]
    assert "has no simulator.py" in report.results[0].detail and not report.is_failed
