"""REST benchmark: brokergate's `ping` against a bare starlette route, in the same run.

Each server runs in its own process (uvicorn, one worker) so the load generator does not share
its event loop; the ratio of the two figures is what to follow from run to run. `ping` is also
measured from one connection: the latency floor of any authenticated request sent one at a time.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tools.loadgen import load, post_request

HOST = "127.0.0.1"
APP_KEY, PEPPER = "e" * 64, "f" * 64


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _wait_until_up(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"benchmark server exited with {process.returncode}")
        try:
            httpx.get(f"http://{HOST}:{port}/", timeout=0.5)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("benchmark server did not start")


def _serve(code: str, port: int, environment: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", code, str(port)], env=environment)
    try:
        _wait_until_up(port, process)
    except BaseException:  # a server that never came up must not outlive the benchmark
        process.kill()
        process.wait(timeout=10)
        raise
    return process


BARE_STARLETTE = """
import sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def ping(request):
    await request.body()
    return JSONResponse({"status": "success", "data": {"broker": "sandbox", "message": "pong"}})

uvicorn.run(Starlette(routes=[Route("/api/v1/ping", ping, methods=["POST"])]), host="127.0.0.1",
            port=int(sys.argv[1]), log_level="warning")
"""

BROKERGATE = """
import sys, uvicorn
from gateway.allocator import long_lived_start
from gateway.settings import Settings
with long_lived_start():  # as `brokergate serve` builds it
    from gateway.app import create_app
    app = create_app(Settings(_env_file=None))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def bench_database(folder: str, database: str | None = None) -> tuple[dict[str, str], str]:
    """A database (SQLite in `folder` unless a URL is given) with one user and key, and the
    environment a benchmark server runs with."""
    from gateway.services import Services
    from gateway.settings import Settings

    database = database or f"sqlite:///{Path(folder) / 'bench.db'}"
    settings = Settings(app_key=APP_KEY, api_key_pepper=PEPPER, database_url=database, _env_file=None)
    accounts = Services.build(settings).accounts
    accounts.create_user("bench", "benchmark password")
    environment = {
        "APP_KEY": APP_KEY,
        "API_KEY_PEPPER": PEPPER,
        "DATABASE_URL": database,
        "PATH": "",
        # Measure the work, not the limiter's refusals.
        "API_RATE_LIMIT": "10000000 per second",
        "ORDER_RATE_LIMIT": "10000000 per second",
        "WEBSOCKET_PORT": "0",
        "ZMQ_ADDRESS": "tcp://127.0.0.1:*",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    return environment, accounts.create_api_key("bench")


def measure(servers: dict[str, str], environment: dict[str, str], request_for, seconds: float, connections: int = 16):
    """Start each server in turn and load it with the request `request_for(port)` builds."""
    results = {}
    for name, code in servers.items():
        port = free_port()
        process = _serve(code, port, environment)
        try:
            request = request_for(port)
            asyncio.run(load(HOST, port, request, connections=connections, seconds=1.0))  # warm-up
            results[name] = asyncio.run(load(HOST, port, request, connections=connections, seconds=seconds))
        finally:
            process.terminate()
            process.wait(timeout=10)
    return results


def run(seconds: float = 5.0) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        environment, api_key = bench_database(folder)

        def ping(port: int) -> bytes:
            return post_request(HOST, port, "/api/v1/ping", {"apikey": api_key})

        results = measure({"bare_starlette": BARE_STARLETTE, "brokergate_ping": BROKERGATE}, environment, ping, seconds)
        # The floor under every authenticated request one client sends at a time (the sandbox bench's
        # one-connection placeorder is this plus the order itself).
        results |= measure({"brokergate_ping_one_connection": BROKERGATE}, environment, ping, seconds, connections=1)
    results["ping_to_bare_ratio"] = round(
        results["brokergate_ping"]["requests_per_second"] / results["bare_starlette"]["requests_per_second"], 3
    )
    return results
