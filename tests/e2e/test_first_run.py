"""The README's first run, on real sockets: serve creates .env, the CLI makes a user and key, ping answers."""

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
def server(tmp_path):
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if key not in ("APP_KEY", "API_KEY_PEPPER")}
    environment |= {"WEBSOCKET_PORT": str(free_port()), "ZMQ_ADDRESS": f"tcp://127.0.0.1:{free_port()}"}
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


def test_fresh_start_to_pong(server):
    folder, port, environment = server
    cli = [BIN / "brokergate"]

    env_file = (folder / ".env").read_text()
    subprocess.run(
        [*cli, "user", "create", "--username", "admin", "--password", "a long password"],
        cwd=folder,
        env=environment,
        check=True,
        capture_output=True,
    )
    issued = subprocess.run(
        [*cli, "apikey", "create", "--username", "admin"],
        cwd=folder,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )
    api_key = issued.stdout.strip().splitlines()[-1]
    response = httpx.post(f"http://127.0.0.1:{port}/api/v1/ping", json={"apikey": api_key})

    assert "APP_KEY=" in env_file and "API_KEY_PEPPER=" in env_file
    assert response.json() == {"status": "success", "data": {"broker": "sandbox", "message": "pong"}}
    assert httpx.get(f"http://127.0.0.1:{port}/api/docs", follow_redirects=True).status_code == 200
