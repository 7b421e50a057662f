"""A plain `websockets` client for the streaming tests; every frame it reads is schema-checked."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from streaming import StreamingService
from tests.unit.streaming.fakes import FakeMarket, authenticate, broker_info, supported_brokers
from tests.unit.streaming.schemas import validate_server_frame

Frame = dict[str, Any]


class StreamClient:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.frames: list[Frame] = []  # everything received, in order

    @classmethod
    async def open(cls, port: int, **options: Any) -> StreamClient:
        return cls(await connect(f"ws://127.0.0.1:{port}", compression=None, **options))

    async def send(self, message: Frame | str) -> None:
        await self.connection.send(message if isinstance(message, str) else json.dumps(message))

    async def receive(self, timeout: float = 5.0) -> Frame:
        frame = json.loads(await asyncio.wait_for(self.connection.recv(), timeout))
        validate_server_frame(frame)
        self.frames.append(frame)
        return frame

    async def expect(self, matches: str | Callable[[Frame], bool], timeout: float = 5.0) -> Frame:
        """Read until a frame of that type (or matching the predicate) arrives; earlier ones stay in `frames`."""
        check = matches if callable(matches) else (lambda frame: frame.get("type") == matches)
        deadline = time.monotonic() + timeout
        while True:
            frame = await self.receive(max(deadline - time.monotonic(), 0.001))
            if check(frame):
                return frame

    async def request(self, message: Frame, reply_type: str | None = None, timeout: float = 5.0) -> Frame:
        """Send and return the reply of that type, or the error frame."""
        await self.send(message)
        wanted = reply_type or message.get("action")
        return await self.expect(
            lambda frame: frame.get("type") == wanted or frame.get("status") == "error", timeout
        )

    async def authenticate(self, api_key: str = "key-alice") -> Frame:
        return await self.request({"action": "authenticate", "api_key": api_key}, "auth")

    def market_data(self, symbol: str | None = None) -> list[Frame]:
        return [
            frame
            for frame in self.frames
            if frame.get("type") == "market_data" and (symbol is None or frame["symbol"] == symbol)
        ]

    async def close(self) -> None:
        await self.connection.close()


@contextlib.asynccontextmanager
async def serving(market: FakeMarket | None = None, **options: Any) -> AsyncIterator[StreamingService]:
    """Run a StreamingService on a free loopback port and a free bus port, with the fake market."""
    options.setdefault("feed_interval", 0.02)
    service = StreamingService(
        authenticate=authenticate,
        broker_info=broker_info,
        supported_brokers=supported_brokers,
        market=market or FakeMarket(),
        port=0,
        bus_address="tcp://127.0.0.1:*",
        **options,
    )
    await service.start()
    try:
        yield service
    finally:
        await service.stop()
