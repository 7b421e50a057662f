"""The offline market's heartbeat: advance the simulated market and let the sandbox react, in one loop.

One task owns the market's clock, so the streaming feed and the sandbox engine see the same prices:
each beat moves the market by the wall-clock time since the last one, then the engine checks its
resting orders and GTTs against the new quotes.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sandbox.engine import SandboxEngine
from sandbox.market import OfflineMarket

log = logging.getLogger(__name__)


class MarketClock:
    def __init__(self, market: OfflineMarket, sandbox: SandboxEngine, interval: float = 0.25) -> None:
        self._market = market
        self._sandbox = sandbox
        self._interval = interval
        self._task: asyncio.Task | None = None
        self.beats = 0

    async def beat(self, seconds: float) -> None:
        """Advance the market by `seconds` and let the sandbox fill what the new prices reach."""
        self._market.advance(seconds)
        await self._sandbox.process_market()
        self.beats += 1

    async def _run(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(self._interval)
            now = time.monotonic()
            try:
                await self.beat(now - last)
            except Exception:  # a bad beat must not stop the market; it is logged and the next one tries again
                log.exception("market beat failed")
            last = now

    @property
    def is_running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="market-clock")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
