"""How much money a position ties up, per product and instrument.

Equity: notional over the product's leverage (MIS 5x, CNC 1x). Futures: notional over the futures
leverage (10x is 10 % of notional). Long options: the premium. Short options: a percentage of the
underlying's notional, never less than the premium. A CNC short is sold out of holdings, so it needs none.
An order reserves only what its fill would add to the position's requirement, so exits need no money.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sandbox.engine.config import SandboxConfig
from sandbox.engine.market_view import MarketView
from sandbox.engine.models import Product, to_decimal
from sandbox.market.types import Instrument, InstrumentType

_PAISA = Decimal("0.01")

# Where an option's underlying is quoted, tried in order: the index first, then the stock.
_UNDERLYING_EXCHANGES = {
    "NFO": ("NSE_INDEX", "NSE", "NFO"),
    "BFO": ("BSE_INDEX", "BSE", "BFO"),
    "MCX": ("MCX",),
    "CDS": ("CDS",),
    "BCD": ("BCD",),
}


def _in_paise(amount: Decimal) -> Decimal:
    return amount.quantize(_PAISA, rounding=ROUND_HALF_UP)


def position_margin(
    instrument: Instrument,
    product: Product,
    quantity: int,
    price: Decimal,
    config: SandboxConfig,
    underlying_price: Decimal | None = None,
) -> Decimal:
    """The margin a net position of signed `quantity` at `price` needs."""
    if quantity == 0:
        return Decimal(0)
    size = abs(quantity)
    notional = price * size
    if instrument.is_option:
        if quantity > 0:
            return notional
        basis = underlying_price or (to_decimal(instrument.strike) if instrument.strike else price)
        share = _in_paise(basis * size * config.short_option_margin_percent / 100)
        return max(share, notional)
    if instrument.instrument_type is InstrumentType.FUTURE:
        return _in_paise(notional / config.futures_leverage)
    if product is Product.CNC:
        return _in_paise(notional / config.equity_cnc_leverage) if quantity > 0 else Decimal(0)
    if product is Product.MIS:
        return _in_paise(notional / config.equity_mis_leverage)
    return _in_paise(notional / config.equity_cnc_leverage)


def order_margin(
    instrument: Instrument,
    product: Product,
    position_quantity: int,
    position_margin_blocked: Decimal,
    order_quantity: int,
    price: Decimal,
    config: SandboxConfig,
    underlying_price: Decimal | None = None,
) -> Decimal:
    """What an order must reserve: the growth of its position's requirement if it filled at `price`."""
    after = position_margin(
        instrument, product, position_quantity + order_quantity, price, config, underlying_price
    )
    return max(Decimal(0), after - position_margin_blocked)


def underlying_price(instrument: Instrument, market: MarketView) -> Decimal | None:
    """The underlying's last price, needed only for short options; None when it cannot be found."""
    if not instrument.is_option or not instrument.underlying:
        return None
    for exchange in _UNDERLYING_EXCHANGES.get(instrument.exchange, (instrument.exchange,)):
        if market.master.get(exchange, instrument.underlying) is None:
            continue
        ltp = market.quote(exchange, instrument.underlying).ltp
        if ltp > 0:
            return to_decimal(ltp)
    return None
