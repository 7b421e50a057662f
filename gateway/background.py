"""The gateway's background work, and where it runs: in the one process, or in the leader among workers.

One process (`brokergate serve`): the market clock fills resting orders, the WebSocket feed relays
order events as they happen, and the scheduler, the Telegram bot and the live order watch run.

Several workers (`--workers N`, see gateway/leader.py): every worker keeps its market moving on the
shared grid (so its quotes and MARKET fills use the same prices), stores its order events in the
order-update journal and queues its Telegram alerts in the durable outbox. Only the leader fills
resting orders, serves the WebSocket feed (sending whatever any worker journaled), runs the
scheduler and the bot, and watches live brokers' order books. When it dies, the next leader starts
them; WebSocket clients reconnect and resume with `since`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.events import OrderEvents
from gateway.leader import Leadership, Lease
from gateway.marketclock import MarketClock
from gateway.orderwatch import OrderWatch
from gateway.services import Services
from streaming import JournalTail, OrderJournal, StreamingService
from streaming.journal import JournalWriter


class Background:
    def __init__(self, services: Services, clock: MarketClock, feed: StreamingService, watch: OrderWatch) -> None:
        self.services = services
        self.clock = clock
        self.feed = feed
        self.watch = watch
        self.shared = services.settings.workers > 1
        self.leadership: Leadership | None = None
        self.tail: JournalTail | None = None
        self._journal: OrderJournal | None = None
        self._journal_writer: JournalWriter | None = None
        # What the leader's order-update triggers hear: this process's events alone, or with several
        # workers every worker's, as the journal tail reads them (the leader's own included).
        self.order_updates: OrderEvents = services.events
        if self.shared:
            lease = Lease(services.engine, seconds=services.settings.leader_lease_seconds)
            self.leadership = Leadership(lease, on_gain=self._lead, on_loss=self._follow)
            self.order_updates = OrderEvents()
            self.tail = JournalTail(services.engine, self._relay_journaled)
            self._journal = OrderJournal(services.engine)

    @property
    def leads(self) -> bool:
        return self.leadership is None or self.leadership.is_leader

    async def start(self) -> None:
        services = self.services
        services.checkpoints.start()  # in every worker: each one's commits leave the checkpoints to it
        services.events.subscribe(services.telegram.on_order_event)  # the outbox is durable: any worker queues
        if not self.shared:
            self.clock.start()
            await self._start_leader_work(lambda: services.events.subscribe(self.feed.publish_order_update))
            return
        self._journal_writer = JournalWriter(self._journal)  # type: ignore[arg-type]
        services.events.subscribe(self._journal_order_update)
        self.clock.matching = False
        self.clock.start()
        await self.leadership.start()  # type: ignore[union-attr]

    async def stop(self) -> None:
        services = self.services
        await services.strategies.stop()  # this worker's webhook alerts in flight are placed first
        await services.flow.engine.drain()  # this worker's flow runs in flight finish first
        if not self.shared:
            await self._stop_leader_work(lambda: services.events.unsubscribe(self.feed.publish_order_update))
            await self.clock.stop()
        else:
            await self.leadership.stop()  # type: ignore[union-attr]
            await self.clock.stop()
        await services.sandbox.flush_events()  # the engine's worker stays: a test client may start the app again
        if self._journal_writer is not None:
            services.events.unsubscribe(self._journal_order_update)
            await self._journal_writer.flush()
            self._journal_writer.close()
            self._journal_writer = None
        services.events.unsubscribe(services.telegram.on_order_event)  # after the flush: late fills still queue
        services.checkpoints.stop()

    def _journal_order_update(self, user_id: int, order: dict[str, Any]) -> None:
        # One writer thread, so one worker's updates are numbered in the order they were announced.
        self._journal_writer.submit(user_id, order)  # type: ignore[union-attr]

    def _relay_journaled(self, user_id: int, update: dict[str, Any]) -> None:
        self.feed.publish_journaled(user_id, update)
        self.order_updates(user_id, update)

    async def _lead(self) -> None:
        self.clock.matching = True
        await self._start_leader_work(self.tail.start)  # type: ignore[union-attr]

    async def _follow(self) -> None:
        self.clock.matching = False
        await self._stop_leader_work(self.tail.stop)  # type: ignore[union-attr]

    async def _start_leader_work(self, relay_order_updates) -> None:
        services = self.services
        await self.feed.start()
        outcome = relay_order_updates()
        if asyncio.iscoroutine(outcome):
            await outcome
        await self.watch.start()
        services.scheduler.start()
        services.telegram.schedule(services.scheduler)
        await services.telegram.start()  # pending alerts from before the restart go out first
        await services.historify.resume_interrupted()  # download jobs a stop or crash cut short
        await services.pystrategies.start()  # ends scripts a crashed predecessor left, then supervises
        await services.strategies.start()  # alerts left pending are placed; missed square-offs run
        await services.flow.start(feed=self.feed, events=self.order_updates)  # resume runs; live triggers

    async def _stop_leader_work(self, stop_relay) -> None:
        services = self.services
        await services.pystrategies.stop()  # every script: SIGTERM, then SIGKILL after the grace period
        await services.flow.stop()  # triggers off, runs in flight finish
        await services.historify.stop()
        await services.telegram.stop()
        services.scheduler.stop()
        await self.watch.stop()
        outcome = stop_relay()
        if asyncio.iscoroutine(outcome):
            await outcome
        await self.feed.stop()
