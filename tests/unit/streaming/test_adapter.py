import asyncio
import contextlib

import pytest
import pytest_asyncio

from streaming.adapter import StreamingAdapter
from streaming.adapters.offline import OfflineAdapter
from streaming.bus import BusPublisher, BusSubscriber
from streaming.protocol import InstrumentKey, Mode
from tests.unit.streaming.fakes import FakeMarket, eventually
from tests.unit.streaming.schemas import validate

pytestmark = pytest.mark.websocket

SBIN = InstrumentKey("NSE", "SBIN")
INFY = InstrumentKey("NSE", "INFY")
FAST = {"backoff_initial": 0.02, "backoff_max": 0.1}


class Bus:
    def __init__(self):
        self.subscriber = BusSubscriber("tcp://127.0.0.1:*")
        self.publisher = BusPublisher(self.subscriber.address)
        self.messages = []
        self._task = asyncio.create_task(self._collect())

    async def _collect(self):
        async for batch in self.subscriber.batches():
            self.messages.extend(batch)

    def ticks(self, key):
        return [message for message in self.messages if message.topic == key.topic]

    def states(self, key):
        return [message.json()["state"] for message in self.messages if message.topic == f"state/{key.topic}"]

    async def close(self):
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self.publisher.close()
        self.subscriber.close()


@pytest_asyncio.fixture
async def bus():
    bus = Bus()
    assert await bus.publisher.wait_for_subscriber()
    yield bus
    await bus.close()


@pytest.mark.asyncio
async def test_offline_adapter_publishes_only_subscribed_instruments_after_acknowledged_then_live(bus):
    adapter = OfflineAdapter(bus.publisher, FakeMarket(), interval=0.01, **FAST)
    await adapter.start()
    try:
        errors = await adapter.subscribe({SBIN: Mode.QUOTE, InstrumentKey("NSE", "NOSUCH"): Mode.LTP})
        await eventually(lambda: len(bus.ticks(SBIN)) >= 3)

        assert errors == {
            SBIN: None,
            InstrumentKey("NSE", "NOSUCH"): "Symbol NOSUCH not found for exchange NSE",
        }
        assert bus.states(SBIN)[:2] == ["acknowledged", "live"]
        assert bus.ticks(INFY) == []
        for message in bus.ticks(SBIN):
            validate("BusTick", message.json())
        assert [message.sequence for message in bus.ticks(SBIN)] == list(range(1, len(bus.ticks(SBIN)) + 1))
    finally:
        await adapter.stop()


@pytest.mark.asyncio
async def test_lost_connection_backs_off_while_unavailable_then_resubscribes_and_resumes(bus):
    adapter = OfflineAdapter(bus.publisher, FakeMarket(), interval=0.01, **FAST)
    await adapter.start()
    try:
        await adapter.subscribe({SBIN: Mode.LTP})
        await eventually(lambda: len(bus.ticks(SBIN)) >= 2)

        adapter.available = False
        adapter.break_connection()
        await eventually(lambda: adapter.connect_failures >= 2)
        stalled_at = len(bus.ticks(SBIN))
        adapter.available = True
        await eventually(lambda: len(bus.ticks(SBIN)) >= stalled_at + 3)

        assert adapter.connects == 2
        assert bus.states(SBIN) == ["acknowledged", "live", "reconnecting", "live"]
    finally:
        await adapter.stop()


@pytest.mark.asyncio
async def test_rollover_fetches_fresh_credentials_and_reconnects(bus):
    tokens = []

    async def credentials():
        tokens.append(f"token-{len(tokens) + 1}")
        return tokens[-1]

    adapter = OfflineAdapter(bus.publisher, FakeMarket(), interval=0.01, credentials=credentials, **FAST)
    await adapter.start()
    try:
        await eventually(lambda: adapter.is_connected)

        await adapter.rollover()
        await eventually(lambda: adapter.connects == 2 and adapter.is_connected)

        assert tokens == ["token-1", "token-2"]
    finally:
        await adapter.stop()


class SilentAdapter(StreamingAdapter):
    """Connects fine, then never delivers anything: a stalled upstream."""

    name = "silent"

    def __init__(self, publisher, **options):
        super().__init__(publisher, **options)
        self.subscribed_batches = []

    async def _connect(self, credentials):
        return None

    async def _subscribe_upstream(self, batch):
        self.subscribed_batches.append(len(batch))

    async def _receive(self):
        await asyncio.Event().wait()


@pytest.mark.asyncio
async def test_a_stalled_feed_is_reconnected_and_subscriptions_go_out_in_batches(bus):
    adapter = SilentAdapter(bus.publisher, stall_timeout=0.1, subscribe_batch_size=2, **FAST)
    await adapter.start()
    try:
        await eventually(lambda: adapter.is_connected)
        await adapter.subscribe({InstrumentKey("NSE", f"S{index}"): Mode.LTP for index in range(5)})

        await eventually(lambda: len(adapter.subscribed_batches) >= 6, timeout=5.0)

        assert adapter.connects >= 2
        assert adapter.subscribed_batches[:6] == [2, 2, 1, 2, 2, 1]
    finally:
        await adapter.stop()
