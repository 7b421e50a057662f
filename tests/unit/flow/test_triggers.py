"""Triggers under a pinned clock: a 09:20 IST cron runs once (never on a holiday), a price alert fires
when the offline market crosses its level and not before, and a webhook needs its signature."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from datetime import datetime

from gateway.flow.triggers import job_id
from gateway.signatures import SIGNATURE_HEADER, sign
from sandbox.market import IST
from streaming.bus import BusMessage
from streaming.payloads import tick_payload
from tests.conftest import eventually
from tests.unit.flow.conftest import buy, workflow

CRON_0920 = {"id": "open", "type": "schedule", "data": {"mode": "cron", "cron": "20 9 * * 1-5"}}


def _fire(app, workflow_id: int, node_id: str):
    """What the scheduler's job does at its time; waits for the run it starts."""
    flow = app.services.flow

    async def fire():
        run_id = await flow.triggers.fire_schedule(workflow_id=workflow_id, node_id=node_id)
        if run_id is not None and (task := flow.engine.task_of(run_id)) is not None:
            await task
        return run_id

    return asyncio.run(fire())


def test_a_0920_cron_workflow_buys_once_at_its_time(client, app, clock, create, trader, orders):
    created = create(workflow(CRON_0920, buy(quantity=4)))["data"]
    workflow_id = created["workflow_id"]

    activated = trader("flow/activate", workflow_id=workflow_id, active=True)["data"]
    upcoming = app.services.scheduler.next_run(job_id(workflow_id, "open")).astimezone(IST)
    clock.set(datetime(2026, 12, 2, 9, 20, tzinfo=IST))  # a Wednesday, 09:20 IST
    first = _fire(app, workflow_id, "open")
    again = _fire(app, workflow_id, "open")  # the same firing delivered twice (a late job, a new leader)

    assert activated["is_active"] and activated["next_run"] is not None
    assert (upcoming.hour, upcoming.minute) == (9, 20) and upcoming.weekday() < 5
    assert first is not None and again == first
    runs = trader("flow/runs", workflow_id=workflow_id)["data"]
    assert [(run["trigger"], run["status"]) for run in runs] == [("schedule", "succeeded")]
    assert [order["quantity"] for order in orders()] == [4]


def test_the_cron_workflow_does_not_run_on_a_holiday_or_when_inactive(client, app, clock, create, trader, orders):
    created = create(workflow(CRON_0920, buy()))["data"]
    workflow_id = created["workflow_id"]
    trader("flow/activate", workflow_id=workflow_id, active=True)

    clock.set(datetime(2026, 12, 25, 9, 20, tzinfo=IST))  # Christmas, a Friday: an NSE holiday
    on_holiday = _fire(app, workflow_id, "open")
    trader("flow/activate", workflow_id=workflow_id, active=False)
    clock.set(datetime(2026, 12, 28, 9, 20, tzinfo=IST))  # a Monday, but the workflow is off
    inactive = _fire(app, workflow_id, "open")

    assert on_holiday is None and inactive is None
    assert app.services.scheduler.next_run(job_id(workflow_id, "open")) is None
    assert trader("flow/runs", workflow_id=workflow_id)["data"] == [] and orders() == []


def _offline_prices(settings, steps: int) -> list[dict]:
    """Ticks of SBIN from a copy of the gateway's offline market (same seed, same start), one per step."""
    from sandbox.market import OfflineMarket

    market = OfflineMarket(settings.market_seed, start=settings.market_start)
    ticks = []
    for _ in range(steps):
        market.advance(1.0)
        ticks.append(tick_payload(market.tick("NSE", "SBIN")))
    return ticks


def _bus(ticks: list[dict]) -> list[BusMessage]:
    return [BusMessage("NSE:SBIN", 1, number, json.dumps(tick).encode()) for number, tick in enumerate(ticks, 1)]


