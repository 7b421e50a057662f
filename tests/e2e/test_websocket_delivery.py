"""Ticks published on the bus reach keeping-up clients completely and in order; slow clients are contained."""

import asyncio
import contextlib
import json
import socket

import pytest

from streaming import BusPublisher, ServerLimits
from tests.unit.streaming.fakes import eventually
from tests.unit.streaming.schemas import validate_server_frame
from tests.unit.streaming.wsclient import StreamClient, serving

SYMBOLS = ["RELIANCE", "SBIN", "INFY"]
SILENT_FEED = 3600.0  # the adapter stays connected but never ticks; the test publishes instead


def _tick(symbol, number):
    return {
        "symbol": symbol,
        "exchange": "NSE",
        "ltp": 100 + number / 100,
        "ltt": number,
        "timestamp": number,
    }


async def _subscribed_client(port, api_key, mode=1, **options):
    client = await StreamClient.open(port, **options)
    await client.authenticate(api_key)
    symbols = [{"symbol": symbol, "exchange": "NSE"} for symbol in SYMBOLS]
    await client.request({"action": "subscribe", "symbols": symbols, "mode": mode})
    return client


async def _drain(client, into):
    # Reads as fast as it can; schema checks run afterwards so they do not slow the reader.
    with contextlib.suppress(Exception):
        async for text in client.connection:
            into.append(json.loads(text))


async def _publisher(service):
    publisher = BusPublisher(service.bus_address)
    assert await publisher.wait_for_subscriber()
    return publisher


@pytest.mark.asyncio
async def test_keeping_up_client_receives_every_tick_in_sequence_at_thousands_per_second():
    async with serving(feed_interval=SILENT_FEED) as service:
        client = await _subscribed_client(service.port, "key-alice")
        received = []
        reader = asyncio.create_task(_drain(client, received))
        publisher = await _publisher(service)
        per_symbol = 2000

        for number in range(1, per_symbol + 1):
            for symbol in SYMBOLS:
                publisher.publish(f"NSE:{symbol}", _tick(symbol, number))
            if number % 20 == 0:
                await asyncio.sleep(0.01)  # about 6,000 ticks per second
        await eventually(
            lambda: sum(frame.get("type") == "market_data" for frame in received) == 3 * per_symbol, 20
        )
        reader.cancel()

        ticks = [frame for frame in received if frame.get("type") == "market_data"]
        for symbol in SYMBOLS:
            sequences = [frame["sequence"] for frame in ticks if frame["symbol"] == symbol]
            assert sequences == list(range(1, per_symbol + 1))
        for frame in received:
            validate_server_frame(frame)
        stats = service.stats()
        assert stats["bus_gaps"] == 0 and stats["frames_dropped"] == 0
        publisher.close()


def _tiny_receive_buffer_socket(port):
    # A client that stops reading should push back quickly; a small receive window makes that happen.
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", port))
    raw.setblocking(False)
    return raw


@pytest.mark.asyncio
async def test_a_client_that_stops_reading_is_conflated_then_disconnected_without_delaying_others():
    limits = ServerLimits(max_pending_frames=1500, max_lag_seconds=0.5, write_limit=4096)
    async with serving(feed_interval=SILENT_FEED, limits=limits) as service:
        fast = await _subscribed_client(service.port, "key-alice", mode=3)
        slow = await _subscribed_client(
            service.port, "key-bob", mode=3, sock=_tiny_receive_buffer_socket(service.port), max_queue=1
        )
        received = []
        reader = asyncio.create_task(_drain(fast, received))  # the slow client is simply never read again
        publisher = await _publisher(service)

        number = 0

        async def publish_until_slow_client_is_gone():
            nonlocal number
            while service.stats()["slow_disconnects"] == 0:
                number += 1
                for symbol in SYMBOLS:
                    publisher.publish(f"NSE:{symbol}", _tick(symbol, number))
                if number % 20 == 0:
                    await asyncio.sleep(0.01)

        await asyncio.wait_for(publish_until_slow_client_is_gone(), 20)
        await eventually(
            lambda: sum(frame.get("type") == "market_data" for frame in received) == 3 * number, 20
        )
        reader.cancel()

        ticks = [frame for frame in received if frame.get("type") == "market_data"]
        for symbol in SYMBOLS:
            assert [frame["sequence"] for frame in ticks if frame["symbol"] == symbol] == list(
                range(1, number + 1)
            )
        for frame in received:
            validate_server_frame(frame)
        await eventually(lambda: service.stats()["clients"] == 1)  # the server let go of the slow client
        slow.connection.transport.abort()  # it never reads, so it would never notice the close frame
        stats = service.stats()
        assert stats["slow_disconnects"] == 1
        assert stats["frames_dropped"] > 0  # the slow client was conflated before it was dropped
        fast_lag = [figures for figures in stats["client_lag"].values() if figures["user_id"] == 1]
        assert fast_lag[0]["dropped"] == 0 and fast_lag[0]["max_lag_ms"] < 1000
        publisher.close()
