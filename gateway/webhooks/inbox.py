"""The durable alert inbox: an accepted alert is committed before the webhook answers, then placed once.

A delivery becomes a `webhook_alerts` row holding the orders it stands for (its plan), committed
before anything is placed. Each planned order then goes to the order desk under the key
`alert:<id>/<n>`, so a retry, or a restart that finds the alert still pending, replays the desk's
first answer instead of placing again. A delivery repeated within the duplicate window (same body)
or with the same `Idempotency-Key` is the same alert: it answers what the first one answered.

The webhook waits for the placement up to a short deadline and answers with the order ids; past it
the alert is still placed in the background and the answer is `queued` with the alert's id. Alerts
of one source are placed in the order they arrived.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from generated.errors import BrokergateError
from storage import WebhookAlert, session_scope, utcnow

log = logging.getLogger(__name__)

PENDING, PLACED, FAILED, REFUSED = "pending", "placed", "failed", "refused"
# user id, order kind (placeorder | smartorder), request fields, idempotency key -> the desk's answer
Submit = Callable[[int, str, dict, str], Awaitable[dict]]


@dataclass
class Delivery:
    """One webhook request, checked and turned into the orders it stands for."""

    source: str
    source_id: int
    user_id: int
    kind: str
    raw: bytes
    payload: dict[str, Any]
    plan: list[dict[str, Any]] = field(default_factory=list)  # [{"kind": ..., "request": {...}}]
    idempotency_key: str | None = None

    @property
    def body_digest(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


class AlertInbox:
    def __init__(
        self,
        engine: Engine,
        submit: Submit,
        *,
        duplicate_seconds: float = 10.0,
        wait_seconds: float = 5.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._submit = submit
        self._duplicate = timedelta(seconds=duplicate_seconds)
        self._wait = wait_seconds
        self._clock = clock
        self._accepting: defaultdict[tuple[str, int], asyncio.Lock] = defaultdict(asyncio.Lock)
        self._placing: defaultdict[tuple[str, int], asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tasks: dict[int, asyncio.Task] = {}
        # Told of every alert this process settles (alert, answer), e.g. to tell its owner of failed orders.
        self.on_settled: Callable[[WebhookAlert, dict], None] | None = None

    async def deliver(self, delivery: Delivery) -> tuple[dict, int]:
        """Accept `delivery` (or find the alert it repeats) and answer with its outcome, or `queued`."""
        async with self._accepting[(delivery.source, delivery.source_id)]:  # two copies at once: one alert
            alert = self._duplicate_of(delivery) or self._accept(delivery)
        if alert.status != PENDING:
            return json.loads(alert.answer), alert.http_status
        task = self._tasks.get(alert.id) or self._start(alert.id, alert.source, alert.source_id)
        try:
            return await asyncio.wait_for(asyncio.shield(task), self._wait)
        except TimeoutError:
            return _queued(alert.id), 202

    def refuse(self, delivery: Delivery, error: BrokergateError) -> None:
        """Record a delivery refused before acceptance, so its owner sees why nothing happened."""
        answer = {"status": "error", "message": error.message, "code": error.code}
        self._insert(delivery, REFUSED, answer, error.http_status)

    async def recover(self) -> list[int]:
        """Place every alert still pending (a stop or crash came between accept and placement), oldest first."""
        with session_scope(self._engine) as session:
            pending = session.exec(
                select(WebhookAlert.id, WebhookAlert.source, WebhookAlert.source_id)
                .where(WebhookAlert.status == PENDING)
                .order_by(WebhookAlert.id)
            ).all()
        for alert_id, source, source_id in pending:
            await (self._tasks.get(alert_id) or self._start(alert_id, source, source_id))
        return [alert_id for alert_id, _source, _source_id in pending]

    async def drain(self) -> None:
        """Wait for the placements in flight (at stop; what is cut short stays pending for the next start)."""
        if self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    def recent(self, source: str, source_id: int, limit: int = 100) -> list[WebhookAlert]:
        with session_scope(self._engine) as session:
            return list(
                session.exec(
                    select(WebhookAlert)
                    .where(WebhookAlert.source == source, WebhookAlert.source_id == source_id)
                    .order_by(WebhookAlert.id.desc())
                    .limit(limit)
                ).all()
            )

    def get(self, alert_id: int) -> WebhookAlert | None:
        with session_scope(self._engine) as session:
            return session.get(WebhookAlert, alert_id)

    # -- inside ---------------------------------------------------------------------------------------

    def _duplicate_of(self, delivery: Delivery) -> WebhookAlert | None:
        query = select(WebhookAlert).where(
            WebhookAlert.source == delivery.source,
            WebhookAlert.source_id == delivery.source_id,
            WebhookAlert.status != REFUSED,
        )
        if delivery.idempotency_key is not None:
            query = query.where(WebhookAlert.dedupe_key == delivery.idempotency_key)
        else:
            since = self._clock().astimezone(UTC) - self._duplicate
            query = query.where(WebhookAlert.body_digest == delivery.body_digest, WebhookAlert.received_at >= since)
        with session_scope(self._engine) as session:
            return session.exec(query.order_by(WebhookAlert.id.desc()).limit(1)).first()

    def _accept(self, delivery: Delivery) -> WebhookAlert:
        try:
            return self._insert(delivery, PENDING, {}, 202)
        except IntegrityError:  # another process accepted the same Idempotency-Key first
            found = self._duplicate_of(delivery)
            if found is None:
                raise
            return found

    def _insert(self, delivery: Delivery, status: str, answer: dict, http_status: int) -> WebhookAlert:
        now = self._clock().astimezone(UTC)
        row = WebhookAlert(
            source=delivery.source,
            source_id=delivery.source_id,
            user_id=delivery.user_id,
            kind=delivery.kind,
            body_digest=delivery.body_digest,
            dedupe_key=delivery.idempotency_key if status != REFUSED else None,
            payload=json.dumps(delivery.payload, default=str)[:16_384],
            plan=json.dumps(delivery.plan),
            status=status,
            answer=json.dumps(answer),
            http_status=http_status,
            received_at=now,
            settled_at=now if status == REFUSED else None,
        )
        with session_scope(self._engine) as session:
            session.add(row)
            session.flush()  # assigns the id; every other field is already on the row
            session.expunge(row)
        return row

    def _start(self, alert_id: int, source: str, source_id: int) -> asyncio.Task:
        settle = self._settle(alert_id, source, source_id)
        task = asyncio.get_running_loop().create_task(settle, name=f"webhook-alert-{alert_id}")
        self._tasks[alert_id] = task
        task.add_done_callback(lambda _task: self._tasks.pop(alert_id, None))
        return task

    async def _settle(self, alert_id: int, source: str, source_id: int) -> tuple[dict, int]:
        async with self._placing[(source, source_id)]:  # one source's alerts in arrival order
            alert = self.get(alert_id)  # read under the lock: an earlier holder may have settled it
            if alert.status != PENDING:
                return json.loads(alert.answer), alert.http_status
            try:
                answer, status = await self._place(alert)
            except Exception as e:  # a fault outside the desk's errors: record it rather than leave it pending forever
                log.exception("placing webhook alert %s failed", alert_id)
                answer, status = (
                    {"status": "error", "alert_id": alert_id, "message": str(e)[:200], "code": "INTERNAL_ERROR"},
                    500,
                )
            self._finish(alert_id, answer, status)
            if self.on_settled is not None:
                try:
                    self.on_settled(alert, answer)
                except Exception:  # a listener's fault must not undo a settled placement
                    log.exception("the listener of webhook alert %s failed", alert_id)
            return answer, status

    async def _place(self, alert: WebhookAlert) -> tuple[dict, int]:
        results, mode, first_error = [], None, None
        for number, planned in enumerate(json.loads(alert.plan), start=1):
            request = planned["request"]
            result = {"symbol": request["symbol"], "exchange": request["exchange"], "action": request["action"]}
            try:
                placed = await self._submit(alert.user_id, planned["kind"], request, f"alert:{alert.id}/{number}")
            except BrokergateError as e:
                first_error = first_error or e
                results.append({**result, "status": "error", "message": e.message, "code": e.code})
                continue
            mode = placed.get("mode", mode)
            outcome = {
                key: placed[key] for key in ("orderid", "message", "pending_order_id") if placed.get(key) is not None
            }
            results.append({**result, "status": "success", **outcome})
        body: dict[str, Any] = {"alert_id": alert.id, "orders": results}
        if mode:
            body["mode"] = mode
        if first_error is not None and all(result["status"] == "error" for result in results):
            return {
                "status": "error",
                "message": first_error.message,
                "code": first_error.code,
                **body,
            }, first_error.http_status
        placed_count = sum(result["status"] == "success" for result in results)
        message = f"Alert {alert.id}: {placed_count} of {len(results)} orders placed"
        return {"status": "success", "message": message, **body}, 200

    def _finish(self, alert_id: int, answer: dict, http_status: int) -> None:
        status = PLACED if http_status < 400 else FAILED
        with session_scope(self._engine) as session:
            session.execute(
                update(WebhookAlert)
                .where(WebhookAlert.id == alert_id, WebhookAlert.status == PENDING)
                .values(
                    status=status, answer=json.dumps(answer, default=str), http_status=http_status, settled_at=utcnow()
                )
                .execution_options(synchronize_session=False)
            )


def _queued(alert_id: int) -> dict:
    return {
        "status": "queued",
        "alert_id": alert_id,
        "message": f"Alert {alert_id} accepted and stored; its orders are being placed",
        "orders": [],
    }
