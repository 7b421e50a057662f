"""Overlapping triggers: with `drop` the second is recorded as dropped, with `queue` it runs after."""

from __future__ import annotations

import asyncio

import pytest

from gateway.flow import check
from tests.unit.flow.conftest import workflow


@pytest.mark.parametrize("policy", ["drop", "queue"])
def test_a_trigger_during_a_run_is_dropped_or_queued_by_the_policy(app, create, policy):
    nodes = [{"id": "start", "type": "manualTrigger"}, {"id": "pause", "type": "delay", "data": {"seconds": 0.2}}]
    created = create(workflow(*nodes, overlap=policy))["data"]
    flow = app.services.flow
    row = flow.store.by_id(created["workflow_id"])
    trigger = check(created["workflow"]).triggers[0]

    async def two_at_once():
        first, _ = flow.engine.start(row, trigger, {})
        second, _ = flow.engine.start(row, trigger, {})
        await flow.engine.drain()
        return flow.store.run_row(first.id), flow.store.run_row(second.id)

    first, second = asyncio.run(two_at_once())

    assert first.status == "succeeded"
    if policy == "drop":
        assert second.status == "dropped" and flow.store.steps(second.id) == []
    else:
        assert second.status == "succeeded" and second.started_at >= first.finished_at
