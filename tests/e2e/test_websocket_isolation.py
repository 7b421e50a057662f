"""Ticks and order updates reach only the connections and users they belong to."""

import pytest

from tests.unit.streaming.fakes import eventually
from tests.unit.streaming.wsclient import StreamClient, serving


@pytest.mark.asyncio
async def test_two_users_receive_only_their_own_ticks_and_order_updates():
    async with serving() as service:
        alice, bob = await StreamClient.open(service.port), await StreamClient.open(service.port)
        await alice.authenticate("key-alice")
        await bob.authenticate("key-bob")
        await alice.request({"action": "subscribe", "symbol": "RELIANCE", "exchange": "NSE", "mode": 2})
        await bob.request({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 2})
        await alice.request({"action": "subscribe_orders"}, "subscribe_orders")
        await bob.request({"action": "subscribe_orders", "request_id": "o1"}, "subscribe_orders")

        for number in range(1, 6):
            service.publish_order_update(
                1, {"orderid": f"A{number}", "order_status": "open", "user_id": "alice"}
            )
        service.publish_order_update(2, {"orderid": "B1", "order_status": "complete", "user_id": "bob"})
        alice_orders = [await alice.expect("order_update") for _ in range(5)]
        bob_order = await bob.expect("order_update")
        for _ in range(5):
            await alice.expect("market_data")
            await bob.expect("market_data")

        assert [order["orderid"] for order in alice_orders] == ["A1", "A2", "A3", "A4", "A5"]
        assert [order["sequence"] for order in alice_orders] == [1, 2, 3, 4, 5]
        assert bob_order["orderid"] == "B1" and bob_order["sequence"] == 1
        assert {frame["symbol"] for frame in alice.market_data()} == {"RELIANCE"}
        assert {frame["symbol"] for frame in bob.market_data()} == {"SBIN"}
        assert all(frame.get("orderid") != "B1" for frame in alice.frames)
        assert all(not str(frame.get("orderid", "")).startswith("A") for frame in bob.frames)


@pytest.mark.asyncio
async def test_order_updates_stop_after_unsubscribe_orders_and_never_reach_other_connections_of_no_interest():
    async with serving() as service:
        listening, quiet = await StreamClient.open(service.port), await StreamClient.open(service.port)
        await listening.authenticate("key-alice")
        await quiet.authenticate("key-alice")
        await listening.request({"action": "subscribe_orders"}, "subscribe_orders")

        service.publish_order_update(1, {"orderid": "1", "order_status": "open"})
        await listening.expect("order_update")
        await listening.request({"action": "unsubscribe_orders"}, "unsubscribe_orders")
        service.publish_order_update(1, {"orderid": "2", "order_status": "cancelled"})
        await eventually(lambda: service.stats()["orders_in"] == 2)
        pong = await listening.request({"action": "ping"}, "pong")
        quiet_pong = await quiet.request({"action": "ping"}, "pong")

        assert pong["type"] == quiet_pong["type"] == "pong"
        assert [frame["orderid"] for frame in listening.frames if frame.get("type") == "order_update"] == [
            "1"
        ]
        assert all(frame.get("type") != "order_update" for frame in quiet.frames)


@pytest.mark.asyncio
async def test_reauthenticating_as_another_user_drops_the_previous_users_subscriptions():
    async with serving() as service:
        client = await StreamClient.open(service.port)
        await client.authenticate("key-alice")
        await client.request({"action": "subscribe", "symbol": "TCS", "exchange": "NSE", "mode": 1})
        await client.expect("market_data")

        await client.authenticate("key-bob")
        await eventually(lambda: service.stats()["feed_instruments"] == 0)
        removed = await client.request({"action": "unsubscribe", "symbol": "TCS", "exchange": "NSE"})

        assert removed["status"] == "error" and removed["failed"][0]["message"] == "Not subscribed to NSE:TCS"
