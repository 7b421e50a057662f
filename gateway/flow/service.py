"""Flow at work: the owner's workflows, activation of their triggers, runs on demand and by webhook.

A workflow is saved inactive; activating it registers its triggers (schedules on the shared
scheduler, price alerts on the market-data feed, order-update listeners) and deactivating removes
them. Running it by hand works either way. A webhook delivery is checked (token, signature, active,
a webhookTrigger node) before anything is stored; then the run is recorded and started, and the
answer waits for it a few seconds (like a strategy alert), else says `queued`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from datetime import datetime

from gateway.accounts import Principal
from gateway.flow import document as documents
from gateway.flow.document import Workflow
from gateway.flow.engine import FlowEngine
from gateway.flow.nodes import NodeActions
from gateway.flow.store import DROPPED, UNFINISHED, FlowStore
from gateway.webhooks import WebhookTokens, json_object, without_token
from generated.api import FlowWorkflowDocument
from generated.errors import Forbidden, PayloadTooLarge, WebhookSignatureInvalid
from sandbox.market import IST
from storage import FlowRunRecord, FlowWorkflowRecord

log = logging.getLogger(__name__)

RUN_WAIT_SECONDS = 5.0
ADOPT_SECONDS = 0.2  # how often the leader looks for runs the followers recorded (several workers)
MAX_WEBHOOK_BYTES = 16_384


class FlowService:
    def __init__(
        self,
        store: FlowStore,
        engine: FlowEngine,
        *,
        clock: Callable[[], datetime],
        wait_seconds: float = RUN_WAIT_SECONDS,
    ) -> None:
        self.store = store
        self.engine = engine
        self._clock = clock
        self._wait = wait_seconds
        self.triggers = None  # the FlowTriggers, set by `build`; absent in a bare service
        self._adopting: asyncio.Task | None = None

    @classmethod
    def build(cls, services, clock: Callable[[], datetime]) -> FlowService:
        from gateway.flow.triggers import FlowTriggers  # triggers need the service they fire into

        settings = services.settings
        store = FlowStore(
            services.engine, WebhookTokens(settings.app_key, settings.api_key_pepper), settings.host_server
        )
        engine = FlowEngine(
            store, NodeActions(services, clock=clock), services.engine, clock=clock, shared=settings.workers > 1
        )
        service = cls(store, engine, clock=clock, wait_seconds=settings.webhook_wait_seconds)
        service.triggers = FlowTriggers(service, services.scheduler, services.market.calendar, clock=clock)
        return service

    # -- the owner's view and changes ------------------------------------------------------------------

    def describe_all(self, user: Principal) -> list[dict]:
        return [self._summary(row) for row in self.store.owned(user.user_id)]

    def describe_one(self, user: Principal, workflow_id: int) -> dict:
        return self._full(self.store.load(user.user_id, workflow_id))

    def create(self, user: Principal, document: FlowWorkflowDocument, signed: bool) -> dict:
        stored = _stored_document(document)
        row, secret = self.store.create(user.user_id, stored, signed=signed)
        return self._full(row, signing_secret=secret)

    def update(self, user: Principal, workflow_id: int, document: FlowWorkflowDocument) -> dict:
        stored = _stored_document(document)
        row = self.store.update(user.user_id, workflow_id, stored)
        self._sync_triggers(row)
        return self._full(row)

    def activate(self, user: Principal, workflow_id: int, active: bool) -> dict:
        row = self.store.set_active(user.user_id, workflow_id, active)
        self._sync_triggers(row)
        return self._full(row)

    def rotate(self, user: Principal, workflow_id: int, signed: bool | None) -> dict:
        row, secret = self.store.rotate(user.user_id, workflow_id, signed)
        return self._full(row, signing_secret=secret)

    def delete(self, user: Principal, workflow_id: int) -> str:
        self.store.load(user.user_id, workflow_id)
        if self.triggers is not None:
            self.triggers.remove(workflow_id)
        return self.store.delete(user.user_id, workflow_id)

    def runs(self, user: Principal, workflow_id: int, limit: int) -> list[dict]:
        self.store.load(user.user_id, workflow_id)  # only the owner reads its runs
        return [_run_summary(run) for run in self.store.runs(workflow_id, limit)]

    def run_detail(self, user: Principal, run_id: int) -> dict:
        return self._run_detail(self.store.owned_run(user.user_id, run_id))

    def _sync_triggers(self, row: FlowWorkflowRecord) -> None:
        if self.triggers is not None:
            self.triggers.sync(row)

    # -- runs -----------------------------------------------------------------------------------------

    async def run_now(self, user: Principal, workflow_id: int, payload: dict | None) -> tuple[dict, int]:
        """Run the workflow from its manual trigger (else its first trigger), active or not."""
        row = self.store.load(user.user_id, workflow_id)
        workflow = _checked(row)
        trigger = workflow.trigger_of("manualTrigger") or workflow.triggers[0]
        run, task = self.engine.start(row, trigger, payload or {})
        return await self._answer(run, task)

    async def fire(
        self,
        workflow_id: int,
        trigger_kind: str,
        payload: dict,
        *,
        node_id: str | None = None,
        dedupe_key: str | None = None,
    ) -> FlowRunRecord | None:
        """A trigger fired: start a run of an active workflow from that trigger node."""
        row = self.store.by_id(workflow_id)
        if row is None or not row.is_active:
            return None
        workflow = _checked(row)
        trigger = workflow.nodes.get(node_id) if node_id else workflow.trigger_of(trigger_kind)
        if trigger is None or trigger.type != trigger_kind:
            return None
        run, _task = self.engine.start(row, trigger, payload, dedupe_key=dedupe_key)
        return run

    async def receive(
        self, token: str, raw: bytes, *, idempotency_key: str | None, signature: str | None
    ) -> tuple[dict, int]:
        """Check a webhook delivery, then record and start its run; the run's outcome, or `queued`."""
        row = self.store.by_token(token)
        if len(raw) > MAX_WEBHOOK_BYTES:
            raise PayloadTooLarge(f"A webhook body may be at most {MAX_WEBHOOK_BYTES} bytes; this one is {len(raw)}")
        if not self.store.tokens.is_signed(row.signing_secret_encrypted, raw, signature):
            raise WebhookSignatureInvalid(
                f"Workflow {row.name} takes signed deliveries only: send X-Brokergate-Signature (t=..,v1=..)"
            )
        if not row.is_active:
            raise Forbidden(f"Workflow {row.name} is not active; activate it to take webhook deliveries")
        trigger = _checked(row).trigger_of("webhookTrigger")
        if trigger is None:
            raise Forbidden(f"Workflow {row.name} has no webhookTrigger node")
        payload = without_token(json_object(raw) if raw.strip() else {}, token)
        key = f"webhook:{idempotency_key}" if idempotency_key else None
        run, task = self.engine.start(row, trigger, payload, dedupe_key=key)
        answer, status = await self._answer(run, task)
        data = answer["data"]
        message = f"Run {run.id} {data['status']}" if status == 200 else f"Run {run.id} accepted and in progress"
        return {
            "status": answer["status"],
            "run_id": run.id,
            "run_status": data["status"],
            "message": message,
            "error": data["error"],
        }, status

    async def _answer(self, run: FlowRunRecord, task: asyncio.Task | None) -> tuple[dict, int]:
        if task is None and not self.engine.leading:  # the leader walks it: wait for its outcome the same while
            deadline = time.monotonic() + self._wait
            while self.store.run_row(run.id).status in UNFINISHED and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), self._wait)
            except TimeoutError:
                detail = self._run_detail(self.store.run_row(run.id))
                return {"status": "queued", "message": f"Run {run.id} is in progress", "data": detail}, 202
        detail = self._run_detail(self.store.run_row(run.id))
        if detail["status"] in ("queued", "running"):
            return {"status": "queued", "message": f"Run {run.id} is in progress", "data": detail}, 202
        return {"status": "success", "data": detail}, 200

    async def start(self, *, feed=None, events=None) -> None:
        """At start (in the leader): resume runs a stop or crash left unfinished, then make the active
        workflows' triggers live: schedules, price alerts on `feed`'s bus, order updates from `events`."""
        self.engine.leading = True
        resumed = await self.engine.resume()
        if resumed:
            log.info("resumed %d flow runs left unfinished by the last run", len(resumed))
        if self.engine.shared:
            self._adopting = asyncio.create_task(self._adopt(), name="flow-adopt")
        if self.triggers is not None:
            await self.triggers.start(self.store.active(), feed=feed, events=events)

    async def stop(self) -> None:
        if self._adopting is not None:
            self._adopting.cancel()
            await asyncio.gather(self._adopting, return_exceptions=True)
            self._adopting = None
        self.engine.leading = not self.engine.shared
        if self.triggers is not None:
            await self.triggers.stop()
        await self.engine.drain()

    async def _adopt(self) -> None:
        while True:
            await asyncio.sleep(ADOPT_SECONDS)
            try:
                self.engine.adopt_queued()
            except Exception:  # a failed look is retried at the next beat
                log.exception("adopting queued flow runs failed")

    # -- descriptions ---------------------------------------------------------------------------------

    def _summary(self, row: FlowWorkflowRecord) -> dict:
        document = json.loads(row.document)
        kinds = [node["type"] for node in document["nodes"] if node["type"] in documents.TRIGGERS]
        last = self.store.last_run(row.id)
        upcoming = self.triggers.next_run(row) if self.triggers is not None and row.is_active else None
        return {
            "workflow_id": row.id,
            "name": row.name,
            "description": row.description,
            "is_active": row.is_active,
            "overlap": document.get("overlap") or "drop",
            "triggers": kinds,
            "webhook_url": self.store.webhook_url(row) if "webhookTrigger" in kinds else None,
            "is_signed": row.signing_secret_encrypted is not None,
            "next_run": upcoming.astimezone(IST).isoformat() if upcoming else None,
            "last_run": None
            if last is None
            else {"run_id": last.id, "status": last.status, "started_at": _iso(last.started_at or last.created_at)},
            "created_at": _iso(row.created_at),
            "updated_at": _iso(row.updated_at),
        }

    def _full(self, row: FlowWorkflowRecord, *, signing_secret: str | None = None) -> dict:
        described = {**self._summary(row), "workflow": json.loads(row.document)}
        if signing_secret is not None:
            described["signing_secret"] = signing_secret
        return described

    def _run_detail(self, run: FlowRunRecord) -> dict:
        steps = [
            {
                "node_id": step.node_id,
                "type": step.type,
                "status": step.status,
                "input": json.loads(step.input),
                "output": json.loads(step.output),
                "error": step.error,
                "started_at": _iso(step.started_at),
                "duration_ms": step.duration_ms,
            }
            for step in self.store.steps(run.id)
        ]
        return {**_run_summary(run), "payload": json.loads(run.payload), "steps": steps}


def _stored_document(document: FlowWorkflowDocument) -> dict:
    """The document as saved: checked, with defaults filled in and no nulls."""
    documents.check(document)
    stored = document.model_dump(mode="json", exclude_none=True, by_alias=True)
    stored.setdefault("overlap", "drop")
    stored.setdefault("edges", [])
    for node in stored["nodes"]:
        node.setdefault("data", {})
    return stored


def _checked(row: FlowWorkflowRecord) -> Workflow:
    return documents.check(json.loads(row.document))


def _run_summary(run: FlowRunRecord) -> dict:
    return {
        "run_id": run.id,
        "workflow_id": run.workflow_id,
        "trigger": run.trigger,
        "status": run.status,
        "started_at": _iso(run.started_at)
        if run.started_at
        else (None if run.status != DROPPED else _iso(run.created_at)),
        "finished_at": _iso(run.finished_at) if run.finished_at else None,
        "error": run.error,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
