"""`make soak`: a bounded soak of mixed traffic against one server on loopback.

Orders, order books, quotes and a WebSocket client subscribed to order updates and ticks run
together for `--minutes`. Passing means: no failed request, every acknowledged order is in the
order book and arrived on the WebSocket, and the server's memory stays flat (the RSS of the last
sampled minute within a few per cent of the second's). Figures go to `bench-results/soak.json`
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
MEMORY_GROWTH_LIMIT = 0.05  # of the RSS after the warm-up minute


class Tally:
    def __init__(self) -> None:
        self.requests: dict[str, int] = {}
        self.errors: list[str] = []
        self.acknowledged: set[str] = set()
        self.streamed: set[str] = set()
        self.ticks = 0

    def count(self, kind: str) -> None:
        self.requests[kind] = self.requests.get(kind, 0) + 1


async def _trader(client: httpx.AsyncClient, api_key: str, deadline: float, tally: Tally) -> None:
    calls = [
        ("placeorder", {**ORDER, "apikey": api_key}),
        ("orderbook", {"apikey": api_key}),
        ("quotes", {"apikey": api_key, "symbol": "RELIANCE", "exchange": "NSE"}),
        ("positionbook", {"apikey": api_key}),
    ]
    turn = 0
    while time.monotonic() < deadline:
        path, body = calls[turn % len(calls)]
        turn += 1
        try:
            response = await client.post(f"/api/v1/{path}", json=body)
            answer = response.json()
        except (httpx.HTTPError, ValueError) as error:
            tally.errors.append(f"{path}: {type(error).__name__}")
            continue
        tally.count(path)
        if response.status_code != 200 or answer.get("status") != "success":
            tally.errors.append(f"{path}: {response.status_code} {str(answer)[:120]}")
        elif path == "placeorder":
            tally.acknowledged.add(str(answer["orderid"]))


async def _listener(port: int, api_key: str, deadline: float, tally: Tally) -> None:
    async with websockets.connect(f"ws://{HOST}:{port}") as socket:
        await socket.send(json.dumps({"action": "authenticate", "api_key": api_key}))
        await socket.send(json.dumps({"action": "subscribe_orders"}))
        await socket.send(json.dumps({"action": "subscribe", "symbol": "RELIANCE", "exchange": "NSE", "mode": 2}))
        while time.monotonic() < deadline:
            try:
                frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=1.0))
            except TimeoutError:
                continue
            if frame.get("type") == "order_update":
                tally.streamed.add(str(frame.get("orderid")))
            elif frame.get("type") == "market_data":
                tally.ticks += 1


async def _memory(pid: int, deadline: float, samples: list[tuple[float, float]], every: float) -> None:
    began = time.monotonic()
    while time.monotonic() < deadline:
        samples.append((round(time.monotonic() - began, 1), round(_rss_kib(pid) / 1024, 1)))
        await asyncio.sleep(every)


async def _soak(port: int, feed_port: int, api_key: str, pid: int, seconds: float, traders: int) -> dict:
    tally, samples = Tally(), []
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", timeout=10) as client:
        await asyncio.gather(
            _listener(feed_port, api_key, deadline + 3, tally),  # a little longer: the last fills still arrive
            _memory(pid, deadline, samples, every=max(seconds / 60, 1.0)),
            *(_trader(client, api_key, deadline, tally) for _ in range(traders)),
        )
        book = (await client.post("/api/v1/orderbook", json={"apikey": api_key})).json()["data"]["orders"]
    booked = {str(order["orderid"]) for order in book}
    warm = [rss for at, rss in samples if at >= min(60.0, seconds / 5)]
    growth = (max(warm[-3:]) - warm[0]) / warm[0] if len(warm) >= 2 else 0.0
    return {
        "seconds": seconds,
        "traders": traders,
        "requests": tally.requests,
        "requests_per_second": round(sum(tally.requests.values()) / seconds, 1),
        "errors": len(tally.errors),
        "first_errors": tally.errors[:5],
        "orders_acknowledged": len(tally.acknowledged),
        "orders_lost": len(tally.acknowledged - booked),
        "orders_missing_on_websocket": len(tally.acknowledged - tally.streamed),
        "ticks_received": tally.ticks,
        "rss_mb": {"first": warm[0] if warm else None, "last": warm[-1] if warm else None, "growth": round(growth, 4)},
        "rss_samples": samples,
    }


def main(
    minutes: float = typer.Option(10.0, help="How long to run the traffic."),
    traders: int = typer.Option(8, help="Concurrent REST clients."),
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        environment, api_key = bench_database(folder)
        port, feed_port = free_port(), free_port()
        environment = environment | {"WEBSOCKET_PORT": str(feed_port), "HISTORY_DATABASE": str(Path(folder) / "h.duckdb")}
        server = subprocess.Popen([sys.executable, "-c", BROKERGATE, str(port)], env=environment)
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
    passed = passed and result["rss_mb"]["growth"] <= MEMORY_GROWTH_LIMIT
    report = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "soak": result | {"passed": passed}}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(report, indent=2) + "\n")
    with (RESULTS / "history.jsonl").open("a") as history:
        history.write(json.dumps(report) + "\n")
    summary = {key: value for key, value in result.items() if key != "rss_samples"}
    print(json.dumps(summary | {"passed": passed}, indent=2))
    raise SystemExit(0 if passed else 1)


if __name__ == "__main__":
    typer.run(main)
