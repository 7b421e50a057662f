"""Fan bus messages out to connections through bounded per-connection queues.

The bus loop never awaits a client: it only appends to queues, so a slow reader cannot delay
anyone else (OpenAlgo awaits every client's send before reading the next tick). Each queue keeps
control frames (replies, order updates, subscription states) in order and never drops them; market
data is kept in order while the client keeps up, and once `max_pending` frames wait, it collapses
to the latest frame per instrument (conflation). Its size is then bounded by the subscriptions;
the server disconnects a client that stays stuck longer than its lag limit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Protocol

from streaming.adapter import SubscriptionState
from streaming.bus import ORDER_PREFIX, PROBE_TOPIC, STATE_PREFIX, BusMessage
from streaming.payloads import market_data_frame
from streaming.protocol import InstrumentKey, Mode
from streaming.subscriptions import SubscriptionRegistry

__all__ = ["ClientQueue", "Fanout", "Recipient"]

logger = logging.getLogger(__name__)


class ClientQueue:
    """Frames waiting for one connection's writer."""

    def __init__(self, *, max_pending: int = 2048, max_control: int = 1024) -> None:
        self.max_pending = max_pending
        self.max_control = max_control
        self._control: deque[str] = deque()
        self._market: deque[tuple[Hashable, str, float]] = deque()
        self._conflated: dict[Hashable, tuple[str, float]] | None = None
        self._ready = asyncio.Event()
        self.dropped = 0
        self.overflowed = False

    def __len__(self) -> int:
        return len(self._control) + (
            len(self._conflated) if self._conflated is not None else len(self._market)
        )

    def put_control(self, frame: str) -> None:
        """Queue a frame that must not be lost; overflowing marks the client for disconnection."""
        if len(self._control) >= self.max_control:
            self.overflowed = True
            return
        self._control.append(frame)
        self._ready.set()

    def put_market(self, key: Hashable, frame: str, enqueued_at: float) -> None:
        if self._conflated is not None:
            waiting = self._conflated.get(key)
            if waiting is not None:
                self.dropped += 1
                enqueued_at = waiting[1]  # lag counts from the oldest tick this frame stands for
            self._conflated[key] = (frame, enqueued_at)
        elif len(self._market) < self.max_pending:
            self._market.append((key, frame, enqueued_at))
        else:
            self._conflate()
            self.put_market(key, frame, enqueued_at)
        self._ready.set()

    def _conflate(self) -> None:
        latest: dict[Hashable, tuple[str, float]] = {}
        for key, frame, enqueued_at in self._market:
            # Keep the first enqueue time: lag is measured from the oldest unsent tick.
            first = latest[key][1] if key in latest else enqueued_at
            latest[key] = (frame, first)
        self.dropped += len(self._market) - len(latest)
        self._market.clear()
        self._conflated = latest

    async def wait(self) -> None:
        await self._ready.wait()

    def take(self) -> tuple[list[str], float | None]:
        """Return every waiting frame, control first, and the enqueue time of the oldest market frame."""
        frames = list(self._control)
        self._control.clear()
        if self._conflated is not None:
            entries: Iterable[tuple[str, float]] = self._conflated.values()
            self._conflated = None
        else:
            entries = [(frame, enqueued_at) for _, frame, enqueued_at in self._market]
            self._market.clear()
        oldest = None
        for frame, enqueued_at in entries:
            frames.append(frame)
            oldest = enqueued_at if oldest is None else min(oldest, enqueued_at)
        self._ready.clear()
        return frames, oldest


class Recipient(Protocol):
    """What the fan-out needs to know about one authenticated connection."""

    queue: ClientQueue
    user_id: int | None
    broker: str
    wants_orders: bool
    order_floor: int  # the highest order_update sequence this client has been sent
    order_buffer: list[tuple[int, str]] | None  # live order updates held while a replay is read


