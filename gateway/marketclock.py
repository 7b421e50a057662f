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


# A worker that starts late catches up at most this many steps per beat, so requests keep being answered.
_CATCH_UP_STEPS = 400


class MarketClock:
    """`anchor` (several workers): the wall-clock moment the market started at in every worker. Each worker
    then moves its own copy of the seeded market in the same fixed steps of `interval` from that moment,
    so all agree price for price; only the one with `matching` on (the leader) fills resting orders."""

    def __init__(
        self, market: OfflineMarket, sandbox: SandboxEngine, interval: float = 0.25, *, anchor: float | None = None
    ) -> None:
        self._market = market
        self._sandbox = sandbox
        self._interval = interval
        self._anchor = anchor
        self._steps = 0  # grid steps taken since the anchor
        self._task: asyncio.Task | None = None
        self.beats = 0
        self.matching = True

    async def beat(self, seconds: float) -> None:
        """Advance the market by `seconds` and let the sandbox fill what the new prices reach."""
        self._market.advance(seconds)
        if self.matching:
            await self._sandbox.process_market()
        self.beats += 1

    async def _grid_beat(self) -> None:
        due = int((time.time() - self._anchor) / self._interval) - self._steps  # type: ignore[operator]
        for _ in range(min(due, _CATCH_UP_STEPS)):
            self._market.advance(self._interval)
            self._steps += 1
        if self.matching:
            await self._sandbox.process_market()
        self.beats += 1

    async def _run(self) -> None:
        if self._anchor is not None:
            while True:
                await asyncio.sleep(self._interval)
                try:
                    await self._grid_beat()
                except Exception:
                    log.exception("market beat failed")
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
