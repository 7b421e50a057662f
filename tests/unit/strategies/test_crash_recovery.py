"""A real server killed with SIGKILL between accepting an alert and placing it: the restart places the
alert exactly once, and a retried delivery of it answers the first answer without placing again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
from sqlmodel import select

from gateway.app import create_app
from storage import WebhookAlert, session_scope
from tests.e2e.conftest import free_port

ROOT = Path(__file__).resolve().parents[3]
# The server as `brokergate serve` runs it, except that its order desk never returns: the alert is
# accepted and stored, and the process dies before any order exists.
SERVER = textwrap.dedent(
    """
    import asyncio, sys, uvicorn
    from gateway.app import create_app
    from gateway.orders import OrderDesk
    from gateway.settings import Settings

    async def hold(*args, **kwargs):
        await asyncio.sleep(3600)

    OrderDesk.place = hold
    settings = Settings.model_validate_json(sys.argv[1])
    uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
    """
)


def test_an_alert_accepted_before_a_kill_is_placed_once_after_the_restart(settings, tmp_path):
    settings = settings.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path / 'gate.db'}",
            "webhook_wait_seconds": 0.3,
            "webhook_rate_limit": "100 per second",
        }
    )
    first = create_app(settings)
    first.services.accounts.create_user("trader", "correct horse battery")
    key = first.services.accounts.create_api_key("trader")
    with first.test_client() as client:
        created = client.post(
            "/api/v1/strategies/create",
            json={"apikey": key, "name": "Crash", "platform": "tradingview", "is_intraday": False,
                  "symbols": [{"symbol": "SBIN", "exchange": "NSE", "quantity": 3}]},
        ).json()["data"]  # fmt: skip
    path = "/" + created["webhook_url"].split("/", 3)[3]
    body = {"symbol": "SBIN", "action": "BUY"}
    headers = {"Idempotency-Key": "tv-crash-1"}
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, settings.model_dump_json(), str(port)],
        cwd=tmp_path, env=os.environ | {"PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        queued = httpx.post(f"http://127.0.0.1:{port}{path}", json=body, headers=headers, timeout=10)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
    assert queued.status_code == 202, queued.text
    assert queued.json()["status"] == "queued"
    with session_scope(first.services.engine) as session:
        assert [a.status for a in session.exec(select(WebhookAlert)).all()] == ["pending"]

    restarted = create_app(settings)
    with restarted.test_client() as client:  # start-up places what the killed server had accepted
        retried = client.post(path, json=body, headers=headers)
        book = client.post("/api/v1/orderbook", json={"apikey": key}).json()["data"]["orders"]
        alerts = client.post("/api/v1/strategies/alerts", json={"apikey": key, "strategy_id": created["strategy_id"]})

    assert [(o["symbol"], o["action"], int(o["quantity"])) for o in book] == [("SBIN", "BUY", 3)]
    assert retried.status_code == 200 and retried.json()["alert_id"] == queued.json()["alert_id"]
    assert retried.json()["orders"][0]["orderid"] == book[0]["orderid"]
    assert [a["status"] for a in alerts.json()["data"]] == ["placed"]
    assert json.dumps(alerts.json()).count(book[0]["orderid"]) == 1