class Fanout:
    """Route bus messages: ticks to subscribers, states to subscribers, orders to their user."""

    def __init__(
        self,
        registry: SubscriptionRegistry,
        clients: dict[Hashable, Recipient],
        clients_of_user: Callable[[int], Iterable[Recipient]],
    ) -> None:
        self._registry = registry
        self._clients = clients
        self._clients_of_user = clients_of_user
        self._keys: dict[str, InstrumentKey] = {}
        self.states: dict[InstrumentKey, str] = {}
        self.ticks_in = 0
        self.orders_in = 0
        self.ticks_unrouted = 0
        self.malformed = 0

    def dispatch(self, batch: list[BusMessage]) -> None:
        now = time.monotonic()
        for message in batch:
            topic = message.topic
            try:
                if topic.startswith(ORDER_PREFIX):
                    self._dispatch_order(message)
                elif topic.startswith(STATE_PREFIX):
                    self._dispatch_state(message)
                elif topic != PROBE_TOPIC:
                    self._dispatch_tick(message, now)
            except (ValueError, KeyError, TypeError) as e:  # one bad payload must not stop the bus
                self.malformed += 1
                logger.warning("unusable bus message on %s: %s", topic, e)

    def _instrument(self, topic: str) -> InstrumentKey:
        key = self._keys.get(topic)
        if key is None:
            # Exchange names contain no colon; symbols may (Dhan's "RELIANCE:20"), so split once.
            exchange, _, symbol = topic.partition(":")
            key = self._keys[topic] = InstrumentKey(exchange, symbol)
        return key

    def _dispatch_tick(self, message: BusMessage, now: float) -> None:
        self.ticks_in += 1
        key = self._instrument(message.topic)
        recipients = self._registry.recipients(key)
        if not recipients:
            self.ticks_unrouted += 1
            return
        payload = message.json()
        frames: dict[tuple[Mode, str], str] = {}  # one encoding per (mode, broker), shared by clients
        for client_id, mode in recipients:
            client = self._clients.get(client_id)
            if client is None:
                continue
            frame = frames.get((mode, client.broker))
            if frame is None:
                frame = frames[(mode, client.broker)] = market_data_frame(
                    payload, mode, client.broker, message.sequence, key.symbol, key.exchange
                )
            client.queue.put_market(key, frame, now)

    def _dispatch_state(self, message: BusMessage) -> None:
        key = self._instrument(message.topic[len(STATE_PREFIX) :])
        state = message.json()
        self.states[key] = state["state"]
        if state["state"] == SubscriptionState.ACKNOWLEDGED:
            return  # the subscribe reply already says so, in order, for the client that asked
        for client_id, mode in self._registry.recipients(key):
            client = self._clients.get(client_id)
            if client is not None:
                client.queue.put_control(
                    subscription_state_frame(key, mode, state["state"], state.get("reason"))
                )

    def _dispatch_order(self, message: BusMessage) -> None:
        self.orders_in += 1
        user_id = int(message.topic[len(ORDER_PREFIX) :])
        frame, sequence = None, 0
        for client in self._clients_of_user(user_id):
            if client.wants_orders:
                if frame is None:
                    frame, sequence = order_update_frame(message.json(), message.sequence)
                if client.order_buffer is not None:
                    client.order_buffer.append((sequence, frame))
                elif sequence > client.order_floor:  # a replay may already have sent it
                    client.order_floor = sequence
                    client.queue.put_control(frame)


def order_update_frame(order: dict[str, Any], bus_sequence: int) -> tuple[str, int]:
    """Encode an `order_update`; its sequence is the journal's durable one, else the bus sequence."""
    order["type"] = "order_update"
    sequence = order.setdefault("sequence", bus_sequence)
    return json.dumps(order, separators=(",", ":")), sequence


def subscription_state_frame(key: InstrumentKey, mode: Mode, state: str, reason: Any = None) -> str:
    """Encode a `subscription_state` frame: acknowledged, live or reconnecting."""
    frame: dict[str, Any] = {
        "type": "subscription_state",
        "symbol": key.symbol,
        "exchange": key.exchange,
        "mode": int(mode),
        "state": state,
    }
    if reason:
        frame["reason"] = str(reason)
    return json.dumps(frame, separators=(",", ":"))
