"""A real brokergate server on free ports, started the way `make run` starts it."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import eventually

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def server(tmp_path, database_backend, request):
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if key not in ("APP_KEY", "API_KEY_PEPPER")}
    environment |= {
        "WEBSOCKET_PORT": str(free_port()),
        "ZMQ_ADDRESS": f"tcp://127.0.0.1:{free_port()}",
        "ORDER_RATE_LIMIT": "1000 per second",
        "API_RATE_LIMIT": "1000 per second",
    }
    if database_backend != "sqlite":  # modules marked `databases` also run on PostgreSQL (tests/postgres.py)
        environment["DATABASE_URL"] = request.getfixturevalue("database_url")
    process = subprocess.Popen(
        [BIN / "brokergate", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        eventually(lambda: answers(f"http://127.0.0.1:{port}/api/v1/openapi.json"), timeout=30)
        yield tmp_path, port, environment
    finally:
        process.terminate()
        process.wait(timeout=10)


def cli(folder, environment, *arguments) -> str:
    """Run the `brokergate` command as a user would; return its standard output."""
    done = subprocess.run(
        [BIN / "brokergate", *arguments], cwd=folder, env=environment, check=True, capture_output=True, text=True
    )
    return done.stdout
