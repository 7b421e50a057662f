"""A newcomer's trading session on real sockets: key from the CLI, NIFTY futures traded over REST,
live ticks and order updates over the WebSocket feed, everything consistent."""

import asyncio
import json

import httpx
import pytest
import websockets

from tests.e2e.conftest import cli

pytestmark = pytest.mark.databases  # on SQLite and on PostgreSQL (tests/postgres.py)


async def _next(websocket, kind: str, timeout: float = 10.0) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await websocket.recv())
            if message.get("type") == kind:
                return message


def test_trade_nifty_future_and_watch_it_live(server):
    folder, port, environment = server
    cli(folder, environment, "user", "create", "--username", "asha", "--password", "a long password")
    api_key = cli(folder, environment, "apikey", "create", "--username", "asha").strip().splitlines()[-1]
    rest = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=10)

    def post(path: str, **body) -> dict:
        response = rest.post(path, json={"apikey": api_key, **body})
        assert response.status_code == 200, response.text
        return response.json()

    expiries = post("expiry", symbol="NIFTY", exchange="NFO", instrumenttype="futures")["data"]
    future = "NIFTY" + expiries[0].replace("-", "") + "FUT"
    lot = post("symbol", symbol=future, exchange="NFO")["data"]["lotsize"]

    async def session() -> tuple[dict, dict, dict]:
        async with websockets.connect(f"ws://127.0.0.1:{environment['WEBSOCKET_PORT']}") as websocket:
            await websocket.send(json.dumps({"action": "authenticate", "api_key": api_key}))
            await _next(websocket, "auth")
            await websocket.send(
                json.dumps(
                    {"action": "subscribe", "symbols": [{"symbol": "NIFTY", "exchange": "NSE_INDEX"}], "mode": "LTP"}
                )
            )
            await websocket.send(json.dumps({"action": "subscribe_orders"}))
            tick = await _next(websocket, "market_data")
            bought = await asyncio.to_thread(
                post,
                "placeorder",
                strategy="e2e",
                symbol=future,
                exchange="NFO",
                action="BUY",
                quantity=str(lot),
                pricetype="MARKET",
                product="NRML",
            )
            update = await _next(websocket, "order_update")
            return tick, bought, update

    tick, bought, update = asyncio.run(session())
    position = post("positionbook")["data"][0]
    funds = post("funds")["data"]

    assert tick["data"]["ltp"] > 0 and tick["symbol"] == "NIFTY"
    assert update["orderid"] == bought["orderid"] and update["order_status"] in ("open", "complete")
    assert (position["symbol"], position["quantity"]) == (future, lot)
    assert funds["availablecash"] + funds["utiliseddebits"] == 10_000_000
