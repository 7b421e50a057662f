"""A WebSocket client that drops out during a burst of fills resumes with `since` and misses nothing,
in order, also after the server restarted (sequences are durable per user)."""

import asyncio
import json

import httpx
import websockets

from tests.e2e.conftest import cli

BURST = 6


async def _frames(websocket, until, timeout: float = 15.0) -> list[dict]:
    """Order updates received until `until(updates)` holds."""
    updates: list[dict] = []
    async with asyncio.timeout(timeout):
        while not until(updates):
            message = json.loads(await websocket.recv())
            if message.get("type") == "order_update":
                updates.append(message)
    return updates


async def _resume(port: str, api_key: str, since: int | None, until) -> tuple[dict, list[dict]]:
    async with websockets.connect(f"ws://127.0.0.1:{port}") as websocket:
        await websocket.send(json.dumps({"action": "authenticate", "api_key": api_key}))
        while json.loads(await websocket.recv()).get("type") != "auth":
            pass
        request = {"action": "subscribe_orders"} | ({} if since is None else {"since": since})
        await websocket.send(json.dumps(request))
        while (reply := json.loads(await websocket.recv())).get("type") != "subscribe_orders":
            pass
        return reply, await _frames(websocket, until)


def _final_states(post) -> dict[str, str]:
    return {order["orderid"]: order["order_status"] for order in post("orderbook")["data"]["orders"]}


def _new(now: dict[str, str], earlier: dict[str, str]) -> dict[str, str]:
    return {order: status for order, status in now.items() if order not in earlier}


def _covers(final: dict[str, str]):
    """True once every order has been seen in its final state."""
    return lambda updates: all(
        any(update["orderid"] == order and update["order_status"] == status for update in updates)
        for order, status in final.items()
    )


def test_a_client_that_drops_out_during_fills_resumes_in_order_also_across_a_restart(restartable_server):
    folder, port, environment, restart = restartable_server
    cli(folder, environment, "user", "create", "--username", "ravi", "--password", "a long password")
    api_key = cli(folder, environment, "apikey", "create", "--username", "ravi").strip().splitlines()[-1]
    rest = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=10)

    def post(path: str, **body) -> dict:
        response = rest.post(path, json={"apikey": api_key, **body})
        assert response.status_code == 200, response.text
        return response.json()

    def burst(count: int) -> None:
        for _ in range(count):
            post("placeorder", strategy="resume", symbol="SBIN", exchange="NSE", action="BUY", quantity="1",
                 pricetype="MARKET", product="MIS")  # fmt: skip

    ws_port = environment["WEBSOCKET_PORT"]
    burst(2)
    before = _final_states(post)
    _, first = asyncio.run(_resume(ws_port, api_key, 0, _covers(before)))
    seen = first[-1]["sequence"]
    burst(BURST)  # the client is away for this burst
    during = _final_states(post)
    _, missed = asyncio.run(_resume(ws_port, api_key, seen, _covers(_new(during, before))))

    rest.close()
    restart()
    rest = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=10)
    burst(2)
    final = _final_states(post)
    reply, after_restart = asyncio.run(
        _resume(ws_port, api_key, missed[-1]["sequence"], _covers(_new(final, during)))
    )
    _, everything = asyncio.run(_resume(ws_port, api_key, 0, _covers(final)))

    received = first + missed + after_restart
    sequences = [update["sequence"] for update in received]
    assert sequences == list(range(1, len(sequences) + 1))  # every update once, in order, across the restart
    assert missed[0]["sequence"] == seen + 1
    assert reply["replayed"] >= 1
    assert [update["sequence"] for update in everything] == sequences
    assert [update["orderid"] for update in everything] == [update["orderid"] for update in received]
    assert {update["orderid"] for update in received} == set(final)