def test_a_price_alert_fires_when_the_market_crosses_its_level_and_not_before(
    client, app, settings, create, trader, orders
):
    ticks = _offline_prices(settings, 600)
    prices = [tick["ltp"] for tick in ticks]
    level = round((prices[0] + max(prices)) / 2, 2)
    crossing = next(index for index, price in enumerate(prices) if price >= level)
    alert = {
        "id": "alert",
        "type": "priceAlert",
        "data": {"symbol": "SBIN", "exchange": "NSE", "condition": "crosses_above", "price": level},
    }
    created = create(workflow(alert, buy()))["data"]
    trader("flow/activate", workflow_id=created["workflow_id"], active=True)
    triggers = app.services.flow.triggers
    assert triggers.on_bus in app.background.feed.taps  # the alert listens to the market-data bus
    app.background.feed.taps.remove(triggers.on_bus)  # from here the test alone feeds it, tick by tick

    async def feed(batch):
        triggers.on_bus(batch)
        await asyncio.gather(*list(triggers._pending))
        await app.services.flow.engine.drain()

    asyncio.run(feed(_bus(ticks[:crossing])))
    before = trader("flow/runs", workflow_id=created["workflow_id"])["data"]
    asyncio.run(feed(_bus(ticks[crossing : crossing + 1])))
    at_crossing = trader("flow/runs", workflow_id=created["workflow_id"])["data"]
    asyncio.run(feed(_bus(ticks[crossing + 1 :])))
    runs = trader("flow/runs", workflow_id=created["workflow_id"])["data"]

    assert prices[0] < level and before == []
    assert len(at_crossing) == 1 and at_crossing[0]["status"] == "succeeded"
    detail = trader("flow/runs/get", run_id=at_crossing[0]["run_id"])["data"]
    assert detail["payload"]["ltp"] == prices[crossing] and detail["payload"]["price"] == level
    upward = sum(1 for before_, after in itertools.pairwise(prices) if before_ < level <= after)
    assert len(runs) == upward  # once per crossing: staying above fires nothing, falling back re-arms
    assert len(orders()) == len(runs)


def _signed_flow(create, trader, signed: bool = True) -> dict:
    created = create(
        workflow({"id": "hook", "type": "webhookTrigger"}, buy(quantity="{{webhook.qty}}")), signed=signed
    )["data"]
    trader("flow/activate", workflow_id=created["workflow_id"], active=True)
    return created


def _post(client, url: str, raw: bytes, headers: dict | None = None):
    path = "/" + url.split("://", 1)[-1].split("/", 1)[1]
    return client.post(path, content=raw, headers={"Content-Type": "application/json", **(headers or {})})


def test_a_webhook_with_a_bad_signature_is_refused_and_runs_nothing(client, create, trader, orders):
    created = _signed_flow(create, trader)
    raw = json.dumps({"qty": 2}).encode()

    unsigned = _post(client, created["webhook_url"], raw)
    wrong = _post(client, created["webhook_url"], raw, {SIGNATURE_HEADER: sign("not-the-secret", raw)})
    stale = _post(
        client,
        created["webhook_url"],
        raw,
        {SIGNATURE_HEADER: sign(created["signing_secret"], raw, timestamp=int(time.time()) - 3600)},
    )

    assert [r.status_code for r in (unsigned, wrong, stale)] == [401, 401, 401]
    assert {r.json()["code"] for r in (unsigned, wrong, stale)} == {"WEBHOOK_SIGNATURE_INVALID"}
    assert trader("flow/runs", workflow_id=created["workflow_id"])["data"] == [] and orders() == []


def test_a_signed_webhook_runs_with_its_payload_once_per_idempotency_key(client, create, trader, orders):
    created = _signed_flow(create, trader)
    raw = json.dumps({"qty": 2}).encode()
    headers = {SIGNATURE_HEADER: sign(created["signing_secret"], raw), "Idempotency-Key": "alert-1"}

    first = _post(client, created["webhook_url"], raw, headers)
    repeat = _post(client, created["webhook_url"], raw, headers)

    assert first.status_code == 200, first.text
    assert first.json()["run_status"] == "succeeded" and repeat.json()["run_id"] == first.json()["run_id"]
    assert [order["quantity"] for order in orders()] == [2]
    assert created["webhook_url"].rsplit("/", 1)[1] not in json.dumps(
        trader("flow/runs/get", run_id=first.json()["run_id"])
    )


