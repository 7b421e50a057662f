"""A small HTTP/1.1 keep-alive load generator for loopback benchmarks.

Plain asyncio streams instead of an HTTP client library, so the generator spends little of the
machine's two cores and the server's figure is what we measure. Bounded by request count and time.
"""

from __future__ import annotations

import asyncio
import json
import time

import numpy as np


async def _connection(host: str, port: int, request: bytes, deadline: float, latencies: list[float], stop_after: int):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline and len(latencies) < stop_after:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"benchmark request failed: {head.splitlines()[0].decode()}")
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


def post_request(host: str, port: int, path: str, body: dict, headers: dict[str, str] | None = None) -> bytes:
    payload = json.dumps(body).encode()
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n{extra}\r\n"
    ).encode() + payload


async def load(
    host: str, port: int, request: bytes, *, connections: int = 16, seconds: float = 5.0, max_requests: int = 200_000
) -> dict:
    """Send `request` over `connections` keep-alive connections; report throughput and latency."""
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_connection(host, port, request, deadline, latencies, max_requests) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    milliseconds = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "connections": connections,
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(float(np.percentile(milliseconds, 50)), 3),
        "p99_ms": round(float(np.percentile(milliseconds, 99)), 3),
    }
