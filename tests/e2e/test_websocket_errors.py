"""Every malformed or refused message gets its documented, schema-valid error frame; none closes the socket."""

import pytest

from tests.unit.streaming.wsclient import StreamClient, serving

CASES = [
    ("not json at all", "INVALID_JSON"),
    ('"a string"', "INVALID_JSON"),
    ('{"symbol": "SBIN"}', "INVALID_ACTION"),
    ('{"action": "launch"}', "INVALID_ACTION"),
    ('{"action": "subscribe"}', "INVALID_PARAMETERS"),
    ('{"action": "subscribe", "symbols": [{"exchange": "NSE"}]}', "INVALID_PARAMETERS"),
    ('{"action": "subscribe", "symbols": "SBIN"}', "INVALID_PARAMETERS"),
    ('{"action": "subscribe", "symbol": "SBIN", "exchange": "LSE"}', "INVALID_EXCHANGE"),
    ('{"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": "Full"}', "INVALID_MODE"),
    ('{"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 0}', "INVALID_MODE"),
    ('{"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "depth": 50}', "INVALID_DEPTH"),
    ('{"action": "unsubscribe", "symbol": "SBIN", "exchange": "NSE", "mode": "x"}', "INVALID_MODE"),
    ('{"action": "unsubscribe"}', "INVALID_PARAMETERS"),
    ('{"action": "authenticate"}', "AUTHENTICATION_ERROR"),
    ('{"action": "authenticate", "api_key": "wrong"}', "AUTHENTICATION_ERROR"),
]


@pytest.mark.asyncio
async def test_each_malformed_message_gets_its_error_code_and_the_connection_survives():
    async with serving() as service:
        client = await StreamClient.open(service.port)
        await client.authenticate("key-alice")

        codes = []
        for text, _ in CASES:
            await client.send(text)
            codes.append((await client.expect(lambda frame: frame.get("status") == "error"))["code"])
        still_alive = await client.request({"action": "ping"}, "pong")

        assert codes == [code for _, code in CASES]
        assert still_alive["status"] == "success"


@pytest.mark.asyncio
async def test_actions_before_authentication_are_refused_and_errors_echo_request_id():
    async with serving() as service:
        client = await StreamClient.open(service.port)

        refused = await client.request(
            {"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "request_id": 4}
        )

        assert refused == {
            "status": "error", "code": "NOT_AUTHENTICATED", "message": "You must authenticate first", "request_id": 4,
        }  # fmt: skip


@pytest.mark.asyncio
async def test_unknown_symbol_is_a_per_item_error_in_a_partial_reply():
    async with serving() as service:
        client = await StreamClient.open(service.port)
        await client.authenticate("key-alice")

        reply = await client.request(
            {"action": "subscribe", "mode": 1, "symbols": [
                {"symbol": "SBIN", "exchange": "NSE"}, {"symbol": "NOPE", "exchange": "NSE"}]}
        )  # fmt: skip

        assert reply["status"] == "partial"
        assert [item["status"] for item in reply["subscriptions"]] == ["success", "error"]
        assert reply["subscriptions"][1]["message"] == "Symbol NOPE not found for exchange NSE"
        assert service.stats()["feed_instruments"] == 1


@pytest.mark.asyncio
async def test_oversized_frames_close_the_connection_with_1009_and_repeated_bad_keys_with_4403():
    from streaming import ServerLimits

    async with serving(limits=ServerLimits(max_message_bytes=1024, max_auth_failures=2)) as service:
        big, guesser = await StreamClient.open(service.port), await StreamClient.open(service.port)

        await big.send('{"action": "ping", "pad": "' + "x" * 2048 + '"}')
        first = await guesser.authenticate("guess-1")
        second = await guesser.authenticate("guess-2")
        await big.connection.wait_closed()
        await guesser.connection.wait_closed()

        assert big.connection.close_code == 1009
        assert first["code"] == second["code"] == "AUTHENTICATION_ERROR"
        assert guesser.connection.close_code == 4403
