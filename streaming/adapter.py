"""The lifecycle every broker streaming adapter shares: connect, subscribe, watch, reconnect.

A concrete adapter only says how to talk to its upstream (`_connect`, `_subscribe_upstream`,
`_unsubscribe_upstream`, `_receive`, optionally `_heartbeat`, `_check_instrument`). This base
runs the rest, which OpenAlgo leaves to each adapter and gets wrong in different ways:

* connect with exponential backoff and jitter, forever (OpenAlgo gives up after 10 to 50 tries);
* fetch credentials before every connect, so a daily token rollover heals itself, and
  `rollover()` forces a reconnect with the new token at the moment the session changes;
* subscribe in batches, and resubscribe everything after every reconnect;
* heartbeat, and treat "connected but no data for `stall_timeout` seconds" as a dead connection;
* report each instrument's state on the bus: `acknowledged` when recorded, `live` once its first
  tick arrived, `reconnecting` while the upstream is down (OpenAlgo acks and hopes, issue #1458).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter

from streaming.bus import BusPublisher, state_topic
from streaming.protocol import InstrumentKey, Mode

__all__ = ["FeedStalled", "StreamingAdapter", "SubscriptionState"]

logger = logging.getLogger(__name__)


class SubscriptionState:
    ACKNOWLEDGED = "acknowledged"
    LIVE = "live"
    RECONNECTING = "reconnecting"


class FeedStalled(ConnectionError):
    """The upstream connection is open but has delivered nothing for too long."""


class StreamingAdapter(ABC):
    """Base class of feed adapters; publishes canonical ticks for subscribed instruments only."""

    name = "adapter"

    def __init__(
        self,
        publisher: BusPublisher,
        *,
        credentials: Callable[[], Awaitable[Any]] | None = None,
        subscribe_batch_size: int = 200,
        batch_pause: float = 0.0,
        heartbeat_interval: float = 10.0,
        stall_timeout: float = 90.0,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
    ) -> None:
        self._publisher = publisher
        self._credentials = credentials
        self._batch_size = subscribe_batch_size
        self._batch_pause = batch_pause
        self._heartbeat_interval = heartbeat_interval
        self._stall_timeout = stall_timeout
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._wanted: dict[InstrumentKey, Mode] = {}
        self._states: dict[InstrumentKey, str] = {}
        self._task: asyncio.Task[None] | None = None
        self._restart = asyncio.Event()
        self._last_data = time.monotonic()
        self.is_connected = False
        self.connects = 0
        self.connect_failures = 0
        self.ticks_published = 0

    # Upstream hooks ------------------------------------------------------------------------------

    @abstractmethod
    async def _connect(self, credentials: Any) -> None:
        """Open the upstream connection; raise on failure."""

    async def _disconnect(self) -> None:
        """Close the upstream connection; must not raise."""
        return None

    @abstractmethod
    async def _subscribe_upstream(self, batch: list[tuple[InstrumentKey, Mode]]) -> None:
        """Ask the upstream for one batch of instruments."""

    async def _unsubscribe_upstream(self, batch: list[InstrumentKey]) -> None:
        """Tell the upstream to stop one batch of instruments."""
        return None

    @abstractmethod
    async def _receive(self) -> None:
        """Read the upstream until the connection ends, calling `publish_tick` for each tick."""

    async def _heartbeat(self) -> None:
        """Send an application-level heartbeat, for upstreams that need one."""
        return None

    async def _check_instrument(self, instrument: InstrumentKey) -> str | None:
        """Return why an instrument cannot be streamed, or None when it can."""
        return None

    # Public surface ------------------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"{self.name}-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._disconnect()
        self.is_connected = False

    def state(self, instrument: InstrumentKey) -> str | None:
        return self._states.get(instrument)

    async def subscribe(self, instruments: Mapping[InstrumentKey, Mode]) -> dict[InstrumentKey, str | None]:
        """Record instruments (and send them upstream when connected); map each to an error or None."""
        errors: dict[InstrumentKey, str | None] = {}
        accepted = []
        for instrument, mode in instruments.items():
            errors[instrument] = await self._check_instrument(instrument)
            if errors[instrument] is None:
                self._wanted[instrument] = mode
                accepted.append((instrument, mode))
                if instrument not in self._states:
                    self._set_state(instrument, SubscriptionState.ACKNOWLEDGED)
        if accepted and self.is_connected:
            await self._send_batches(accepted)
        return errors

    async def unsubscribe(self, instruments: Iterable[InstrumentKey]) -> None:
        removed = [key for key in instruments if self._wanted.pop(key, None) is not None]
        for key in removed:
            self._states.pop(key, None)
        if removed and self.is_connected:
            for start in range(0, len(removed), self._batch_size):
                await self._unsubscribe_upstream(removed[start : start + self._batch_size])

    async def rollover(self) -> None:
        """Reconnect with freshly fetched credentials, e.g. at the daily broker session change."""
        self._restart.set()

    def publish_tick(self, instrument: InstrumentKey, payload: dict[str, Any]) -> None:
        """Publish one canonical tick; called by `_receive`. Ticks nobody asked for are dropped here."""
        self._last_data = time.monotonic()
        if instrument not in self._wanted:
            return
        if self._states.get(instrument) != SubscriptionState.LIVE:
            # The state goes out first on the same socket, so clients see "live" before the tick.
            self._set_state(instrument, SubscriptionState.LIVE)
        self._publisher.publish(instrument.topic, payload)
        self.ticks_published += 1

    def stats(self) -> dict[str, Any]:
        return {
            "feed_connected": self.is_connected,
            "feed_connects": self.connects,
            "feed_connect_failures": self.connect_failures,
            "feed_ticks_published": self.ticks_published,
            "feed_instruments": len(self._wanted),
            "feed_seconds_since_data": round(time.monotonic() - self._last_data, 3),
        }

    # Lifecycle -----------------------------------------------------------------------------------

    def _set_state(self, instrument: InstrumentKey, state: str, reason: str | None = None) -> None:
        self._states[instrument] = state
        payload = {"exchange": instrument.exchange, "symbol": instrument.symbol, "state": state}
        if reason:
            payload["reason"] = reason
        self._publisher.publish(state_topic(instrument.topic), payload)

    async def _send_batches(self, items: list[tuple[InstrumentKey, Mode]]) -> None:
        for start in range(0, len(items), self._batch_size):
            if start:
                await asyncio.sleep(self._batch_pause)  # upstreams rate-limit subscribe messages
            await self._subscribe_upstream(items[start : start + self._batch_size])

    def _log_retry(self, retry_state: RetryCallState) -> None:
        self.connect_failures += 1
        logger.warning(
            "%s feed connect attempt %d failed (%s); retrying in %.2f s",
            self.name,
            retry_state.attempt_number,
            retry_state.outcome.exception() if retry_state.outcome else "unknown",
            retry_state.upcoming_sleep,
        )

    async def _connect_with_backoff(self) -> None:
        async for attempt in AsyncRetrying(
            wait=wait_exponential_jitter(
                initial=self._backoff_initial, max=self._backoff_max, jitter=self._backoff_initial
            ),
            retry=retry_if_exception_type(Exception),
            before_sleep=self._log_retry,
            reraise=True,
        ):
            with attempt:
                credentials = await self._credentials() if self._credentials else None
                await self._connect(credentials)

    async def _run(self) -> None:
        while True:
            try:
                await self._connect_with_backoff()
                self.is_connected = True
                self.connects += 1
                self._last_data = time.monotonic()
                await self._send_batches(list(self._wanted.items()))
                await self._watch()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # a background loop: log, count, back off, go on
                logger.warning("%s feed connection lost: %s", self.name, e)
            finally:
                self.is_connected = False
                await self._disconnect()
            for instrument in list(self._wanted):
                self._set_state(instrument, SubscriptionState.RECONNECTING, "feed connection lost")
            await asyncio.sleep(self._backoff_initial)

    async def _watch(self) -> None:
        """Run the receive loop with heartbeats and the stall check until one of them ends."""
        self._restart.clear()
        tasks = [
            asyncio.create_task(self._receive()),
            asyncio.create_task(self._heartbeats()),
            asyncio.create_task(self._watch_stall()),
            asyncio.create_task(self._restart.wait()),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_interval)
            await self._heartbeat()

    async def _watch_stall(self) -> None:
        while True:
            await asyncio.sleep(min(self._stall_timeout / 4, 5.0))
            silent = time.monotonic() - self._last_data
            if self._wanted and silent > self._stall_timeout:
                raise FeedStalled(
                    f"no data for {silent:.1f} s with {len(self._wanted)} instruments subscribed"
                )
