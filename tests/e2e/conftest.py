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


_handed_out: set[int] = set()


def free_port() -> int:
    """A free port never handed out before in this run: the kernel may offer a just-released port
    again, and a server's REST, WebSocket and bus ports must differ."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


def _environment(database_backend: str, request) -> tuple[int, dict]:
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
    return port, environment


@pytest.fixture
def server(tmp_path, database_backend, request):
    port, environment = _environment(database_backend, request)
    process = start_server(tmp_path, environment, port)
    try:
        yield tmp_path, port, environment
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def restartable_server(tmp_path, database_backend, request):
    """Like `server`, plus `restart()`: stop the server and start it again on the same folder and ports."""
    port, environment = _environment(database_backend, request)
    processes = [start_server(tmp_path, environment, port)]

    def restart() -> None:
        processes[-1].terminate()
        processes[-1].wait(timeout=10)
        processes.append(start_server(tmp_path, environment, port))

    try:
        yield tmp_path, port, environment, restart
    finally:
        processes[-1].terminate()
        processes[-1].wait(timeout=10)


def start_server(folder, environment: dict, port: int) -> subprocess.Popen:
    """Run `brokergate serve` in `folder` and wait until it answers; the caller terminates it."""
    process = subprocess.Popen(
        [BIN / "brokergate", "serve", "--port", str(port)],
        cwd=folder,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        eventually(lambda: answers(f"http://127.0.0.1:{port}/api/v1/openapi.json"), timeout=60)  # slow on a busy machine
    except AssertionError:
        process.terminate()
        output, _ = process.communicate(timeout=10)
        raise AssertionError(f"brokergate serve did not answer within 60 s:\n{output[-4000:]}") from None
    return process


def cli(folder, environment, *arguments) -> str:
    """Run the `brokergate` command as a user would; return its standard output."""
    done = subprocess.run(
        [BIN / "brokergate", *arguments], cwd=folder, env=environment, check=True, capture_output=True, text=True
    )
    return done.stdout
