"""The offline market: a seeded, self-contained Indian market for the sandbox broker.

`OfflineMarket` gives quotes, depth, ticks and candles for every instrument of its `SymbolMaster`
(NSE/BSE cash and indices, NFO/BFO index derivatives, MCX crude and gold, CDS USDINR) on a
simulated clock; `ExchangeCalendar` answers the trading-hours questions; the Black-76 functions
price options and solve implied volatility for the options-analytics API.
"""

from sandbox.market.black76 import delta, gamma, implied_volatility, price, rho, theta, vega
from sandbox.market.calendar import IST, ExchangeCalendar
from sandbox.market.errors import UnknownInstrument
from sandbox.market.intervals import INTERVALS, INTERVALS_BY_GROUP
from sandbox.market.naming import (
    ParsedSymbol,
    compact_expiry,
    dashed_expiry,
    format_strike,
    future_symbol,
    option_symbol,
    parse_expiry,
    parse_symbol,
)
from sandbox.market.simulator import OfflineMarket
from sandbox.market.symbols import SymbolMaster
from sandbox.market.types import Candle, Depth, DepthLevel, Instrument, InstrumentType, Quote, Tick

__all__ = [
    "INTERVALS",
    "INTERVALS_BY_GROUP",
    "IST",
    "Candle",
    "Depth",
    "DepthLevel",
    "ExchangeCalendar",
    "Instrument",
    "InstrumentType",
    "OfflineMarket",
    "ParsedSymbol",
    "Quote",
    "SymbolMaster",
    "Tick",
    "UnknownInstrument",
    "compact_expiry",
    "dashed_expiry",
    "delta",
    "format_strike",
    "future_symbol",
    "gamma",
    "implied_volatility",
    "option_symbol",
    "parse_expiry",
    "parse_symbol",
    "price",
    "rho",
    "theta",
    "vega",
]
