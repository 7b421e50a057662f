"""Two-way mapping between the REST API's models and the sandbox engine's and market's types."""

from __future__ import annotations

from decimal import Decimal

from generated.api import (
    GttOrderRequest,
    InstrumentRecord,
    MarketDepth,
    ModifyGttOrderRequest,
    ModifyOrderRequest,
    PlaceOrderRequest,
    Quote,
    SmartOrderRequest,
)
from sandbox.engine import GttRequest, ModifyRequest, OrderRequest
from sandbox.engine import SmartOrderRequest as EngineSmartOrder
from sandbox.market import Depth, Instrument, dashed_expiry
from sandbox.market import Quote as MarketQuote

_DEPTH_LEVELS = 5


def _decimal(value: float | None) -> Decimal:
    return Decimal(str(value or 0))


def _order_fields(request: PlaceOrderRequest | SmartOrderRequest) -> dict:
    return {
        "exchange": request.exchange,
        "symbol": request.symbol,
        "action": request.action.upper(),
        "quantity": int(request.quantity),
        "price_type": request.pricetype or "MARKET",
        "product": request.product or "MIS",
        "price": _decimal(request.price),
        "trigger_price": _decimal(request.trigger_price),
        "strategy": request.strategy,
    }


def to_engine_order(request: PlaceOrderRequest) -> OrderRequest:
    return OrderRequest(**_order_fields(request))


def to_engine_smart_order(request: SmartOrderRequest) -> EngineSmartOrder:
    return EngineSmartOrder(**_order_fields(request))


def to_engine_modification(request: ModifyOrderRequest) -> ModifyRequest:
    return ModifyRequest(
        quantity=int(request.quantity),
        price_type=request.pricetype,
        price=_decimal(request.price),
        trigger_price=_decimal(request.trigger_price),
    )


def to_engine_gtt(request: GttOrderRequest | ModifyGttOrderRequest) -> GttRequest:
    """The gateway has already applied the SINGLE/OCO rules; unused triggers arrive as 0, leg prices as None."""
    return GttRequest(
        trigger_type=request.trigger_type.upper(),
        exchange=request.exchange,
        symbol=request.symbol,
        action=request.action.upper(),
        product=request.product,
        quantity=int(request.quantity),
        price_type=request.pricetype or "LIMIT",
        price=_decimal(request.price),
        stoploss_trigger=_decimal(request.triggerprice_sl),
        target_trigger=_decimal(request.triggerprice_tg),
        stoploss_price=None if request.stoploss is None else _decimal(request.stoploss),
        target_price=None if request.target is None else _decimal(request.target),
        expires_at=getattr(request, "expires_at", None),
        strategy=request.strategy,
    )


def quote_from_market(quote: MarketQuote) -> Quote:
    return Quote(
        ltp=quote.ltp,
        bid=quote.bid,
        ask=quote.ask,
        open=quote.open,
        high=quote.high,
        low=quote.low,
        prev_close=quote.prev_close,
        volume=quote.volume,
        oi=quote.oi,
    )


def depth_from_market(quote: MarketQuote, depth: Depth) -> MarketDepth:
    def levels(side) -> list[dict]:
        rows = [{"price": level.price, "quantity": level.quantity} for level in side[:_DEPTH_LEVELS]]
        return rows + [{"price": 0.0, "quantity": 0}] * (_DEPTH_LEVELS - len(rows))

    return MarketDepth(
        bids=levels(depth.bids),
        asks=levels(depth.asks),
        ltp=quote.ltp,
        ltq=quote.last_quantity,
        open=quote.open,
        high=quote.high,
        low=quote.low,
        prev_close=quote.prev_close,
        volume=quote.volume,
        oi=quote.oi,
        totalbuyqty=sum(level.quantity for level in depth.bids),
        totalsellqty=sum(level.quantity for level in depth.asks),
    )


def instrument_record(instrument: Instrument) -> InstrumentRecord:
    """The symbol-master row; the sandbox's own names are the unified ones."""
    return InstrumentRecord(
        symbol=instrument.symbol,
        brsymbol=instrument.symbol,
        name=instrument.name,
        exchange=instrument.exchange,
        brexchange=instrument.exchange,
        token=instrument.token,
        expiry=dashed_expiry(instrument.expiry) if instrument.expiry else "",
        strike=instrument.strike if instrument.strike is not None else -1.0,
        lotsize=instrument.lot_size,
        instrumenttype=instrument.instrument_type.value,
        tick_size=instrument.tick_size,
        freeze_qty=instrument.freeze_quantity or 1,
    )
