"""The sandbox plugin: the broker contract served by the paper-trading engine and the offline market."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from brokers.registry import read_yaml
from brokers.sandbox import mapping
from generated.api import (
    Candle,
    Funds,
    GttEntry,
    GttOrderRequest,
    HistoryRequest,
    HoldingsBook,
    InstrumentRecord,
    IntervalGroups,
    MarginRequest,
    MarginResult,
    MarketDepth,
    ModifyGttOrderRequest,
    ModifyOrderRequest,
    OrderBook,
    OrderDetail,
    PlaceOrderRequest,
    Position,
    Quote,
    QuoteResult,
    Trade,
)
from generated.contract import Account, GttRef, InstrumentRef, Manifest, OrderRef, PlacedOrder
from generated.errors import NotSupported, SymbolNotFound, ValidationFailed
from sandbox.engine import Product, SandboxEngine, wire
from sandbox.engine.margin import position_margin, underlying_price
from sandbox.market import INTERVALS, INTERVALS_BY_GROUP, OfflineMarket, UnknownInstrument

MANIFEST = Manifest.model_validate(read_yaml(Path(__file__).parent / "manifest.yaml"))


class SandboxPlugin:
    """Paper trading: orders go to the engine, market data comes from the offline market."""

    manifest = MANIFEST

    def __init__(self, engine: SandboxEngine, market: OfflineMarket) -> None:
        self.engine = engine
        self.market = market

    def _instrument(self, exchange: str, symbol: str):
        try:
            return self.market.instrument(exchange, symbol)
        except UnknownInstrument as e:
            raise SymbolNotFound(f"Symbol {symbol} not found on {exchange}") from e

    async def place_order(self, account: Account, request: PlaceOrderRequest) -> PlacedOrder:
        order_id = await self.engine.place_order(account.user_id, mapping.to_engine_order(request))
        return PlacedOrder(orderid=order_id)

    async def place_smart_order(self, account: Account, request, position_size: int) -> PlacedOrder | None:
        result = await self.engine.place_smart_order(
            account.user_id, mapping.to_engine_smart_order(request), position_size
        )
        return PlacedOrder(orderid=result.order_id, message=result.message) if result.order_id else result.message

    async def modify_order(self, account: Account, request: ModifyOrderRequest) -> PlacedOrder:
        order_id = await self.engine.modify_order(
            account.user_id, request.orderid, mapping.to_engine_modification(request)
        )
        return PlacedOrder(orderid=order_id, message="Order modified successfully")

    async def cancel_order(self, account: Account, request: OrderRef) -> PlacedOrder:
        order_id = await self.engine.cancel_order(account.user_id, request.orderid)
        return PlacedOrder(orderid=order_id, message="Order cancelled successfully")

    async def cancel_all(self, account: Account) -> dict:
        return wire.cancel_all_wire(await self.engine.cancel_all(account.user_id))

    async def close_positions(self, account: Account) -> dict:
        return wire.close_all_wire(await self.engine.close_all_positions(account.user_id))

    async def open_position(self, account: Account, exchange: str, symbol: str, product: str) -> int:
        return await self.engine.open_position(account.user_id, exchange, symbol, Product(product))

    async def order_status(self, account: Account, request: OrderRef) -> OrderDetail:
        view = await self.engine.order_status(account.user_id, request.orderid)
        return OrderDetail.model_validate(wire.order_status_wire(view))

    async def order_book(self, account: Account) -> OrderBook:
        return OrderBook.model_validate(wire.orderbook_wire(await self.engine.orderbook(account.user_id)))

    async def trade_book(self, account: Account) -> list[Trade]:
        return [Trade.model_validate(row) for row in wire.tradebook_wire(await self.engine.tradebook(account.user_id))]

    async def order_book_json(self, account: Account, around: tuple[bytes, bytes]) -> bytes:
        return await self.engine.orderbook_json(account.user_id, around)

    async def trade_book_json(self, account: Account, around: tuple[bytes, bytes]) -> bytes:
        return await self.engine.tradebook_json(account.user_id, around)

    async def positions(self, account: Account) -> list[Position]:
        book = wire.positionbook_wire(await self.engine.positions(account.user_id))
        return [Position.model_validate(row) for row in book["data"]]

    async def holdings(self, account: Account) -> HoldingsBook:
        return HoldingsBook.model_validate(wire.holdings_wire(await self.engine.holdings(account.user_id)))

    async def funds(self, account: Account) -> Funds:
        return Funds.model_validate(wire.funds_wire(await self.engine.funds(account.user_id)))

    async def margin(self, account: Account, request: MarginRequest) -> MarginResult:
        """The margin each position would need on its own, by the sandbox's own margin rules."""
        total = Decimal(0)
        for position in request.positions:
            instrument = self._instrument(position.exchange, position.symbol)
            price = Decimal(str(position.price or 0)) or Decimal(
                str(self.market.quote(instrument.exchange, instrument.symbol).ltp)
            )
            sign = 1 if position.action.upper() == "BUY" else -1
            total += position_margin(
                instrument,
                Product(position.product),
                sign * int(position.quantity),
                price,
                self.engine.config,
                underlying_price(instrument, self.market),
            )
        amount = float(round(total, 2))
        return MarginResult(total_margin_required=amount, span_margin=0.0, exposure_margin=amount)

    async def gtt_place(self, account: Account, request: GttOrderRequest) -> GttRef:
        return GttRef(trigger_id=await self.engine.place_gtt(account.user_id, mapping.to_engine_gtt(request)))

    async def gtt_modify(self, account: Account, request: ModifyGttOrderRequest) -> GttRef:
        trigger_id = await self.engine.modify_gtt(account.user_id, request.trigger_id, mapping.to_engine_gtt(request))
        return GttRef(trigger_id=trigger_id)

    async def gtt_cancel(self, account: Account, request: GttRef) -> GttRef:
        return GttRef(trigger_id=await self.engine.cancel_gtt(account.user_id, request.trigger_id))

    async def gtt_book(self, account: Account) -> list[GttEntry]:
        book = wire.gtt_book_wire(await self.engine.gtt_book(account.user_id, include_inactive=True))
        return [GttEntry.model_validate(entry) for entry in book]

    async def quote(self, account: Account, request: InstrumentRef) -> Quote:
        instrument = self._instrument(request.exchange, request.symbol)
        return mapping.quote_from_market(self.market.quote(instrument.exchange, instrument.symbol))

    async def multi_quotes(self, account: Account, request: list[InstrumentRef]) -> list[QuoteResult]:
        results = []
        for item in request:
            try:
                data = await self.quote(account, item)
            except SymbolNotFound as e:
                results.append(QuoteResult(symbol=item.symbol, exchange=item.exchange, error=e.message))
            else:
                results.append(QuoteResult(symbol=item.symbol, exchange=item.exchange, data=data))
        return results

    async def depth(self, account: Account, request: InstrumentRef) -> MarketDepth:
        instrument = self._instrument(request.exchange, request.symbol)
        tick = self.market.tick(instrument.exchange, instrument.symbol)
        return mapping.depth_from_market(tick.quote, tick.depth)

    async def history(self, account: Account, request: HistoryRequest) -> list[Candle]:
        instrument = self._instrument(request.exchange, request.symbol)
        if request.interval not in INTERVALS:
            raise NotSupported(
                f"The sandbox has no {request.interval} candles; it offers {', '.join(INTERVALS)}",
                errors={"interval": [f"Must be one of: {', '.join(INTERVALS)}."]},
            )
        start, end = _day(request.start_date), _day(request.end_date)
        if start > end:
            raise ValidationFailed(
                "start_date is after end_date", errors={"start_date": ["Must not be after end_date."]}
            )
        candles = self.market.history(instrument.exchange, instrument.symbol, request.interval, start, end)
        return [
            Candle(timestamp=c.timestamp, open=c.open, high=c.high, low=c.low, close=c.close, volume=c.volume, oi=c.oi)
            for c in candles
        ]

    async def intervals(self, account: Account) -> IntervalGroups:
        return IntervalGroups.model_validate({group: list(names) for group, names in INTERVALS_BY_GROUP.items()})

    async def symbol_master(self, account: Account) -> list[InstrumentRecord]:
        return [mapping.instrument_record(instrument) for instrument in self.market.master.all()]

    async def login_url(self, account, request):
        raise NotSupported("The sandbox needs no login")

    async def complete_login(self, account, request):
        raise NotSupported("The sandbox needs no login")


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
