"""Killing the feed's upstream connection: clients see reconnecting, then resubscription and fresh ticks."""

import pytest

from tests.unit.streaming.fakes import eventually
from tests.unit.streaming.wsclient import StreamClient, serving


def _state(symbol, state):
    return lambda frame: (
        frame.get("type") == "subscription_state" and frame["symbol"] == symbol and frame["state"] == state
    )


@pytest.mark.asyncio
async def test_feed_loss_reports_reconnecting_then_resubscribes_and_ticks_resume():
    async with serving() as service:
        client = await StreamClient.open(service.port)
        await client.authenticate("key-alice")
        await client.request(
            {"action": "subscribe", "mode": 2, "symbols": [
                {"symbol": "RELIANCE", "exchange": "NSE"}, {"symbol": "NIFTY", "exchange": "NSE_INDEX"}]}
        )  # fmt: skip
        await client.expect(lambda frame: frame.get("type") == "market_data" and frame["symbol"] == "NIFTY")
        adapter = service.adapter

        adapter.available = False
        adapter.break_connection()
        await client.expect(_state("RELIANCE", "reconnecting"))
        await eventually(lambda: adapter.connect_failures >= 1)
        info_while_down = await client.request({"action": "get_broker_info"}, "broker_info")
        before = {symbol: len(client.market_data(symbol)) for symbol in ("RELIANCE", "NIFTY")}
        adapter.available = True
        await client.expect(_state("RELIANCE", "live"))
        for _ in range(6):
            await client.expect("market_data")

        assert info_while_down["adapter_status"] == "disconnected"
        assert adapter.connects == 2
        for symbol in ("RELIANCE", "NIFTY"):
            frames = client.market_data(symbol)
            assert len(frames) > before[symbol]
            sequences = [frame["sequence"] for frame in frames]
            assert sequences == list(range(1, len(sequences) + 1))  # same publisher: nothing skipped
        assert service.stats()["feed_instruments"] == 2
