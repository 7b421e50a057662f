"""The sandbox paper-trading engine: orders, fills, positions, holdings, funds, GTTs and square-off.

engine = SandboxEngine(database, market, SandboxConfig(), on_order_event=publish)
order_id = await engine.place_order(user_id, OrderRequest(exchange="NSE", symbol="SBIN", ...))
await engine.on_quotes(quotes)            # from the feed; or `await engine.process_market()` to poll
body = wire.orderbook_wire(await engine.orderbook(user_id))
"""

from sandbox.engine import wire
from sandbox.engine.config import DEFAULT_SQUARE_OFF_TIMES, SandboxConfig
from sandbox.engine.engine import OrderEventHook, SandboxEngine
from sandbox.engine.market_view import MarketView, SymbolLookup
from sandbox.engine.models import (
    Action,
    CancelAllResult,
    CloseAllResult,
    FundsView,
    GttRequest,
    GttStatus,
    GttType,
    GttView,
    HoldingView,
    ModifyRequest,
    OrderRequest,
    OrderStatus,
    OrderView,
    PositionView,
    PriceType,
    Product,
    SmartOrderRequest,
    SmartOrderResult,
    TradeView,
)

__all__ = [
    "DEFAULT_SQUARE_OFF_TIMES",
    "Action",
    "CancelAllResult",
    "CloseAllResult",
    "FundsView",
    "GttRequest",
    "GttStatus",
    "GttType",
    "GttView",
    "HoldingView",
    "MarketView",
    "ModifyRequest",
    "OrderEventHook",
    "OrderRequest",
    "OrderStatus",
    "OrderView",
    "PositionView",
    "PriceType",
    "Product",
    "SandboxConfig",
    "SandboxEngine",
    "SmartOrderRequest",
    "SmartOrderResult",
    "SymbolLookup",
    "TradeView",
    "wire",
]
