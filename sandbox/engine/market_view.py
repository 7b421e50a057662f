"""What the engine needs from a market: instrument lookup and the latest quote.

`sandbox.market.OfflineMarket` satisfies it as it is; so does any live-quote adapter. The engine calls
these from its worker thread, so they must be safe to call there (read-only lookups are).
"""

from __future__ import annotations

from typing import Protocol

from sandbox.market.types import Instrument, Quote


class SymbolLookup(Protocol):
    def get(self, exchange: str, symbol: str) -> Instrument | None: ...


class MarketView(Protocol):
    @property
    def master(self) -> SymbolLookup: ...

    def quote(self, exchange: str, symbol: str) -> Quote: ...
