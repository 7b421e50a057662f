"""The README's first run, on real sockets: serve creates .env, the CLI makes a user and key, ping answers."""

import subprocess

import httpx

from tests.e2e.conftest import BIN


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
