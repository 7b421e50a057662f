"""`make soak`: a bounded soak of mixed traffic against one server on loopback.

Orders, order books, quotes and a WebSocket client subscribed to order updates and ticks run
together for `--minutes`. Passing means: no failed request, every acknowledged order is in the
order book and arrived on the WebSocket, and the server's memory stays flat.

Flat is judged on memory kept, not on the high-water mark. Under traffic, RSS includes what the
allocator holds from the largest answers built so far, and each trader reads the whole day's order
book, so that mark rises with the orders placed whether or not anything is kept. So the traffic
pauses twice, halfway and at the end: once the last requests are answered and the server has
settled, the lowest RSS of a few samples is its retained memory. Between the two quiet points that
may grow by at most 1 KB per order placed in between, plus 1 MB once; the report says how small a
leak per order fails the run, for the orders it placed in between (1.5 KB for 2,000 orders).
`--leak-per-order` makes the server keep that many bytes per order placed, to check the check. The
old figure, RSS of the last sampled minute against the first after the warm-up while traffic runs,
is still reported as `rss_mb`.

Figures go to `bench-results/soak.json` (`soak-injected-leak.json` for a run with a leak injected)
and are appended to `bench-results/history.jsonl` beside the benchmarks.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import typer
import websockets

from tools.bench import RESULTS
from tools.bench_http import BROKERGATE, HOST, bench_database, free_port
from tools.bench_startup import _rss_kib

ORDER = {"strategy": "soak", "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "quantity": "1",
         "pricetype": "MARKET", "product": "MIS"}  # fmt: skip
# What the retained RSS may grow from the quiet middle to the quiet end: per order placed in between, and
# once for page-granular RSS readings and caches that fill up to a bound (SQLite's page cache, 2 MB a connection).
RETAINED_BYTES_PER_ORDER = 1024
RETAINED_NOISE_BYTES = 1024 * 1024
MIB = 1024 * 1024
SETTLE_SECONDS = 10.0  # after the last answer, before a quiet point's samples
QUIET_SAMPLES = 5  # one a second; the lowest is the quiet point's figure
# The server of tools.bench_http, keeping `sys.argv[2]` bytes for every order placed: a leak, to check the check.
LEAKING_BROKERGATE = """
import sys
import sandbox.engine.engine as engine
kept, place = [], engine.SandboxEngine.place_order
async def place_and_keep(self, *args, **kwargs):
    kept.append(bytearray(int(sys.argv[2])))
    return await place(self, *args, **kwargs)
