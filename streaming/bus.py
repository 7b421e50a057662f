"""The internal market-data and order-event bus: ZeroMQ PUB/SUB with a sequence number per topic.

Topics (the first frame, UTF-8):

* ``EXCHANGE:SYMBOL`` (``NSE:RELIANCE``): canonical ticks of one instrument. The topic carries no
  mode: an adapter publishes its richest view once and the server cuts it down per client.
* ``state/EXCHANGE:SYMBOL``: subscription-state changes reported by the feed adapter.
* ``orders/USER_ID``: order updates of one brokergate user.

Each message has three frames: the topic, a 16-byte header (publisher id, sequence; two unsigned
64-bit big-endian integers) and the JSON payload. The sequence starts at 1 per (publisher, topic);
the subscriber counts every missing number as a gap, so a drop at a high-water mark is visible
instead of silent. The subscriber binds and publishers connect (one fan-in point, as OpenAlgo's),
and publishers use XPUB so they can wait until the subscriber has joined before the first send.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import zmq
import zmq.asyncio

__all__ = ["DEFAULT_BUS_ADDRESS", "BusMessage", "BusPublisher", "BusSubscriber", "order_topic", "state_topic"]

DEFAULT_BUS_ADDRESS = "tcp://127.0.0.1:5555"
ORDER_PREFIX = "orders/"
STATE_PREFIX = "state/"
PROBE_TOPIC = "_probe"  # publisher start-up probes; not data, never counted
_HEADER = struct.Struct(">QQ")
_DEFAULT_HIGH_WATER_MARK = 100_000
_BATCH_LIMIT = 1024  # messages drained per wake-up; bounds the time between yields to the loop

logger = logging.getLogger(__name__)
_encode = json.JSONEncoder(separators=(",", ":")).encode


def order_topic(user_id: int) -> str:
    return f"{ORDER_PREFIX}{user_id}"


def state_topic(instrument_topic: str) -> str:
    return f"{STATE_PREFIX}{instrument_topic}"


@dataclass(frozen=True, slots=True)
class BusMessage:
    topic: str
    publisher: int
    sequence: int
    payload: bytes

    def json(self) -> Any:
        return json.loads(self.payload)


class BusPublisher:
    """Publish JSON payloads with a per-topic sequence; sending never blocks the event loop."""

    def __init__(
        self,
        address: str = DEFAULT_BUS_ADDRESS,
        *,
        context: zmq.asyncio.Context | None = None,
        high_water_mark: int = _DEFAULT_HIGH_WATER_MARK,
    ) -> None:
        self.address = address
        self.publisher_id = secrets.randbits(63)
        self._socket = (context or zmq.asyncio.Context.instance()).socket(zmq.XPUB)
        self._socket.setsockopt(zmq.SNDHWM, high_water_mark)
        self._socket.setsockopt(zmq.LINGER, 1000)
        self._socket.connect(address)
        # A plain socket sharing the same handle: a PUB send is synchronous and cheaper than a Future.
        self._sender = zmq.Socket.shadow(self._socket.underlying)
        self._sequences: dict[str, int] = {}
        self._encoded_topics: dict[str, bytes] = {}
        self.published = 0

    async def wait_for_subscriber(self, timeout: float = 5.0) -> bool:
        """Wait until a subscriber's subscription reached this publisher, so no first message is lost."""
        # libzmq surfaces a connecting XPUB's incoming subscriptions only once the socket is used,
        # so keep sending a probe (ignored by subscribers) until the subscription shows up.
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            self._sender.send_multipart((PROBE_TOPIC.encode(), _HEADER.pack(self.publisher_id, 0), b"{}"))
            try:
                self._sender.recv(zmq.NOBLOCK)
                return True
            except zmq.Again:
                await asyncio.sleep(0.01)
        logger.warning("no bus subscriber joined %s within %.1f s", self.address, timeout)
        return False

    def publish(self, topic: str, payload: dict[str, Any]) -> int:
        """Publish one message and return its sequence number on that topic."""
        sequence = self._sequences.get(topic, 0) + 1
        self._sequences[topic] = sequence
        encoded = self._encoded_topics.get(topic)
        if encoded is None:
            encoded = self._encoded_topics[topic] = topic.encode()
        self._sender.send_multipart(
            (encoded, _HEADER.pack(self.publisher_id, sequence), _encode(payload).encode())
        )
        self.published += 1
        return sequence

    def close(self) -> None:
        self._socket.close(linger=0)


class BusSubscriber:
    """Receive every topic in batches, counting received messages and sequence gaps."""

    def __init__(
        self,
        address: str = DEFAULT_BUS_ADDRESS,
        *,
        context: zmq.asyncio.Context | None = None,
        high_water_mark: int = _DEFAULT_HIGH_WATER_MARK,
    ) -> None:
        self._socket = (context or zmq.asyncio.Context.instance()).socket(zmq.SUB)
        self._socket.setsockopt(zmq.RCVHWM, high_water_mark)
        self._socket.setsockopt(zmq.LINGER, 0)
        self._socket.setsockopt(zmq.SUBSCRIBE, b"")
        self._socket.bind(address)
        # With "tcp://127.0.0.1:*" the system picks a free port; publishers need the real one.
        self.address = self._socket.getsockopt_string(zmq.LAST_ENDPOINT)
        self._receiver = zmq.Socket.shadow(self._socket.underlying)
        self._last_sequence: dict[tuple[int, str], int] = {}
        self._topics: dict[bytes, str] = {}  # decoded once per topic; topics repeat endlessly
        self.received = 0
        self.gaps = 0
        self.malformed = 0

    async def batches(self) -> AsyncIterator[list[BusMessage]]:
        """Yield lists of messages in arrival order until the subscriber is closed."""
        while True:
            await self._socket.poll(flags=zmq.POLLIN)
            batch = []
            try:
                while len(batch) < _BATCH_LIMIT:
                    frames = self._receiver.recv_multipart(zmq.NOBLOCK)
                    message = self._decode(frames)
                    if message is not None:
                        batch.append(message)
            except zmq.Again:
                pass
            if batch:
                yield batch

    def _decode(self, frames: list[bytes]) -> BusMessage | None:
        if len(frames) != 3 or len(frames[1]) != _HEADER.size:
            self.malformed += 1
            return None
        publisher, sequence = _HEADER.unpack(frames[1])
        topic = self._topics.get(frames[0])
        if topic is None:
            topic = self._topics[frames[0]] = frames[0].decode()
        if topic == PROBE_TOPIC:
            return None
        key = (publisher, topic)
        expected = self._last_sequence.get(key, 0) + 1
        if sequence > expected:
            self.gaps += sequence - expected
            logger.warning("bus gap on %s: expected %d, got %d", topic, expected, sequence)
        self._last_sequence[key] = sequence
        self.received += 1
        return BusMessage(topic, publisher, sequence, frames[2])

    def stats(self) -> dict[str, int]:
        return {"bus_received": self.received, "bus_gaps": self.gaps, "bus_malformed": self.malformed}

    def close(self) -> None:
        self._socket.close(linger=0)
