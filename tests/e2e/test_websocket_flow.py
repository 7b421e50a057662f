"""A plain WebSocket client against the real server, bus and offline feed on loopback."""

import pytest

from streaming import CloseCode, ServerLimits
from tests.unit.streaming.fakes import eventually
from tests.unit.streaming.wsclient import StreamClient, serving


@pytest.mark.asyncio
async def test_authenticate_subscribe_receive_and_unsubscribe():
    async with serving() as service:
        client = await StreamClient.open(service.port)

        auth = await client.authenticate("key-alice")
        ack = await client.request(
            {"action": "subscribe", "symbols": [{"symbol": "RELIANCE", "exchange": "NSE"}], "mode": "LTP",
             "request_id": "r1"}
        )  # fmt: skip
        await client.send({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 3, "depth": 5})
        await client.expect(lambda frame: frame.get("type") == "market_data" and frame["symbol"] == "SBIN")
        first = await client.expect(
            lambda frame: frame.get("type") == "market_data" and frame["symbol"] == "RELIANCE"
        )
        removed = await client.request({"action": "unsubscribe", "symbol": "RELIANCE", "exchange": "NSE"})
        reliance_after_unsubscribe = len(client.market_data("RELIANCE"))
        sbin_seen = len(client.market_data("SBIN"))
        await client.expect(lambda frame: frame.get("type") == "market_data" and frame["symbol"] == "SBIN")
        await eventually(lambda: len(client.market_data("SBIN")) >= sbin_seen + 1)
        for _ in range(3):
            await client.expect("market_data")

        assert auth == {
            "type": "auth", "status": "success", "message": "Authentication successful", "broker": "sandbox",
            "user_id": "alice", "supported_features": {"ltp": True, "quote": True, "depth": True},
        }  # fmt: skip
        assert ack["request_id"] == "r1" and ack["status"] == "success"
        assert ack["subscriptions"][0]["mode"] == "LTP" and ack["subscriptions"][0]["state"] in (
            "acknowledged",
            "live",
        )
        assert first["mode"] == 1 and set(first["data"]) == {
            "symbol",
            "exchange",
            "mode",
            "ltp",
            "ltt",
            "timestamp",
        }
        assert client.market_data("SBIN")[0]["data"]["depth"]["buy"][0]["quantity"] == 100
        reliance = [frame for frame in client.frames if frame.get("symbol") == "RELIANCE"]
        assert [frame["type"] for frame in reliance[:2]] == ["subscription_state", "subscription_state"]
        assert [frame["state"] for frame in reliance[:2]] == ["acknowledged", "live"]
        assert removed["status"] == "success" and removed["successful"][0]["symbol"] == "RELIANCE"
        assert len(client.market_data("RELIANCE")) == reliance_after_unsubscribe
        await client.close()


@pytest.mark.asyncio
async def test_lower_mode_subscriber_gets_one_small_frame_while_another_client_streams_depth():
    async with serving() as service:
        depth_client, ltp_client = (
            await StreamClient.open(service.port),
            await StreamClient.open(service.port),
        )
        await depth_client.authenticate("key-alice")
        await ltp_client.authenticate("key-bob")
        await depth_client.request(
            {"action": "subscribe", "symbol": "INFY", "exchange": "NSE", "mode": "Depth"}
        )
        await ltp_client.request({"action": "subscribe", "symbol": "INFY", "exchange": "NSE", "mode": "ltp"})

        for _ in range(5):
            await ltp_client.expect("market_data")

        frames = ltp_client.market_data("INFY")
        assert all(frame["mode"] == 1 and "depth" not in frame["data"] for frame in frames)
        sequences = [frame["sequence"] for frame in frames]
        assert sequences == sorted(set(sequences))  # one frame per tick, never duplicated


@pytest.mark.asyncio
async def test_ping_broker_info_and_supported_brokers():
    async with serving() as service:
        client = await StreamClient.open(service.port)

        pong = await client.request({"action": "ping", "timestamp": 123, "_pingId": 7}, "pong")
        refused = await client.request({"action": "get_supported_brokers"}, "supported_brokers")
        await client.authenticate("key-bob")
        info = await client.request({"action": "get_broker_info"}, "broker_info")
        brokers = await client.request({"type": "get_supported_brokers"}, "supported_brokers")

        assert pong["client_timestamp"] == 123 and pong["_pingId"] == 7
        assert refused["code"] == "NOT_AUTHENTICATED"
        assert info == {
            "type": "broker_info", "status": "success", "broker": "sandbox", "adapter_status": "connected",
            "user_id": "bob",
        }  # fmt: skip
        assert brokers["brokers"] == ["sandbox", "zerodha"] and brokers["count"] == 2


@pytest.mark.asyncio
async def test_unauthenticated_connection_is_closed_after_the_grace_period():
    async with serving(limits=ServerLimits(auth_grace_seconds=0.2)) as service:
        client = await StreamClient.open(service.port)

        await eventually(lambda: client.connection.close_code is not None)

        assert client.connection.close_code == CloseCode.AUTH_TIMEOUT
        assert client.connection.close_reason == "auth timeout"


@pytest.mark.asyncio
async def test_connections_per_user_and_subscriptions_per_client_are_limited():
    limits = ServerLimits(max_connections_per_user=1, max_subscriptions_per_client=2)
    async with serving(limits=limits) as service:
        first, second = await StreamClient.open(service.port), await StreamClient.open(service.port)
        await first.authenticate("key-alice")

        refused = await second.authenticate("key-alice")
        await eventually(lambda: second.connection.close_code is not None)
        too_many = await first.request(
            {"action": "subscribe", "mode": 1, "symbols": [
                {"symbol": "SBIN", "exchange": "NSE"}, {"symbol": "INFY", "exchange": "NSE"},
                {"symbol": "TCS", "exchange": "NSE"}]}
        )  # fmt: skip

        assert refused["code"] == "CONNECTION_LIMIT"
        assert second.connection.close_code == CloseCode.TOO_MANY_CONNECTIONS
        assert too_many["code"] == "SUBSCRIPTION_LIMIT"


@pytest.mark.asyncio
async def test_closing_the_last_subscriber_stops_the_instrument_on_the_feed():
    async with serving() as service:
        client = await StreamClient.open(service.port)
        await client.authenticate("key-alice")
        await client.request({"action": "subscribe", "symbol": "TCS", "exchange": "NSE"})
        await eventually(lambda: service.stats()["feed_instruments"] == 1)

        await client.close()

        await eventually(lambda: service.stats()["feed_instruments"] == 0)
        assert service.stats()["clients"] == 0
