"""The live triggers of active workflows: schedules, price crossings and order updates.

Schedules are jobs of the shared, persistent scheduler (IST), one per schedule node, keyed
`flow-<workflow id>-<node id>`; a firing on a non-trading day (or outside the session, with
`market_hours_only`) is skipped, and a firing missed while the server was down runs once at start
(`missed: run_once`, within the scheduler's grace time) or not at all (`skip`). Each firing is a
run keyed by its minute, so the same firing never runs twice.

Price alerts listen to the market-data bus (the streaming service's taps) for the instruments
they watch, which are kept subscribed on the feed; nothing polls quotes. An alert fires once when
the price crosses its level and re-arms only after the price is back on the other side; the first
tick it sees only tells it which side the price is on.

Order updates come from the order event hub. All of this runs where the scheduler and the feed
run: in the leader among several workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from gateway.flow.document import Node
from gateway.scheduler import Scheduler, crontab
from generated.api import FlowScheduleParams
from sandbox.market import IST
from storage import FlowWorkflowRecord

log = logging.getLogger(__name__)

FIRE_TASK = "flow.fire"
SKIP_GRACE_SECONDS = 60  # `missed: skip`: a firing later than this is dropped by the scheduler
WATCH_SECONDS = 5.0  # how often the leader re-reads active workflows (changed in another worker) and the feed
MAX_ORDER_RUNS_PER_MINUTE = 30  # an order-update workflow that places orders must not feed itself forever


def job_id(workflow_id: int, node_id: str) -> str:
    return f"flow-{workflow_id}-{node_id}"


@dataclass
class PriceAlert:
    workflow_id: int
    node_id: str
    exchange: str
    symbol: str
    condition: str  # crosses_above | crosses_below
    price: float
    armed: bool | None = None  # None until the first tick says which side the price is on

    def observe(self, ltp: float) -> bool:
        """Take one price; True when it crosses the level (once per crossing)."""
        beyond = ltp >= self.price if self.condition == "crosses_above" else ltp <= self.price
        if self.armed is None:
            self.armed = not beyond  # starting beyond the level is not a crossing
            return False
        if beyond and self.armed:
            self.armed = False
            return True
        if not beyond:
            self.armed = True
        return False


class FlowTriggers:
    def __init__(self, service, scheduler: Scheduler, calendar, *, clock: Callable[[], datetime]) -> None:
        self._service = service
        self._scheduler = scheduler
        self._calendar = calendar
        self._clock = clock
        self.alerts: dict[tuple[str, str], list[PriceAlert]] = {}  # (exchange, symbol) -> alerts
        self._order_nodes: dict[int, list[Node]] = {}  # workflow id -> its orderUpdateTrigger nodes
        self._owners: dict[int, int] = {}  # workflow id -> user id
        self._order_runs: dict[int, list[datetime]] = {}
        self._synced: dict[int, datetime] = {}  # workflow id -> the updated_at its live triggers follow
        self._feed = None
        self._events = None
        self._watchdog: asyncio.Task | None = None
        self._started = False
        self._pending: set[asyncio.Task] = set()
        scheduler.task(FIRE_TASK)(self.fire_schedule)

    # -- (un)registering ------------------------------------------------------------------------------

    def sync(self, row: FlowWorkflowRecord) -> None:
        """Make the live triggers match the workflow: its nodes while active, nothing while not.

        Only where triggers run (the leader, once started); elsewhere the leader's watch picks the
        change up from the database within `WATCH_SECONDS`.
        """
        if not self._live:
            return
        self.remove(row.id)
        if not row.is_active:
            return
        self._synced[row.id] = row.updated_at
        nodes = [Node(node["id"], node["type"], node.get("data") or {}) for node in json.loads(row.document)["nodes"]]
        for node in nodes:
            if node.type == "schedule":
                self._schedule(row.id, node)
            elif node.type == "priceAlert":
                data = node.data
                key = (data["exchange"], data["symbol"].upper())
                alert = PriceAlert(row.id, node.id, key[0], key[1], data["condition"], float(data["price"]))
                self.alerts.setdefault(key, []).append(alert)
            elif node.type == "orderUpdateTrigger":
                self._order_nodes.setdefault(row.id, []).append(node)
                self._owners[row.id] = row.user_id
        self._subscribe_alerts()

    def refresh(self) -> None:
        """Follow changes made in other workers: new, changed, deactivated and deleted workflows."""
        rows = {row.id: row for row in self._service.store.active()}
        for workflow_id in set(self._synced) - set(rows):
            self.remove(workflow_id)
        for workflow_id, row in rows.items():
            if self._synced.get(workflow_id) != row.updated_at:
                self.sync(row)

    def remove(self, workflow_id: int) -> None:
        self._synced.pop(workflow_id, None)
        prefix = job_id(workflow_id, "")
        for known in self._scheduler.job_ids():
            if known.startswith(prefix):
                self._scheduler.cancel(known)
        for key in list(self.alerts):
            self.alerts[key] = [alert for alert in self.alerts[key] if alert.workflow_id != workflow_id]
            if not self.alerts[key]:
                del self.alerts[key]
        self._order_nodes.pop(workflow_id, None)
        self._owners.pop(workflow_id, None)

    def next_run(self, row: FlowWorkflowRecord) -> datetime | None:
        if not self._scheduler.running:
            return None
        prefix = job_id(row.id, "")
        times = [self._scheduler.next_run(known) for known in self._scheduler.job_ids() if known.startswith(prefix)]
        times = [moment for moment in times if moment is not None]
        return min(times) if times else None

    # -- schedules ------------------------------------------------------------------------------------

    def _schedule(self, workflow_id: int, node: Node) -> None:
        params = FlowScheduleParams.model_validate(node.data)
        if params.mode == "cron":
            trigger = crontab(params.cron)
        elif params.mode == "interval":
            trigger = IntervalTrigger(seconds=params.interval_seconds, timezone=IST)
        else:
            at = params.at  # the schema insists on an offset
            if at <= self._clock():
                return  # a one-off time already past never fires
            trigger = DateTrigger(run_date=at, timezone=IST)
        grace = SKIP_GRACE_SECONDS if params.missed == "skip" else None
        self._scheduler.schedule(
            job_id(workflow_id, node.id),
            FIRE_TASK,
            trigger,
            grace_seconds=grace,
            workflow_id=workflow_id,
            node_id=node.id,
        )

    async def fire_schedule(self, workflow_id: int, node_id: str) -> int | None:
        """A schedule job fired: run the workflow unless the day or hour is outside what it asks."""
        row = self._service.store.by_id(workflow_id)
        if row is None or not row.is_active:
            return None
        node = next((item for item in json.loads(row.document)["nodes"] if item["id"] == node_id), None)
        if node is None or node["type"] != "schedule":
            return None
        params = FlowScheduleParams.model_validate(node.get("data") or {})
        now = self._clock().astimezone(IST)
        exchange = params.exchange or "NSE"
        if params.trading_days_only is not False and not self._calendar.is_trading_day(now.date(), exchange):
            log.info("flow workflow %s: schedule %s skipped, %s is not a trading day", workflow_id, node_id, now.date())
            return None
        if params.market_hours_only and not self._calendar.is_session(exchange, now):
            log.info("flow workflow %s: schedule %s skipped, %s is not in session", workflow_id, node_id, exchange)
            return None
        minute = now.replace(second=0, microsecond=0)
        payload = {"scheduled_at": minute.isoformat(), "fired_at": now.isoformat()}
        run = await self._service.fire(
            workflow_id, "schedule", payload, node_id=node_id, dedupe_key=f"schedule:{node_id}:{minute.isoformat()}"
        )
        return run.id if run is not None else None

    # -- price alerts ---------------------------------------------------------------------------------

    def on_bus(self, batch) -> None:
        """A tap on the market-data bus: check each tick of a watched instrument against its alerts."""
        for message in batch:
            if message.topic.startswith(("orders/", "state/", "_")):
                continue
            exchange, _, symbol = message.topic.partition(":")
            alerts = self.alerts.get((exchange, symbol))
            if not alerts:
                continue
            tick = message.json()
            self.on_price(exchange, symbol, float(tick["ltp"]), tick)

    def on_price(self, exchange: str, symbol: str, ltp: float, tick: dict[str, Any] | None = None) -> list[PriceAlert]:
        fired = [alert for alert in self.alerts.get((exchange, symbol), []) if alert.observe(ltp)]
        for alert in fired:
            payload = {
                "symbol": symbol,
                "exchange": exchange,
                "ltp": ltp,
                "price": alert.price,
                "condition": alert.condition,
                "fired_at": self._clock().isoformat(),
            }
            if tick is not None:
                payload["tick"] = {key: tick.get(key) for key in ("ltp", "volume", "timestamp", "open", "high", "low")}
            self._spawn(self._service.fire(alert.workflow_id, "priceAlert", payload, node_id=alert.node_id))
        return fired

    def _subscribe_alerts(self) -> None:
        if self._feed is not None and self._feed.adapter is not None and self.alerts:
            self._spawn(self._ensure_subscribed())

    async def _ensure_subscribed(self) -> None:
        from streaming.protocol import InstrumentKey, Mode

        adapter = self._feed.adapter if self._feed is not None else None
        if adapter is None:
            return
        # A WebSocket client leaving may unsubscribe an instrument an alert still watches: ask again.
        missing = {InstrumentKey(exchange, symbol): Mode.LTP for exchange, symbol in self.alerts}
        missing = {key: mode for key, mode in missing.items() if adapter.state(key) is None}
        if missing:
            refused = {key: why for key, why in (await adapter.subscribe(missing)).items() if why}
            for key, why in refused.items():
                log.warning("flow price alert on %s cannot be watched: %s", key.topic, why)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            try:
                await asyncio.to_thread(lambda: None)  # yield to requests before reading the database
                self.refresh()
                await self._ensure_subscribed()
            except Exception:  # a hiccup must not end the watch; the next round tries again
                log.exception("refreshing flow triggers failed")

    # -- order updates --------------------------------------------------------------------------------

    def on_order_event(self, user_id: int, order: dict[str, Any]) -> None:
        for workflow_id, nodes in list(self._order_nodes.items()):
            if self._owners.get(workflow_id) != user_id:
                continue
            for node in nodes:
                wanted_status, wanted_symbol = node.data.get("status"), node.data.get("symbol")
                status = str(order.get("order_status") or order.get("status") or "").lower()
                if wanted_status and status != wanted_status:
                    continue
                if wanted_symbol and str(order.get("symbol", "")).upper() != wanted_symbol.upper():
                    continue
                if not self._order_run_allowed(workflow_id):
                    log.warning(
                        "flow workflow %s: order-update runs over %d a minute, one skipped",
                        workflow_id,
                        MAX_ORDER_RUNS_PER_MINUTE,
                    )
                    continue
                payload = {
                    key: value
                    for key, value in order.items()
                    if isinstance(value, (str, int, float, bool)) or value is None
                }
                self._spawn(self._service.fire(workflow_id, "orderUpdateTrigger", payload, node_id=node.id))

    def _order_run_allowed(self, workflow_id: int) -> bool:
        now = self._clock()
        recent = [moment for moment in self._order_runs.get(workflow_id, []) if now - moment < timedelta(minutes=1)]
        allowed = len(recent) < MAX_ORDER_RUNS_PER_MINUTE
        if allowed:
            recent.append(now)
        self._order_runs[workflow_id] = recent
        return allowed

    # -- lifecycle ------------------------------------------------------------------------------------

    def _spawn(self, coroutine) -> None:
        try:
            task = asyncio.get_running_loop().create_task(coroutine)
        except RuntimeError:  # no loop (a CLI edit): the live triggers start with the server
            coroutine.close()
            return
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    @property
    def _live(self) -> bool:
        return self._started and self._scheduler.running

    async def start(self, active: list[FlowWorkflowRecord], *, feed=None, events=None) -> None:
        """Make the active workflows' triggers live (in the leader, after the scheduler started)."""
        self._feed, self._events = feed, events
        self._started = True
        for row in active:
            self.sync(row)
        if feed is not None:
            feed.taps.append(self.on_bus)
            await self._ensure_subscribed()
        if events is not None:
            events.subscribe(self.on_order_event)
        self._watchdog = asyncio.create_task(self._watch(), name="flow-trigger-watch")

    async def stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
            self._watchdog = None
        if self._feed is not None and self.on_bus in self._feed.taps:
            self._feed.taps.remove(self.on_bus)
        if self._events is not None:
            with contextlib.suppress(ValueError):
                self._events.unsubscribe(self.on_order_event)
        self._feed = self._events = None
        self._started = False
        self.alerts.clear()
        self._order_nodes.clear()
        self._synced.clear()
        if self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)
