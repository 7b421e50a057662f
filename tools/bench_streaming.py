"""Benchmark the streaming path on loopback: bus throughput, and fan-out to many WebSocket clients.

* Bus: one publisher floods 200,000 ticks over 50 topics into the subscriber, first in the same
  process (both share one core), then from a child process; every sequence number is checked,
  so "ticks per second" means ticks with nothing lost (the gap counts are reported beside them).
* Fan-out: the real StreamingService runs in this process; 100 clients in a child process each
  subscribe to the same 50 symbols. Ticks are published on the bus at a paced rate, then as fast
  as possible; the clients count frames and measure tick-to-client latency from a microsecond
  publish time the benchmark puts in `ltt` (the one liberty taken with the tick payload).

`run()` returns the figures; `python -m tools.bench_streaming` prints them as JSON. Bounded to
about 30 seconds; it binds only to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import multiprocessing
import statistics
import time
from typing import Any

from streaming import BusPublisher, BusSubscriber, ServerLimits, StreamingAdapter, StreamingService

logger = logging.getLogger(__name__)

SYMBOLS = [f"SYM{index:02d}" for index in range(50)]
CLIENTS = 100
BUS_MESSAGES = 200_000
PACED_TICKS_PER_SECOND = 200  # x 100 clients = 20,000 frames per second
PACED_SECONDS = 5.0
FLOOD_SECONDS = 3.0


def _tick(symbol: str, number: int) -> dict[str, Any]:
    return {
        "symbol": symbol, "exchange": "NSE", "ltp": 100.0 + number % 100, "ltt": time.time_ns() // 1000,
        "timestamp": number, "volume": number, "open": 100.0, "high": 110.0, "low": 90.0, "close": 99.0,
    }  # fmt: skip


async def _bench_bus() -> dict[str, Any]:
    subscriber = BusSubscriber("tcp://127.0.0.1:*")
    received = 0
    done = asyncio.Event()

    async def consume() -> None:
        nonlocal received
        async for batch in subscriber.batches():
            for message in batch:
                message.json()
            received += len(batch)
            if received >= BUS_MESSAGES:
                done.set()

    consumer = asyncio.create_task(consume())
    publisher = BusPublisher(subscriber.address)
    await publisher.wait_for_subscriber()
    # Ticks are built before the clock starts: this measures the bus (encode, send, receive,
    # decode, sequence check), not the cost of making up prices.
    topics = [f"NSE:{symbol}" for symbol in SYMBOLS]
    payloads = [_tick(symbol, number) for number, symbol in enumerate(SYMBOLS)]
    started = time.perf_counter()
    for number in range(BUS_MESSAGES):
        publisher.publish(topics[number % len(topics)], payloads[number % len(payloads)])
        if number % 500 == 0:
            await asyncio.sleep(0)  # let the subscriber drain, as a real feed would between packets
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), 30)
    elapsed = time.perf_counter() - started
    consumer.cancel()
    figures = {
        "bus_ticks_per_second": round(received / elapsed),
        "bus_ticks_published": BUS_MESSAGES,
        "bus_ticks_received": received,
        "bus_gaps": subscriber.gaps,
    }
    publisher.close()
    subscriber.close()
    return figures


def _publisher_main(address: str) -> None:
    asyncio.run(_publish_flood(address))


async def _publish_flood(address: str) -> None:
    publisher = BusPublisher(address)
    await publisher.wait_for_subscriber()
    topics = [f"NSE:{symbol}" for symbol in SYMBOLS]
    payloads = [_tick(symbol, number) for number, symbol in enumerate(SYMBOLS)]
    for number in range(BUS_MESSAGES):
        publisher.publish(topics[number % len(topics)], payloads[number % len(payloads)])
    await asyncio.sleep(1.0)  # linger so the last messages leave before the socket closes
    publisher.close()


async def _bench_bus_cross_process() -> dict[str, Any]:
    """The same flood from a publisher in another process, as a broker adapter process would send."""
    subscriber = BusSubscriber("tcp://127.0.0.1:*")
    received = 0
    first_at = last_at = 0.0
    done = asyncio.Event()

    async def consume() -> None:
        nonlocal received, first_at, last_at
        async for batch in subscriber.batches():
            first_at = first_at or time.perf_counter()
            for message in batch:
                if message.topic.startswith("NSE:"):
                    message.json()
                    received += 1
            last_at = time.perf_counter()
            if received >= BUS_MESSAGES:
                done.set()

    consumer = asyncio.create_task(consume())
    child = multiprocessing.get_context("spawn").Process(target=_publisher_main, args=(subscriber.address,))
    child.start()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), 30)
    consumer.cancel()
    child.join(5)
    subscriber.close()
    return {
        "bus_cross_process_ticks_per_second": round(received / max(last_at - first_at, 1e-9)),
        "bus_cross_process_ticks_received": received,
        "bus_cross_process_gaps": subscriber.gaps,
    }


class _QuietFeed(StreamingAdapter):
    """Accepts every instrument and never ticks: the benchmark publishes on the bus itself."""

    name = "bench"

    async def _connect(self, credentials: Any) -> None:
        return None

    async def _subscribe_upstream(self, batch: Any) -> None:
        return None

    async def _receive(self) -> None:
        await asyncio.Event().wait()


async def _authenticate(api_key: str) -> int | None:
    return int(api_key.removeprefix("bench-")) if api_key.startswith("bench-") else None


async def _broker_info(user_id: int) -> dict[str, str]:
    return {"broker": "bench", "username": f"user{user_id}"}


async def _supported_brokers() -> list[str]:
    return ["bench"]


def _clients_main(port: int, ready: Any, phase: Any, results: Any) -> None:
    asyncio.run(_clients(port, ready, phase, results))


async def _clients(port: int, ready: Any, phase: Any, results: Any) -> None:
    from websockets.asyncio.client import connect

    counts = {"paced": 0, "flood": 0}
    latencies: list[int] = []
    state = {"phase": "paced"}

    async def one(index: int) -> None:
        async with connect(f"ws://127.0.0.1:{port}", compression=None, max_queue=None) as connection:
            await connection.send(json.dumps({"action": "authenticate", "api_key": f"bench-{index}"}))
            await connection.recv()
            symbols = [{"symbol": symbol, "exchange": "NSE"} for symbol in SYMBOLS]
            await connection.send(json.dumps({"action": "subscribe", "symbols": symbols, "mode": 2}))
            await connection.recv()
            ready.put(index)
            async for text in connection:
                if text.startswith('{"type":"market_data"'):
                    now = time.time_ns() // 1000
                    counts[state["phase"]] += 1
                    if state["phase"] == "paced":
                        latencies.append(now - json.loads(text)["data"]["ltt"])

    tasks = [asyncio.create_task(one(index)) for index in range(CLIENTS)]
    loop = asyncio.get_running_loop()
    for name in ("flood", "stop"):
        await loop.run_in_executor(None, phase.get)
        state["phase"] = name if name != "stop" else state["phase"]
        if name == "stop":
            break
        results.put(("paced", counts["paced"], latencies))
    results.put(("flood", counts["flood"], []))
    for task in tasks:
        task.cancel()


def _percentile(values: list[int], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)] / 1000 if ordered else float("nan")


async def _bench_fanout() -> dict[str, Any]:
    limits = ServerLimits(max_connections_per_user=CLIENTS, ping_interval=None)
    service = StreamingService(
        authenticate=_authenticate,
        broker_info=_broker_info,
        supported_brokers=_supported_brokers,
        adapter_factory=lambda publisher: _QuietFeed(publisher),
        port=0,
        bus_address="tcp://127.0.0.1:*",
        limits=limits,
    )
    await service.start()
    context = multiprocessing.get_context("spawn")
    ready, phase, results = context.Queue(), context.Queue(), context.Queue()
    child = context.Process(target=_clients_main, args=(service.port, ready, phase, results), daemon=True)
    child.start()
    loop = asyncio.get_running_loop()
    try:
        for _ in range(CLIENTS):
            await loop.run_in_executor(None, ready.get, True, 30)
        publisher = BusPublisher(service.bus_address)
        await publisher.wait_for_subscriber()
        number = 0
        started = time.perf_counter()
        interval = 0.01
        per_interval = round(PACED_TICKS_PER_SECOND * interval)
        while time.perf_counter() - started < PACED_SECONDS:
            for _ in range(per_interval):
                number += 1
                publisher.publish(
                    f"NSE:{SYMBOLS[number % len(SYMBOLS)]}", _tick(SYMBOLS[number % len(SYMBOLS)], number)
                )
            await asyncio.sleep(interval - (time.perf_counter() - started) % interval)
        paced_elapsed = time.perf_counter() - started
        await asyncio.sleep(0.5)  # let the last paced frames land before the phase switch
        phase.put("flood")
        _, paced_frames, latencies = await loop.run_in_executor(None, results.get, True, 30)
        flood_started = time.perf_counter()
        while time.perf_counter() - flood_started < FLOOD_SECONDS:
            for _ in range(50):
                number += 1
                publisher.publish(
                    f"NSE:{SYMBOLS[number % len(SYMBOLS)]}", _tick(SYMBOLS[number % len(SYMBOLS)], number)
                )
            await asyncio.sleep(0)
        flood_elapsed = time.perf_counter() - flood_started
        phase.put("stop")
        _, flood_frames, _ = await loop.run_in_executor(None, results.get, True, 30)
        stats = service.stats()
        publisher.close()
    finally:
        child.terminate()
        await service.stop()
    return {
        "fanout_clients": CLIENTS,
        "fanout_symbols_per_client": len(SYMBOLS),
        "paced_frames_per_second": round(paced_frames / paced_elapsed),
        "paced_latency_p50_ms": round(_percentile(latencies, 0.50), 3),
        "paced_latency_p99_ms": round(_percentile(latencies, 0.99), 3),
        "paced_latency_mean_ms": round(statistics.fmean(latencies) / 1000, 3) if latencies else None,
        "flood_frames_per_second": round(flood_frames / flood_elapsed),
        "frames_dropped_by_conflation": stats["frames_dropped"],
        "slow_disconnects": stats["slow_disconnects"],
        "server_bus_gaps": stats["bus_gaps"],
    }


def run() -> dict[str, Any]:
    """Run both benchmarks and return their figures."""
    figures = asyncio.run(_bench_bus())
    figures.update(asyncio.run(_bench_bus_cross_process()))
    figures.update(asyncio.run(_bench_fanout()))
    return figures


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    print(json.dumps(run(), indent=2))
