"""The console's live stream on real sockets: an order placed through the API reaches the signed-in
page as a server-sent event, and only that user's page."""

import json
import threading

import httpx

from tests.e2e.conftest import cli
from tests.security.conftest import sign_up


def test_order_events_reach_the_console_as_they_happen(server):
    folder, port, environment = server
    base = f"http://127.0.0.1:{port}"
    page = httpx.Client(base_url=base, follow_redirects=True, timeout=10, headers={"Origin": base})
    sign_up(page)
    api_key = cli(folder, environment, "apikey", "create", "--username", "admin").strip().splitlines()[-1]
    received: list[dict] = []
    listening = threading.Event()

    def listen() -> None:
        with page.stream("GET", "/console/events") as stream:
            listening.set()
            event = None
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: ") and event == "order":
                    received.append(json.loads(line.removeprefix("data: ")))
                    return

    reader = threading.Thread(target=listen, daemon=True)
    reader.start()
    listening.wait(10)
    placed = httpx.post(f"{base}/api/v1/placeorder", json={
        "apikey": api_key, "strategy": "live", "symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "1",
    }).json()
    reader.join(10)

    assert received and received[0]["orderid"] == placed["orderid"]
    assert httpx.get(f"{base}/console/events", timeout=5).status_code == 401
