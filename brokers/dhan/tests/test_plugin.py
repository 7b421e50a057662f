"""The plugin end to end on the simulator, every request checked against contracts/upstream/dhan.yaml."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from brokers.dhan.streaming import decode_packet, subscribe_messages
from generated.api import HistoryRequest, MarginRequest, PlaceOrderRequest
from generated.contract import InstrumentRef, OrderRef
from generated.errors import NotSupported, SymbolNotFound
from tools.conformance.upstream import CheckedTransport, UpstreamSpec

SPEC = Path(__file__).resolve().parents[3] / "contracts" / "upstream" / "dhan.yaml"


@pytest.fixture
def checked(simulator) -> CheckedTransport:
    return CheckedTransport(httpx.ASGITransport(app=simulator.app), UpstreamSpec.load(SPEC))


@pytest.fixture
def plugin(simulator, checked):
    return simulator.plugin(transport=checked)


async def test_an_order_rests_reads_back_and_cancels(simulator, plugin, checked):
    account = simulator.issue_session()
    ltp = simulator.market.quote("NSE", "SBIN").ltp
    price = round(round(ltp * 0.8 / 0.05) * 0.05, 2)
    request = PlaceOrderRequest(strategy="test", exchange="NSE", symbol="SBIN", action="BUY", quantity=1,
                                pricetype="LIMIT", product="CNC", price=price)  # fmt: skip
    placed = await plugin.place_order(account, request)
    status = await plugin.order_status(account, OrderRef(orderid=placed.orderid))
    assert (status.order_status, status.price, status.symbol, status.strategy) == ("open", price, "SBIN", "test")
    await plugin.cancel_order(account, OrderRef(orderid=placed.orderid))
    assert (await plugin.order_status(account, OrderRef(orderid=placed.orderid))).order_status == "cancelled"
    assert checked.violations == []


async def test_quotes_history_and_margin_match_the_description(simulator, plugin, checked):
    account = simulator.issue_session()
    today = datetime.now(UTC).date()
    quote = await plugin.quote(account, InstrumentRef(exchange="NSE_INDEX", symbol="NIFTY"))
    assert abs(quote.ltp - simulator.market.quote("NSE_INDEX", "NIFTY").ltp) < 0.011
    for interval in ("D", "5m"):
        request = HistoryRequest(
            symbol="SBIN", exchange="NSE", interval=interval, start_date=today - timedelta(days=3), end_date=today
        )
        candles = await plugin.history(account, request)
        assert candles and candles[-1].close > 0
    margin = MarginRequest(positions=[{"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": 2, "product": "MIS",
                                       "pricetype": "MARKET"}])  # fmt: skip
    assert (await plugin.margin(account, margin)).total_margin_required > 0
    assert checked.violations == []


async def test_unknown_symbols_and_intervals_are_refused_before_anything_is_sent(simulator, plugin):
    account = simulator.issue_session()
    with pytest.raises(SymbolNotFound):
        await plugin.quote(account, InstrumentRef(exchange="NSE", symbol="NOSUCH"))
    today = datetime.now(UTC).date()
    with pytest.raises(NotSupported):
        await plugin.history(
            account, HistoryRequest(symbol="SBIN", exchange="NSE", interval="3m", start_date=today, end_date=today)
        )
    results = await plugin.multi_quotes(account, [InstrumentRef(exchange="NSE", symbol="NOSUCH")])
    assert results[0].error == "Symbol not found"


async def test_the_feed_streams_the_exchanges_price(simulator, plugin):
    account = simulator.issue_session()
    ticks = []
    feed = await plugin.open_feed(
        account,
        [InstrumentRef(exchange="NSE", symbol="SBIN")],
        ticks.extend,
        mode="full",
        connect=simulator.feed_connector(),
    )
    task = asyncio.create_task(feed.run())
    try:
        for _ in range(200):
            if ticks:
                break
            await asyncio.sleep(0.01)
    finally:
        feed.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert ticks and ticks[0].mode == "full"
    assert abs(ticks[-1].last_price - simulator.market.quote("NSE", "SBIN").ltp) < 0.011
    assert len(ticks[0].bids) == 5


async def test_stream_speaks_unified_instruments_and_canonical_payloads(simulator, plugin):
    account = simulator.issue_session()
    heard = []
    stream = await plugin.stream(account, lambda *quote: heard.append(quote), connect=simulator.feed_connector())
    task = asyncio.create_task(stream.run())
    try:
        sbin, nosuch = InstrumentRef(exchange="NSE", symbol="SBIN"), InstrumentRef(exchange="NSE", symbol="NOSUCH")
        assert await stream.subscribe([sbin, nosuch], "depth") == [nosuch]
        for _ in range(200):
            if heard:
                break
            await asyncio.sleep(0.01)
    finally:
        stream.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    exchange, symbol, payload = heard[-1]
    assert (exchange, symbol, payload["symbol"], payload["exchange"]) == ("NSE", "SBIN", "SBIN", "NSE")
    assert abs(payload["ltp"] - simulator.market.quote("NSE", "SBIN").ltp) < 0.011
    assert len(payload["depth"]["buy"]) == 5


def test_the_feed_also_answers_over_a_websocket(simulator):
    account = simulator.issue_session()
    client_id, token = account.token.split(":")
    simulator.names.refresh(simulator.market)
    row = simulator.names.unified("NSE", "SBIN")
    with TestClient(simulator.app).websocket_connect(
        f"/?version=2&token={token}&clientId={client_id}&authType=2"
    ) as socket:
        socket.send_text(subscribe_messages("ltp", [("NSE_EQ", row.token)])[0])
        packets = decode_packet(socket.receive_bytes()) + decode_packet(socket.receive_bytes())
    assert [type(packet).__name__ for packet in packets] == ["PrevClose", "Tick"]
    assert packets[1].security_id == row.token
