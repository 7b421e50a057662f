import json
from dataclasses import dataclass, field

import pytest

from streaming.bus import BusMessage, order_topic, state_topic
from streaming.fanout import ClientQueue, Fanout
from streaming.protocol import InstrumentKey, Mode
from streaming.subscriptions import SubscriptionRegistry
from tests.unit.streaming.schemas import validate_server_frame

pytestmark = pytest.mark.websocket

SBIN = InstrumentKey("NSE", "SBIN")
INFY = InstrumentKey("NSE", "INFY")


@dataclass(eq=False)
class Recipient:
    user_id: int
    broker: str = "sandbox"
    wants_orders: bool = False
    queue: ClientQueue = field(default_factory=lambda: ClientQueue(max_pending=4))
    order_floor: int = 0
    order_buffer: list | None = None


def _tick(key, sequence, ltp=100.0):
    payload = {"symbol": key.symbol, "exchange": key.exchange, "ltp": ltp, "ltt": 1, "timestamp": 1}
    return BusMessage(key.topic, 1, sequence, json.dumps(payload).encode())


def _frames(queue):
    frames, _ = queue.take()
    return [json.loads(frame) for frame in frames]


@pytest.mark.asyncio
async def test_queue_keeps_order_while_short_and_conflates_to_latest_per_instrument_when_behind():
    queue = ClientQueue(max_pending=3)

    for sequence in range(1, 7):
        queue.put_market(SBIN if sequence % 2 else INFY, f"frame-{sequence}", float(sequence))
    frames, oldest = queue.take()

    assert frames == ["frame-5", "frame-6"]
    assert queue.dropped == 4
    assert oldest == 1.0


@pytest.mark.asyncio
async def test_control_frames_come_first_are_never_conflated_and_overflow_marks_the_client():
    queue = ClientQueue(max_pending=1, max_control=2)
    queue.put_market(SBIN, "tick", 0.0)
    queue.put_control("reply-1")
    queue.put_control("reply-2")

    queue.put_control("reply-3")
    frames, _ = queue.take()

    assert frames == ["reply-1", "reply-2", "tick"]
    assert queue.overflowed


@pytest.mark.asyncio
async def test_ticks_reach_only_subscribers_at_their_own_mode():
    registry = SubscriptionRegistry()
    alice, bob, carol = Recipient(1), Recipient(2), Recipient(3)
    clients = {"alice": alice, "bob": bob, "carol": carol}
    registry.add("alice", SBIN, Mode.LTP)
    registry.add("bob", SBIN, Mode.QUOTE)
    registry.add("carol", INFY, Mode.LTP)
    fanout = Fanout(registry, clients, lambda user_id: [])

    fanout.dispatch([_tick(SBIN, 1)])

    alice_frames, bob_frames, carol_frames = _frames(alice.queue), _frames(bob.queue), _frames(carol.queue)
    assert [frame["mode"] for frame in alice_frames] == [1]
    assert [frame["mode"] for frame in bob_frames] == [2]
    assert carol_frames == []
    for frame in alice_frames + bob_frames:
        validate_server_frame(frame)


@pytest.mark.asyncio
async def test_order_updates_go_only_to_their_users_clients_that_asked_with_the_sequence():
    registry = SubscriptionRegistry()
    alice, alice_quiet, bob = Recipient(1, wants_orders=True), Recipient(1), Recipient(2, wants_orders=True)
    by_user = {1: [alice, alice_quiet], 2: [bob]}
    fanout = Fanout(registry, {}, lambda user_id: by_user.get(user_id, []))
    order = {"orderid": "1", "order_status": "open", "symbol": "SBIN"}

    fanout.dispatch([BusMessage(order_topic(1), 1, 5, json.dumps(order).encode())])

    frames = _frames(alice.queue)
    assert [(frame["type"], frame["sequence"]) for frame in frames] == [("order_update", 5)]
    validate_server_frame(frames[0])
    assert _frames(alice_quiet.queue) == [] and _frames(bob.queue) == []


@pytest.mark.asyncio
async def test_state_changes_reach_subscribers_and_a_bad_payload_is_counted_not_raised():
    registry = SubscriptionRegistry()
    alice = Recipient(1)
    registry.add("alice", SBIN, Mode.DEPTH)
    fanout = Fanout(registry, {"alice": alice}, lambda user_id: [])
    state = {"exchange": "NSE", "symbol": "SBIN", "state": "live"}

    fanout.dispatch(
        [
            BusMessage(SBIN.topic, 1, 1, b"{not json"),
            BusMessage(state_topic(SBIN.topic), 1, 1, json.dumps(state).encode()),
        ]
    )

    frames = _frames(alice.queue)
    assert fanout.malformed == 1
    assert frames == [
        {"type": "subscription_state", "symbol": "SBIN", "exchange": "NSE", "mode": 3, "state": "live"}
    ]
    validate_server_frame(frames[0])
    assert fanout.states[SBIN] == "live"
