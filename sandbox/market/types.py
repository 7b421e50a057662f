"""Value types of the offline market: instruments, quotes, depth, ticks and candles.

Shared by the market simulator, the sandbox engine and the streaming adapter, so they are plain
frozen dataclasses with no behaviour beyond small derived properties.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class InstrumentType(StrEnum):
    EQUITY = "EQ"
    INDEX = "INDEX"
    FUTURE = "FUT"
    CALL = "CE"
    PUT = "PE"


@dataclass(frozen=True, slots=True)
class Instrument:
    """One row of the symbol master, in OpenAlgo's unified symbol format."""

    symbol: str  # e.g. NIFTY28MAR2420800CE
    exchange: str  # NSE, NFO, BFO, MCX, CDS, NSE_INDEX, BSE_INDEX, ...
    name: str  # underlying or company name, e.g. NIFTY
    instrument_type: InstrumentType
    lot_size: int = 1
    tick_size: float = 0.05
    freeze_quantity: int = 0  # 0 means no exchange freeze limit
    expiry: date | None = None
    strike: float | None = None
    underlying: str | None = None  # symbol of the underlying (index, equity or future)
    token: str = ""  # a stable numeric id, like a broker's instrument token

    @property
    def is_derivative(self) -> bool:
        return self.instrument_type in (InstrumentType.FUTURE, InstrumentType.CALL, InstrumentType.PUT)

    @property
    def is_option(self) -> bool:
        return self.instrument_type in (InstrumentType.CALL, InstrumentType.PUT)


@dataclass(frozen=True, slots=True)
class DepthLevel:
    price: float
    quantity: int
    orders: int


@dataclass(frozen=True, slots=True)
class Depth:
    bids: tuple[DepthLevel, ...]  # best first, 5 levels
    asks: tuple[DepthLevel, ...]


@dataclass(frozen=True, slots=True)
class Quote:
    """A snapshot of one instrument at one instant."""

    exchange: str
    symbol: str
    ltp: float
    bid: float
    ask: float
    open: float
    high: float
    low: float
    prev_close: float
    volume: int
    oi: int
    timestamp: float  # epoch seconds
    last_quantity: int = 0
    average_price: float = 0.0


@dataclass(frozen=True, slots=True)
class Tick:
    """One change of one instrument, as the market publishes it."""

    quote: Quote
    depth: Depth | None = field(default=None)


@dataclass(frozen=True, slots=True)
class Candle:
    timestamp: int  # epoch seconds of the bar's open
    open: float
    high: float
    low: float
    close: float
    volume: int
    oi: int = 0
