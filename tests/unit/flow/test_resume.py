"""A run cut short by a crash is resumed at start: finished steps are not repeated and an order step
that had started is sent again under the same idempotency key, so the desk answers with the order
it placed before the crash instead of placing a second."""

from __future__ import annotations

import asyncio

from gateway.flow.engine import idempotency_key
from gateway.flow.store import RUNNING, SUCCEEDED
from tests.unit.flow.conftest import buy, workflow


def test_a_run_killed_mid_order_and_resumed_places_its_order_once(app, create, trader, orders):
    nodes = [{"id": "start", "type": "manualTrigger"}, buy("first", quantity=2), buy("second", quantity=3)]
    created = create(workflow(*nodes))["data"]
    store = app.services.flow.store
    run, _ = store.new_run(store.by_id(created["workflow_id"]), "manualTrigger", "start", {}, status=RUNNING)
    # Before the crash: the trigger step finished, the first order was sent and placed, its step never closed.
    store.start_step(run.id, "start", "manualTrigger", {})
    store.finish_step(run.id, "start", SUCCEEDED, {}, None, 0)
    sent = nodes[1]["data"]
    store.start_step(run.id, "first", "placeOrder", sent)
    placed = trader("placeorder", headers={"Idempotency-Key": idempotency_key(run.id, "first")}, **sent)
    assert [order["orderid"] for order in orders()] == [placed["orderid"]]

    async def restart():  # what start-up does: resume every run left queued or running
        engine = app.services.flow.engine
        resumed = await engine.resume()
        await engine.drain()
        return resumed

    resumed = asyncio.run(restart())
    detail = trader("flow/runs/get", run_id=run.id)["data"]
    book = orders()

    assert resumed == [run.id] and detail["status"] == SUCCEEDED

    assert sorted(order["quantity"] for order in book) == [2, 3]  # the first order once, then the second
    steps = {step["node_id"]: step for step in detail["steps"]}
    assert steps["first"]["output"]["orderid"] == placed["orderid"]
    assert [steps[name]["status"] for name in ("start", "first", "second")] == ["succeeded"] * 3
