"""Order updates from live brokers: each connected user's order book is read every few seconds and every
change (a fill, a rejection, a cancel, a new order) goes out as an order event, exactly as the sandbox
announces its own: to the WebSocket `order_update` stream and the console.

This is the broker-neutral way; a broker's own push feed, when a plugin wires one, makes it
immediate. Reads go through the plugin, so they keep the broker's rate limits; a failed read (the
session ended, the broker throttled or is down) is logged and tried again on the next beat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from gateway.accounts import Principal
from gateway.events import OrderEvents
from gateway.routing import BrokerRouter
from gateway.sessions import BrokerSessions
from generated.errors import BrokergateError

log = logging.getLogger(__name__)
# What makes an order "changed" for its owner: these fields of the order book row.
WATCHED = ("order_status", "filled_quantity", "average_price", "quantity", "price", "trigger_price")


class OrderWatch:
    def __init__(self, router: BrokerRouter, sessions: BrokerSessions, events: OrderEvents, *, interval: float) -> None:
        self._router = router
        self._sessions = sessions
        self._events = events
        self._interval = interval
        self._seen: dict[tuple[int, str], dict[str, tuple]] = {}  # (user, broker) -> order id -> watched fields
        self._task: asyncio.Task | None = None
        self.reads = 0
        self.failures = 0

    async def start(self) -> None:
        if self._interval > 0:
            self._task = asyncio.create_task(self._run(), name="order-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.poll_once()

    async def poll_once(self) -> int:
        """Read every live user's order book once; answer how many order events went out."""
        sent = 0
        users = await asyncio.to_thread(self._sessions.live_users)
        # A user who logged out is forgotten: their next login starts from a fresh baseline.
        self._seen = {key: seen for key, seen in self._seen.items() if key[0] in users}
        for user_id in users:
            try:
                route = self._router.route(Principal(user_id=user_id, username=""))
                if route.is_analyze:
                    continue  # the sandbox announces its own orders
                book = await route.plugin.order_book(route.account(user_id))
            except BrokergateError as e:
                self.failures += 1
                log.info("order watch: could not read user %s's order book (%s)", user_id, e.code)
                continue
            self.reads += 1
            sent += self._announce(user_id, route.broker, [order.model_dump(mode="json") for order in book.orders])
        return sent

    def _announce(self, user_id: int, broker: str, orders: list[dict[str, Any]]) -> int:
        key = (user_id, broker)
        current = {order["orderid"]: tuple(order.get(name) for name in WATCHED) for order in orders}
        previous = self._seen.get(key)
        self._seen[key] = current
        if previous is None:
            return 0  # the first read is the baseline: what was already there is not news
        changed = [order for order in orders if previous.get(order["orderid"]) != current[order["orderid"]]]
        for order in changed:
            self._events(user_id, order)
        return len(changed)