engine.SandboxEngine.place_order = place_and_keep
""" + BROKERGATE


class Tally:
    def __init__(self) -> None:
        self.requests: dict[str, int] = {}
        self.errors: list[str] = []
        self.acknowledged: set[str] = set()
        self.streamed: set[str] = set()
        self.ticks = 0
        self.flowing = asyncio.Event()  # cleared for a quiet point
        self.flowing.set()
        self.in_flight = 0
        self.stopped = False

    def count(self, kind: str) -> None:
        self.requests[kind] = self.requests.get(kind, 0) + 1


async def _trader(client: httpx.AsyncClient, api_key: str, tally: Tally) -> None:
    calls = [
        ("placeorder", {**ORDER, "apikey": api_key}),
        ("orderbook", {"apikey": api_key}),
        ("quotes", {"apikey": api_key, "symbol": "RELIANCE", "exchange": "NSE"}),
        ("positionbook", {"apikey": api_key}),
    ]
    turn = 0
    while True:
        await tally.flowing.wait()
        if tally.stopped:
            return
        path, body = calls[turn % len(calls)]
        turn += 1
        tally.in_flight += 1
        try:
            response = await client.post(f"/api/v1/{path}", json=body)
            answer = response.json()
        except (httpx.HTTPError, ValueError) as error:
            tally.errors.append(f"{path}: {type(error).__name__}")
            continue
        finally:
            tally.in_flight -= 1
        tally.count(path)
        if response.status_code != 200 or answer.get("status") != "success":
            tally.errors.append(f"{path}: {response.status_code} {str(answer)[:120]}")
        elif path == "placeorder":
            tally.acknowledged.add(str(answer["orderid"]))


async def _listener(port: int, api_key: str, until: asyncio.Event, tally: Tally) -> None:
    async with websockets.connect(f"ws://{HOST}:{port}") as socket:
        await socket.send(json.dumps({"action": "authenticate", "api_key": api_key}))
        await socket.send(json.dumps({"action": "subscribe_orders"}))
        await socket.send(json.dumps({"action": "subscribe", "symbol": "RELIANCE", "exchange": "NSE", "mode": 2}))
        while not until.is_set():
            try:
                frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=1.0))
            except TimeoutError:
                continue
            if frame.get("type") == "order_update":
                tally.streamed.add(str(frame.get("orderid")))
            elif frame.get("type") == "market_data":
                tally.ticks += 1


async def _memory(pid: int, samples: list[tuple[float, float]], every: float) -> None:
    began = time.monotonic()
    while True:
        samples.append((round(time.monotonic() - began, 1), round(_rss_kib(pid) / 1024, 1)))
        await asyncio.sleep(every)


async def _quiet_point(pid: int, tally: Tally) -> dict:
    """Hold the traffic, let the server settle, and take its retained RSS: the lowest of a few samples."""
    tally.flowing.clear()
    while tally.in_flight:
        await asyncio.sleep(0.05)
    await asyncio.sleep(SETTLE_SECONDS)
    samples = []
    for _ in range(QUIET_SAMPLES):
        samples.append(_rss_kib(pid) / 1024)
        await asyncio.sleep(1.0)
    return {"rss_mb": round(min(samples), 1), "orders": len(tally.acknowledged)}


def retained(middle: dict, end: dict) -> dict:
    """Growth of the retained RSS from the middle quiet point to the end one, against the allowance."""
    orders = end["orders"] - middle["orders"]
    grown = (end["rss_mb"] - middle["rss_mb"]) * MIB
    allowed = RETAINED_BYTES_PER_ORDER * orders + RETAINED_NOISE_BYTES
    return {
        "middle": middle,
        "end": end,
        "growth": round(grown / (middle["rss_mb"] * MIB), 4),
        "bytes_per_order": round(grown / orders) if orders else None,
        "allowed_bytes": allowed,
        "fails_a_leak_of_bytes_per_order": round(allowed / orders) + 1 if orders else None,  # and more
        "flat": grown <= allowed,
    }


async def _soak(port: int, feed_port: int, api_key: str, pid: int, seconds: float, traders: int) -> dict:
    tally, samples, listened = Tally(), [], asyncio.Event()
    began = time.monotonic()
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", timeout=10) as client:
        listener = asyncio.create_task(_listener(feed_port, api_key, listened, tally))
        workers = [asyncio.create_task(_trader(client, api_key, tally)) for _ in range(traders)]
        sampler = asyncio.create_task(_memory(pid, samples, every=max(seconds / 60, 1.0)))
        await asyncio.sleep(seconds / 2)
        middle = await _quiet_point(pid, tally)
        tally.flowing.set()
        await asyncio.sleep(seconds / 2)
        sampler.cancel()  # the old figure: RSS while traffic runs
        tally.stopped = True
        end = await _quiet_point(pid, tally)
        tally.flowing.set()  # the traders see `stopped` and return
        await asyncio.gather(*workers)
        await asyncio.sleep(3)  # the last fills still arrive
        listened.set()
        await listener
        book = (await client.post("/api/v1/orderbook", json={"apikey": api_key})).json()["data"]["orders"]
    booked = {str(order["orderid"]) for order in book}
    warm = [rss for at, rss in samples if at >= min(60.0, seconds / 5)]
    growth = (max(warm[-3:]) - warm[0]) / warm[0] if len(warm) >= 2 else 0.0
    return {
        "seconds": seconds,
        "seconds_with_quiet_points": round(time.monotonic() - began, 1),
        "traders": traders,
        "requests": tally.requests,
        "requests_per_second": round(sum(tally.requests.values()) / seconds, 1),
        "errors": len(tally.errors),
        "first_errors": tally.errors[:5],
        "orders_acknowledged": len(tally.acknowledged),
        "orders_lost": len(tally.acknowledged - booked),
        "orders_missing_on_websocket": len(tally.acknowledged - tally.streamed),
        "ticks_received": tally.ticks,
        "retained_rss": retained(middle, end),
        "rss_mb": {"first": warm[0] if warm else None, "last": warm[-1] if warm else None, "growth": round(growth, 4)},
        "rss_samples": samples,
    }


def main(
    minutes: float = typer.Option(10.0, help="How long to run the traffic."),
    traders: int = typer.Option(8, help="Concurrent REST clients."),
    leak_per_order: int = typer.Option(0, help="Bytes the server keeps per order placed: a leak, to check the check."),
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        environment, api_key = bench_database(folder)
        port, feed_port = free_port(), free_port()
        environment = environment | {"WEBSOCKET_PORT": str(feed_port), "HISTORY_DATABASE": str(Path(folder) / "h.duckdb")}
        code, arguments = (LEAKING_BROKERGATE, [str(leak_per_order)]) if leak_per_order else (BROKERGATE, [])
        server = subprocess.Popen([sys.executable, "-c", code, str(port), *arguments], env=environment)
        try:
            deadline = time.monotonic() + 120  # a loaded machine starts slowly
            while True:
                try:
                    httpx.get(f"http://{HOST}:{port}/health", timeout=0.5)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the soak server did not start") from None
                    time.sleep(0.1)
            result = asyncio.run(_soak(port, feed_port, api_key, server.pid, minutes * 60, traders))
        finally:
            server.terminate()
            server.wait(timeout=15)
    passed = not result["errors"] and not result["orders_lost"] and not result["orders_missing_on_websocket"]
    passed = passed and result["retained_rss"]["flat"]
    if leak_per_order:
        result["leak_injected_bytes_per_order"] = leak_per_order
    report = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "soak": result | {"passed": passed}}
    RESULTS.mkdir(exist_ok=True)
    name = "soak-injected-leak.json" if leak_per_order else "soak.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2) + "\n")
    with (RESULTS / "history.jsonl").open("a") as history:
        history.write(json.dumps(report) + "\n")
    summary = {key: value for key, value in result.items() if key != "rss_samples"}
    print(json.dumps(summary | {"passed": passed}, indent=2))
    raise SystemExit(0 if passed else 1)


if __name__ == "__main__":
    typer.run(main)
