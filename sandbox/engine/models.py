"""Typed inputs and outputs of the sandbox engine: requests, vocabularies and read-only views.

The REST layer builds requests from its generated wire models and turns views into wire dicts with
`sandbox.engine.wire`; tables never leave the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

PRICE_QUANTUM = Decimal("0.0001")


def to_decimal(value: float | int | str | Decimal) -> Decimal:
    """Convert a price from the wire or a quote; `str` first so 100.05 stays 100.05, not its binary twin."""
    return Decimal(str(value)).quantize(PRICE_QUANTUM)


class Action(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class PriceType(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP_LIMIT = "SL"
    STOP_MARKET = "SL-M"


class Product(StrEnum):
    MIS = "MIS"
    NRML = "NRML"
    CNC = "CNC"


class OrderStatus(StrEnum):
    OPEN = "open"
    TRIGGER_PENDING = "trigger pending"
    COMPLETE = "complete"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


RESTING_STATUSES = (OrderStatus.OPEN.value, OrderStatus.TRIGGER_PENDING.value)


class GttType(StrEnum):
    SINGLE = "SINGLE"
    OCO = "OCO"


class GttStatus(StrEnum):
    ACTIVE = "active"
    TRIGGERED = "triggered"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REJECTED = "rejected"


class _Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _quantize_prices(cls, value):
        return value.quantize(PRICE_QUANTUM) if isinstance(value, Decimal) else value


class OrderRequest(_Request):
    exchange: str = Field(min_length=1)
    symbol: str = Field(min_length=1)
    action: Action
    quantity: int = Field(gt=0)
    price_type: PriceType = PriceType.MARKET
    product: Product = Product.MIS
    price: Decimal = Field(default=Decimal(0), ge=0)
    trigger_price: Decimal = Field(default=Decimal(0), ge=0)
    strategy: str = ""


class ModifyRequest(_Request):
    """New values for a resting order; None keeps the current one."""

    quantity: int | None = Field(default=None, gt=0)
    price_type: PriceType | None = None
    price: Decimal | None = Field(default=None, ge=0)
    trigger_price: Decimal | None = Field(default=None, ge=0)


class GttRequest(_Request):
    """A GTT as OpenAlgo's placegttorder sends it; modify replaces every field."""

    trigger_type: GttType
    exchange: str = Field(min_length=1)
    symbol: str = Field(min_length=1)
    action: Action
    product: Product
    quantity: int = Field(gt=0)
    price_type: PriceType = PriceType.LIMIT
    price: Decimal = Field(default=Decimal(0), ge=0)
    stoploss_trigger: Decimal = Field(default=Decimal(0), ge=0)
    target_trigger: Decimal = Field(default=Decimal(0), ge=0)
    stoploss_price: Decimal | None = Field(default=None, ge=0)
    target_price: Decimal | None = Field(default=None, ge=0)
    expires_at: AwareDatetime | None = None
    strategy: str = ""


@dataclass(frozen=True, slots=True)
class OrderView:
    order_id: str
    user_id: int
    strategy: str
    exchange: str
    symbol: str
    action: str
    quantity: int
    price: Decimal
    trigger_price: Decimal
    price_type: str
    product: str
    status: str
    average_price: Decimal
    filled_quantity: int
    margin_blocked: Decimal
    rejection_reason: str
    created_at: datetime  # UTC
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TradeView:
    trade_id: str
    order_id: str
    strategy: str
    exchange: str
    symbol: str
    action: str
    quantity: int
    price: Decimal
    product: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PositionView:
    exchange: str
    symbol: str
    product: str
    quantity: int
    average_price: Decimal
    ltp: Decimal | None  # None when the market has no price for it
    unrealized_pnl: Decimal
    realized_pnl: Decimal
    lot_size: int


@dataclass(frozen=True, slots=True)
class HoldingView:
    exchange: str
    symbol: str
    quantity: int
    average_price: Decimal
    cost: Decimal
    ltp: Decimal | None
    settled_on: date


@dataclass(frozen=True, slots=True)
class FundsView:
    starting_capital: Decimal
    available_cash: Decimal
    used_margin: Decimal
    realized_pnl: Decimal
    today_realized_pnl: Decimal
    unrealized_pnl: Decimal


@dataclass(frozen=True, slots=True)
class GttView:
    gtt_id: str
    strategy: str
    trigger_type: str
    status: str
    exchange: str
    symbol: str
    action: str
    product: str
    price_type: str
    quantity: int
    stoploss_trigger: Decimal | None
    stoploss_price: Decimal | None
    target_trigger: Decimal | None
    target_price: Decimal | None
    last_price: Decimal
    margin_blocked: Decimal
    order_id: str | None
    expires_at: datetime
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SmartOrderResult:
    """`order_id` is None when the position already matched the target; `message` says which case."""

    order_id: str | None
    message: str


@dataclass(frozen=True, slots=True)
class CancelAllResult:
    cancelled: list[str]
    failed: list[tuple[str, str]]  # (order id, why)


@dataclass(frozen=True, slots=True)
class CloseAllResult:
    order_ids: list[str]  # the closing orders, complete unless the market had no price
    failed: list[tuple[str, str]]  # (exchange:symbol:product, why)


class SmartOrderRequest(_Request):
    """placesmartorder's order; `action` and `quantity` matter only when flat with a target of zero."""

    exchange: str = Field(min_length=1)
    symbol: str = Field(min_length=1)
    action: Action
    quantity: int = Field(default=0, ge=0)
    price_type: PriceType = PriceType.MARKET
    product: Product = Product.MIS
    price: Decimal = Field(default=Decimal(0), ge=0)
    trigger_price: Decimal = Field(default=Decimal(0), ge=0)
    strategy: str = ""
