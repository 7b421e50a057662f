import asyncio

import pytest

from streaming.bus import BusPublisher, BusSubscriber
from tests.unit.streaming.fakes import eventually

pytestmark = pytest.mark.websocket


async def _collect(subscriber, into):
    async for batch in subscriber.batches():
        into.extend(batch)


@pytest.mark.asyncio
async def test_every_message_arrives_in_order_with_per_topic_sequences_and_no_gaps():
    subscriber = BusSubscriber("tcp://127.0.0.1:*")
    received = []
    consumer = asyncio.create_task(_collect(subscriber, received))
    publisher = BusPublisher(subscriber.address)
    try:
        assert await publisher.wait_for_subscriber(timeout=5.0)

        for index in range(20_000):
            publisher.publish(f"NSE:S{index % 10}", {"ltp": index})
            if index % 500 == 0:
                await asyncio.sleep(0)
        await eventually(lambda: len(received) == 20_000)

        by_topic = {}
        for message in received:
            by_topic.setdefault(message.topic, []).append(message.sequence)
        assert all(sequences == list(range(1, 2_001)) for sequences in by_topic.values())
        assert subscriber.stats() == {"bus_received": 20_000, "bus_gaps": 0, "bus_malformed": 0}
    finally:
        consumer.cancel()
        publisher.close()
        subscriber.close()


@pytest.mark.asyncio
async def test_missing_sequence_numbers_are_counted_as_gaps():
    subscriber = BusSubscriber("tcp://127.0.0.1:*")
    received = []
    consumer = asyncio.create_task(_collect(subscriber, received))
    publisher = BusPublisher(subscriber.address)
    try:
        assert await publisher.wait_for_subscriber(timeout=5.0)

        publisher.publish("NSE:SBIN", {"ltp": 1})
        publisher._sequences["NSE:SBIN"] += 3  # as if three messages were dropped at a high-water mark
        publisher.publish("NSE:SBIN", {"ltp": 2})
        await eventually(lambda: len(received) == 2)

        assert [message.sequence for message in received] == [1, 5]
        assert subscriber.gaps == 3
    finally:
        consumer.cancel()
        publisher.close()
        subscriber.close()
