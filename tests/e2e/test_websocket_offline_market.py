"""The streaming service on the real offline market simulator, as `make run` will start it."""

from sandbox.market import OfflineMarket
from tests.unit.streaming.wsclient import StreamClient, serving


async def test_real_offline_market_streams_all_three_modes_and_rejects_unknown_symbols():
    async with serving(market=OfflineMarket(seed=7), feed_interval=0.05) as service:
        client = await StreamClient.open(service.port)
        await client.authenticate("key-alice")

        quote = await client.request(
            {"action": "subscribe", "symbol": "RELIANCE", "exchange": "NSE", "mode": 2}
        )
        depth = await client.request(
            {"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": "Depth"}
        )
        index = await client.request(
            {"action": "subscribe", "symbol": "NIFTY", "exchange": "NSE_INDEX", "mode": 1}
        )
        unknown = await client.request({"action": "subscribe", "symbol": "NOSUCHCO", "exchange": "NSE"})
        for symbol in ("RELIANCE", "SBIN", "NIFTY"):
            await client.expect(
                lambda frame, symbol=symbol: frame.get("type") == "market_data" and frame["symbol"] == symbol
            )

        assert quote["status"] == depth["status"] == index["status"] == "success"
        assert unknown["status"] == "partial"
        assert "NOSUCHCO" in unknown["subscriptions"][0]["message"]
        assert client.market_data("RELIANCE")[0]["data"]["ltp"] > 0
        assert len(client.market_data("SBIN")[0]["data"]["depth"]["buy"]) == 5
        await client.close()
