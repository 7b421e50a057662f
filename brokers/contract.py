"""The Python face of `contracts/broker-plugin.yaml`: the protocol every broker plugin implements.

Operations take the caller's `Account` and a typed request, and return typed models; failures are
exceptions from `generated.errors`. A contract test checks this protocol against the YAML.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

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
from generated.contract import (
    Account,
    GttRef,
    InstrumentRef,
    LoginCallback,
    LoginRedirect,
    LoginStart,
    Manifest,
    OrderRef,
    PlacedOrder,
    SessionGrant,
)


@runtime_checkable
class BrokerPlugin(Protocol):
    manifest: Manifest

    async def place_order(self, account: Account, request: PlaceOrderRequest) -> PlacedOrder: ...

    async def modify_order(self, account: Account, request: ModifyOrderRequest) -> PlacedOrder: ...

    async def cancel_order(self, account: Account, request: OrderRef) -> PlacedOrder: ...

    async def order_status(self, account: Account, request: OrderRef) -> OrderDetail: ...

    async def order_book(self, account: Account) -> OrderBook: ...

    async def trade_book(self, account: Account) -> list[Trade]: ...

    async def positions(self, account: Account) -> list[Position]: ...

    async def holdings(self, account: Account) -> HoldingsBook: ...

    async def funds(self, account: Account) -> Funds: ...

    async def margin(self, account: Account, request: MarginRequest) -> MarginResult: ...

    async def quote(self, account: Account, request: InstrumentRef) -> Quote: ...

    async def multi_quotes(self, account: Account, request: list[InstrumentRef]) -> list[QuoteResult]: ...

    async def depth(self, account: Account, request: InstrumentRef) -> MarketDepth: ...

    async def history(self, account: Account, request: HistoryRequest) -> list[Candle]: ...

    async def intervals(self, account: Account) -> IntervalGroups: ...

    async def symbol_master(self, account: Account) -> list[InstrumentRecord]: ...

    async def gtt_place(self, account: Account, request: GttOrderRequest) -> GttRef: ...

    async def gtt_modify(self, account: Account, request: ModifyGttOrderRequest) -> GttRef: ...

    async def gtt_cancel(self, account: Account, request: GttRef) -> GttRef: ...

    async def gtt_book(self, account: Account) -> list[GttEntry]: ...

    async def login_url(self, account: Account, request: LoginStart) -> LoginRedirect: ...

    async def complete_login(self, account: Account, request: LoginCallback) -> SessionGrant: ...


@runtime_checkable
class WritesBooksAsJson(Protocol):
    """Optional beside `BrokerPlugin`: the order and trade books written straight to the JSON of the REST
    answer's `data` (the bytes `json.dumps` gives for the models' `model_dump(exclude_none=True)`), between
    the two texts of `around` (the envelope, so the answer is written once). A book grows through the
    day and is read again and again; the sandbox skips the models per row with it."""

    async def order_book_json(self, account: Account, around: tuple[bytes, bytes]) -> bytes: ...

    async def trade_book_json(self, account: Account, around: tuple[bytes, bytes]) -> bytes: ...
