"""Order validation: price fields per order type, the instrument, product and exchange rules, lot sizes,
the MIS time window and CNC sell cover.

Malformed requests raise at once (nothing is stored). Business refusals return their reason, because the
engine records them as `rejected` orders that the user can see in the order book, as a broker would.
Messages keep OpenAlgo's wording where users and scripts may already match on it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from generated.errors import SymbolNotFound, ValidationFailed
from sandbox.engine.config import SandboxConfig
from sandbox.engine.models import Action, PriceType, Product
from sandbox.engine.timekeeping import in_ist, trading_date
from sandbox.market.types import Instrument, InstrumentType

# Segments whose quantities are whole lots and where delivery (CNC) does not exist.
DERIVATIVE_EXCHANGES = frozenset({"NFO", "BFO", "CDS", "BCD", "MCX", "NCDEX", "CRYPTO"})
# Cash equity segments, where carry-forward is CNC and NRML does not exist.
EQUITY_EXCHANGES = frozenset({"NSE", "BSE"})
_SEGMENT_NAMES = {"NSE": "NSE equity", "BSE": "BSE equity"}


def normalised_prices(
    price_type: PriceType, action: Action, price: Decimal, trigger_price: Decimal
) -> tuple[Decimal, Decimal]:
    """Check the price fields an order type needs and zero the ones it ignores."""
    zero = Decimal(0)
    if price_type is PriceType.MARKET:
        return zero, zero
    if price_type is PriceType.LIMIT:
        if price <= 0:
            raise ValidationFailed("LIMIT orders require price", field="price")
        return price, zero
    if trigger_price <= 0:
        raise ValidationFailed(f"{price_type.value} orders require trigger_price", field="trigger_price")
    if price_type is PriceType.STOP_MARKET:
        return zero, trigger_price
    if price <= 0:
        raise ValidationFailed("SL orders require price", field="price")
    # An exchange refuses a stop whose limit is already worse than its own trigger.
    if action is Action.BUY and price < trigger_price:
        raise ValidationFailed("a BUY SL order's price must be at or above its trigger_price", field="price")
    if action is Action.SELL and price > trigger_price:
        raise ValidationFailed("a SELL SL order's price must be at or below its trigger_price", field="price")
    return price, trigger_price


def tradable_instrument(exchange: str, symbol: str, instrument: Instrument | None) -> Instrument:
    if instrument is None:
        raise SymbolNotFound(f"Symbol {symbol} not found on {exchange}", field="symbol")
    if instrument.instrument_type is InstrumentType.INDEX:
        raise ValidationFailed(f"{symbol} on {exchange} is an index and cannot be traded", field="symbol")
    return instrument


def product_rejection(instrument: Instrument, product: Product, quantity: int) -> str | None:
    """The reason OpenAlgo's product, exchange and lot-size rules refuse this order, if any."""
    exchange = instrument.exchange
    if product is Product.NRML and exchange in EQUITY_EXCHANGES:
        return (
            f"NRML product not allowed for {_SEGMENT_NAMES[exchange]} segment. "
            "Use CNC for delivery or MIS for intraday."
        )
    if product is Product.CNC and (exchange in DERIVATIVE_EXCHANGES or instrument.is_derivative):
        return (
            f"CNC product not allowed for {exchange} derivatives segment. "
            "Use NRML for carryforward or MIS for intraday."
        )
    lot = instrument.lot_size
    if (exchange in DERIVATIVE_EXCHANGES or instrument.is_derivative) and lot > 1 and quantity % lot:
        return f"Quantity must be in multiples of lot size {lot}"
    return None


def mis_window_rejection(
    exchange: str, now: datetime, config: SandboxConfig, *, reduces_position: bool
) -> str | None:
    """Refuse new MIS exposure outside the intraday window; orders that only reduce a position pass."""
    if not config.square_off_enabled or reduces_position:
        return None
    closes_at = config.square_off_times.get(exchange)
    if closes_at is None:
        return None
    local = in_ist(now).time()
    if local >= closes_at or local < config.mis_opens_at or not config.is_trading_day(trading_date(now)):
        return (
            f"MIS orders cannot be placed after square-off time ({closes_at:%H:%M} IST). "
            f"Trading resumes at {config.mis_opens_at:%I:%M %p} IST."
        )
    return None


def cnc_sell_rejection(
    symbol: str, quantity: int, position: int, holding: int, pending_sells: int
) -> str | None:
    """A CNC sell must be covered by today's net buys plus settled holdings not already offered for sale."""
    available = position + max(holding, 0) - pending_sells
    if available <= 0:
        return (
            f"Cannot sell {symbol} in CNC. No positions or holdings available. "
            "CNC (delivery) requires existing shares. Use MIS for intraday short selling."
        )
    if quantity > available:
        return (
            f"Cannot sell {quantity} shares of {symbol} in CNC. Only {available} shares available "
            f"(Position: {position}, Holdings: {holding}, Pending sells: {pending_sells})"
        )
    return None


def holiday_rejection(exchange: str, price_type: str, now: datetime, config: SandboxConfig) -> str | None:
    """A MARKET order on a day the calendar shuts its exchange is refused with the calendar's reason."""
    if config.closure_reason is None or price_type != "MARKET":
        return None
    return config.closure_reason(exchange, trading_date(now))