def test_an_inactive_workflows_webhook_is_refused(client, create, trader, orders):
    created = _signed_flow(create, trader, signed=False)
    trader("flow/activate", workflow_id=created["workflow_id"], active=False)

    refused = _post(client, created["webhook_url"], b'{"qty": 1}')

    assert refused.status_code == 403 and orders() == []


def test_an_order_update_starts_the_workflow_with_the_order(client, create, trader):
    watch = {"id": "filled", "type": "orderUpdateTrigger", "data": {"status": "complete", "symbol": "SBIN"}}
    note = {"id": "note", "type": "setVariable", "data": {"name": "seen", "value": "{{order.orderid}}"}}
    created = create(workflow(watch, note))["data"]
    trader("flow/activate", workflow_id=created["workflow_id"], active=True)

    placed = trader(
        "placeorder",
        strategy="t",
        symbol="SBIN",
        exchange="NSE",
        action="BUY",
        quantity=1,
        pricetype="MARKET",
        product="MIS",
    )
    trader(
        "placeorder",
        strategy="t",
        symbol="INFY",
        exchange="NSE",
        action="BUY",
        quantity=1,
        pricetype="MARKET",
        product="MIS",
    )

    def runs():
        return trader("flow/runs", workflow_id=created["workflow_id"])["data"]

    eventually(lambda: [run["status"] for run in runs()] == ["succeeded"])
    detail = trader("flow/runs/get", run_id=runs()[0]["run_id"])["data"]
    assert detail["trigger"] == "orderUpdateTrigger" and detail["steps"][1]["output"] == placed["orderid"]


def test_interval_and_once_schedules_become_jobs_and_a_past_once_does_not(client, app, create, trader):
    every = {"id": "every", "type": "schedule", "data": {"mode": "interval", "interval_seconds": 300}}
    later = {"id": "later", "type": "schedule", "data": {"mode": "once", "at": "2030-01-07T09:20:00+05:30"}}
    past = {"id": "past", "type": "schedule", "data": {"mode": "once", "at": "2020-01-07T09:20:00+05:30"}}
    created = create(
        workflow(every, later, past, buy(), edges=[{"source": n, "target": "buy"} for n in ("every", "later", "past")])
    )["data"]

    trader("flow/activate", workflow_id=created["workflow_id"], active=True)

    scheduler = app.services.scheduler
    once = scheduler.next_run(job_id(created["workflow_id"], "later"))
    assert once is not None and once.astimezone(IST) == datetime(2030, 1, 7, 9, 20, tzinfo=IST)
    assert scheduler.next_run(job_id(created["workflow_id"], "every")) is not None
    assert scheduler.next_run(job_id(created["workflow_id"], "past")) is None
    refused = create(
        workflow({"id": "naive", "type": "schedule", "data": {"mode": "once", "at": "2030-01-07T09:20:00"}}), expect=400
    )
    assert refused["code"] == "INVALID_WORKFLOW" and "Node naive" in refused["message"]


def test_an_active_price_alert_is_fed_by_the_live_market_data_bus(client, app, create, trader):
    far = {
        "id": "far",
        "type": "priceAlert",
        "data": {"symbol": "SBIN", "exchange": "NSE", "condition": "crosses_above", "price": 1e8},
    }
    created = create(workflow(far, buy()))["data"]

    trader("flow/activate", workflow_id=created["workflow_id"], active=True)

    alert = app.services.flow.triggers.alerts[("NSE", "SBIN")][0]
    eventually(lambda: alert.armed is True, timeout=10)  # a tick arrived over the bus: below the level, armed
    assert trader("flow/runs", workflow_id=created["workflow_id"])["data"] == []
    trader("flow/activate", workflow_id=created["workflow_id"], active=False)
    assert ("NSE", "SBIN") not in app.services.flow.triggers.alerts
