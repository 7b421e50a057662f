"""The offline market's one error: asking for an instrument the symbol master does not list."""

from __future__ import annotations


class UnknownInstrument(KeyError):
    """No instrument `symbol` on `exchange`; a KeyError so mapping-style callers can catch it."""

    def __init__(self, exchange: str, symbol: str) -> None:
        super().__init__(exchange, symbol)
        self.exchange = exchange
        self.symbol = symbol

    def __str__(self) -> str:
        # OpenAlgo's wording, so the gateway can pass it through unchanged.
        return f"Symbol '{self.symbol}' not found for exchange '{self.exchange}'"
