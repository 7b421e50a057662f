"""Compose the bus, the feed adapter and the WebSocket server into one service with start and stop.

The gateway creates one `StreamingService` in its lifespan, on the same event loop as uvicorn,
and hands it three async callables it owns: API key to user id, user id to broker details, and
the list of supported brokers. Order events enter through `publish_order_update()`.

With an `OrderJournal`, each order update is first stored under the user's next durable sequence
(on one writer thread, so in announcement order) and published once stored; `subscribe_orders`
with `since` then replays from the journal. Without one, the bus sequence numbers order updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from streaming.actions import Authenticator, BrokerInfo, SupportedBrokers
from streaming.adapter import StreamingAdapter
from streaming.adapters.offline import MarketSource, OfflineAdapter
from streaming.bus import DEFAULT_BUS_ADDRESS, BusMessage, BusPublisher, BusSubscriber, order_topic
from streaming.journal import JournalWriter, OrderJournal
from streaming.server import ServerLimits, StreamingServer

__all__ = ["StreamingService"]

logger = logging.getLogger(__name__)

AdapterFactory = Callable[[BusPublisher], StreamingAdapter]


class StreamingService:
    """Bus subscriber, publisher, feed adapter and WebSocket server, started and stopped together."""

    def __init__(
        self,
        *,
        authenticate: Authenticator,
        broker_info: BrokerInfo,
        supported_brokers: SupportedBrokers,
        market: MarketSource | None = None,
        adapter_factory: AdapterFactory | None = None,
        host: str = "127.0.0.1",
        port: int = 8765,
        bus_address: str = DEFAULT_BUS_ADDRESS,
        limits: ServerLimits | None = None,
        feed_interval: float = 0.25,
        journal: OrderJournal | None = None,
    ) -> None:
        if market is None and adapter_factory is None:
            raise ValueError("StreamingService needs a market for the offline feed, or an adapter_factory")
        self._authenticate = authenticate
        self._broker_info = broker_info
        self._supported_brokers = supported_brokers
        self._adapter_factory = adapter_factory or (
            lambda publisher: OfflineAdapter(publisher, market, interval=feed_interval)  # type: ignore[arg-type]
        )
        self._host, self._port = host, port
        self._bus_address = bus_address
        self._limits = limits
        self.journal = journal
        self._journal_writer: JournalWriter | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscriber: BusSubscriber | None = None
        self._publisher: BusPublisher | None = None
        self._bus_task: asyncio.Task[None] | None = None
        self.adapter: StreamingAdapter | None = None
        self.server: StreamingServer | None = None
        # In-process listeners of every bus batch (flow price alerts), called after the clients' fan-out.
        self.taps: list[Callable[[list[BusMessage]], None]] = []

    @property
    def port(self) -> int:
        """The WebSocket port actually bound (useful when 0 was asked for)."""
        return self.server.port if self.server is not None else self._port

    @property
    def bus_address(self) -> str:
        """The bus endpoint actually bound; publishers in other processes connect here."""
        return self._subscriber.address if self._subscriber is not None else self._bus_address

    async def start(self) -> None:
        # Order matters: the subscriber must be bound and reading before any publisher sends,
        # and the server must exist before the bus loop hands it messages.
        self._subscriber = BusSubscriber(self._bus_address)
        self._publisher = BusPublisher(self._subscriber.address)
        self.adapter = self._adapter_factory(self._publisher)
        self.server = StreamingServer(
            feed=self.adapter,
            authenticate=self._authenticate,
            broker_info=self._broker_info,
            supported_brokers=self._supported_brokers,
            host=self._host,
            port=self._port,
            limits=self._limits,
            order_history=self._order_history if self.journal is not None else None,
        )
        self._loop = asyncio.get_running_loop()
        if self.journal is not None:
            self._journal_writer = JournalWriter(self.journal, self._stored)
        self._bus_task = asyncio.create_task(self._pump(), name="streaming-bus")
        await self._publisher.wait_for_subscriber()
        await self.server.start()
        await self.adapter.start()

    async def stop(self) -> None:
        if self._journal_writer is not None:  # store and send what was announced before the stop
            await self.flush_order_updates()
            self._journal_writer.close()
            self._journal_writer = None
        if self.adapter is not None:
            await self.adapter.stop()
        if self.server is not None:
            await self.server.stop()
        if self._bus_task is not None:
            self._bus_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._bus_task
        for socket in (self._publisher, self._subscriber):
            if socket is not None:
                socket.close()

    def publish_order_update(self, user_id: int, order: dict[str, Any]) -> int | None:
        """Send one order event to that user's `subscribe_orders` clients.

        Without a journal, return its bus sequence. With one, it is stored first and sent once
        stored; return None (`flush_order_updates` waits for it).
        """
        if self._publisher is None:
            raise RuntimeError("StreamingService.publish_order_update called before start()")
        if self._journal_writer is None:
            return self._publisher.publish(order_topic(user_id), order)
        self._journal_writer.submit(user_id, order)
        return None

    def publish_journaled(self, user_id: int, update: dict[str, Any]) -> None:
        """Send an order update that is already in the journal, `sequence` included (stored by another worker)."""
        if self._publisher is None:
            raise RuntimeError("StreamingService.publish_journaled called before start()")
        self._publisher.publish(order_topic(user_id), update)

    def _stored(self, batch: list[tuple[int, dict[str, Any]]], sequences: list[int | None]) -> None:
        self._loop.call_soon_threadsafe(self._send_stored, batch, sequences)  # type: ignore[union-attr]

    def _send_stored(self, batch: list[tuple[int, dict[str, Any]]], sequences: list[int | None]) -> None:
        for (user_id, order), sequence in zip(batch, sequences, strict=True):
            if sequence is not None and self._publisher is not None:  # a refused one was logged by the writer
                self._publisher.publish(order_topic(user_id), {**order, "sequence": sequence})

    async def flush_order_updates(self) -> None:
        """Wait until every order update announced so far is stored and published."""
        if self._journal_writer is not None:
            await self._journal_writer.flush()
            await asyncio.sleep(0)

    async def _order_history(self, user_id: int, since: int) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.journal.since, user_id, since)  # type: ignore[union-attr]

    async def _pump(self) -> None:
        assert self._subscriber is not None and self.server is not None
        async for batch in self._subscriber.batches():
            self.server.dispatch(batch)
            for tap in self.taps:
                try:
                    tap(batch)
                except Exception:  # a listener's fault must not stop the feed to clients
                    logger.exception("bus tap %r failed", tap)

    def stats(self) -> dict[str, Any]:
        """Counters for /metrics: bus in and gaps, frames out and dropped, per-client lag, feed health."""
        figures: dict[str, Any] = {}
        for part in (self._subscriber, self.server, self.adapter):
            if part is not None:
                figures.update(part.stats())
        if self._publisher is not None:
            figures["bus_published"] = self._publisher.published
        if self.server is not None:
            figures["bus_malformed"] = figures.get("bus_malformed", 0) + self.server.fanout.malformed
        return figures
