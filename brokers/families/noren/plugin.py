"""NorenPlugin: the broker contract on any NorenWClient broker, parameterised by its profile and manifest."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx

from brokers.common.feed import QuoteHandler, UnifiedFeed
from brokers.common.http import path_segment
from brokers.common.mapping import check_history, find_order, holdings_book, order_detail
from brokers.families.noren import mapping
from brokers.families.noren.auth import IST, QuickAuth, Session, decode_session, session_expiry
from brokers.families.noren.client import NorenClient
from brokers.families.noren.profile import NorenProfile
from brokers.families.noren.streaming import (
    STREAM_MODES,
    Connector,
    NorenFeed,
    Tick,
    unified_payload,
    websocket_connector,
)
from brokers.families.noren.symbols import MASTER_EXCHANGES, SymbolBook, parse_master
from brokers.registry import read_yaml
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
)  # fmt: skip
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
    RateLimit,
    SessionGrant,
)  # fmt: skip
from generated.errors import NotSupported, SymbolNotFound


class NorenPlugin:
    """One Noren broker for one brokergate: each user's session arrives with every call in `account.token`."""

    def __init__(
        self,
        folder: Path,
        *,
        login: Any = None,
        api_url: str | None = None,
        master_url: str | None = None,
        feed_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limits: list[RateLimit] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.profile = NorenProfile.read(folder)
        self.manifest = Manifest.model_validate(read_yaml(folder / "manifest.yaml"))
        self.broker = self.profile.broker
        self.login = login or QuickAuth()
        self.client = NorenClient(
            self.profile, api_url=api_url, master_url=master_url, transport=transport,
            rate_limits=self.manifest.rate_limits if rate_limits is None else rate_limits,
        )  # fmt: skip
        self._feed_url = feed_url or self.profile.feed_url
        self._clock = clock
        self._book: SymbolBook | None = None

    def _session(self, account: Account) -> Session:
        return decode_session(account.token, self.broker)

    async def _call(self, account: Account, endpoint: str, data: dict[str, Any] | None = None, **options: Any) -> Any:
        session = self._session(account)
        return await self.client.call(endpoint, {"actid": session.actid} | (data or {}), session, **options)

    async def _read(self, account: Account, endpoint: str, rate_class: str, data: dict[str, Any] | None = None) -> Any:
        return await self._call(account, endpoint, data, rate_class=rate_class, idempotent=True)

    # Symbols: one file per exchange, published each morning, so the book is rebuilt once a day (IST).

    async def _symbols(self) -> SymbolBook:
        today = self._clock().astimezone(IST).date()
        if self._book is None or self._book.day != today:
            exchanges = [name for name in MASTER_EXCHANGES if name in self.profile.exchanges]
            self._book = SymbolBook(parse_master([await self.client.master(name) for name in exchanges]), today)
        return self._book

    async def _instrument(self, exchange: str, symbol: str) -> InstrumentRecord:
        row = (await self._symbols()).to_upstream(exchange, symbol)
        if row is None:
            raise SymbolNotFound(
                f"Symbol {symbol} not found on {exchange} in {self.broker}'s symbol files", broker=self.broker
            )
        return row

    # Orders

    async def place_order(self, account: Account, request: PlaceOrderRequest) -> PlacedOrder:
        instrument = await self._instrument(request.exchange, request.symbol)
        body = mapping.to_upstream_order(request, instrument, self._session(account).actid)
        data = await self._call(account, "PlaceOrder", body, rate_class="orders", is_order=True)
        return PlacedOrder(orderid=str(data["norenordno"]))

    async def modify_order(self, account: Account, request: ModifyOrderRequest) -> PlacedOrder:
        path_segment(request.orderid)  # an order id is letters, digits and _.:- at every broker
        body = mapping.to_upstream_modification(request, await self._instrument(request.exchange, request.symbol))
        data = await self._call(account, "ModifyOrder", body, rate_class="orders", is_order=True)
        return PlacedOrder(orderid=str(data.get("result") or request.orderid), message="Order modified successfully")

    async def cancel_order(self, account: Account, request: OrderRef) -> PlacedOrder:
        path_segment(request.orderid)
        data = await self._call(
            account, "CancelOrder", {"norenordno": request.orderid}, rate_class="orders", is_order=True
        )
        return PlacedOrder(orderid=str(data.get("result") or request.orderid), message="Order cancelled successfully")

    async def order_status(self, account: Account, request: OrderRef) -> OrderDetail:
        return order_detail(find_order(await self.order_book(account), request.orderid, broker=self.broker))

    async def order_book(self, account: Account) -> OrderBook:
        rows = await self._read(account, "OrderBook", "other")
        return mapping.order_book_from_upstream(rows, await self._symbols(), self.broker)

    async def trade_book(self, account: Account) -> list[Trade]:
        rows, book = await self._read(account, "TradeBook", "other"), await self._symbols()
        return [mapping.trade_from_upstream(row, book, self.broker) for row in rows]

    async def positions(self, account: Account) -> list[Position]:
        rows, book = await self._read(account, "PositionBook", "other"), await self._symbols()
        return [mapping.position_from_upstream(row, book, self.broker) for row in rows]

    async def holdings(self, account: Account) -> HoldingsBook:
        # Noren's holdings carry no last price, so each holding's is asked of GetQuotes.
        rows, book, held = await self._read(account, "Holdings", "other", {"prd": "C"}), await self._symbols(), []
        for row in rows:
            exchange, token = mapping.holding_listing(row)
            last = mapping.decimal((await self._quote_row(account, exchange, token)).get("lp"))
            if (item := mapping.held_from_upstream(row, book, last)) is not None:
                held.append(item)
        return holdings_book(held)

    async def funds(self, account: Account) -> Funds:
        return mapping.funds_from_upstream(await self._read(account, "Limits", "other"))

    async def margin(self, account: Account, request: MarginRequest) -> MarginResult:
        raise NotSupported(
            f"{self.broker} margin (GetOrderMargin) is not wired in the Noren family yet", broker=self.broker
        )

    # Market data

    async def _quote_row(self, account: Account, exchange: str, token: str) -> dict[str, Any]:
        return await self._read(account, "GetQuotes", "quotes", {"exch": exchange, "token": token})

    async def _quote_of(self, account: Account, request: InstrumentRef) -> dict[str, Any]:
        instrument = await self._instrument(request.exchange, request.symbol)
        return await self._quote_row(account, instrument.brexchange, instrument.token)

    async def quote(self, account: Account, request: InstrumentRef) -> Quote:
        return mapping.quote_from_upstream(await self._quote_of(account, request))

    async def depth(self, account: Account, request: InstrumentRef) -> MarketDepth:
        return mapping.depth_from_upstream(await self._quote_of(account, request))

    async def multi_quotes(self, account: Account, request: list[InstrumentRef]) -> list[QuoteResult]:
        results = []
        for item in request:
            try:
                data = mapping.quote_from_upstream(await self._quote_of(account, item))
            except SymbolNotFound:
                results.append(QuoteResult(symbol=item.symbol, exchange=item.exchange, error="Symbol not found"))
            else:
                results.append(QuoteResult(symbol=item.symbol, exchange=item.exchange, data=data))
        return results

    def _check_candles(self) -> None:
        if self.manifest.capabilities.history is None:
            raise NotSupported(f"{self.broker} candles are not wired in the Noren family yet", broker=self.broker)

    async def history(self, account: Account, request: HistoryRequest) -> list[Candle]:
        self._check_candles()
        check_history(request, mapping.INTERVAL_TO_UPSTREAM, self.broker, broker=self.broker)
        instrument = await self._instrument(request.exchange, request.symbol)
        start = datetime.combine(request.start_date, time(0, 0), IST)
        end = datetime.combine(request.end_date, time(0, 0), IST) + timedelta(days=1)
        if request.interval == "D":
            body = {"sym": f"{instrument.brexchange}:{instrument.brsymbol}", "from": str(int(start.timestamp())),
                    "to": str(int(end.timestamp()))}  # fmt: skip
            rows = await self._read(account, "EODChartData", "history", body)
        else:
            body = {"exch": instrument.brexchange, "token": instrument.token, "st": str(int(start.timestamp())),
                    "et": str(int(end.timestamp())), "intrv": mapping.INTERVAL_TO_UPSTREAM[request.interval]}  # fmt: skip
            rows = await self._read(account, "TPSeries", "history", body)
        return sorted((mapping.candle_from_upstream(row, request.interval) for row in rows), key=lambda c: c.timestamp)

    async def intervals(self, account: Account) -> IntervalGroups:
        self._check_candles()
        return IntervalGroups.model_validate(mapping.INTERVAL_GROUPS)

    async def symbol_master(self, account: Account) -> list[InstrumentRecord]:
        return (await self._symbols()).records

    # GTT exists at Noren (PlaceGTTOrder) but is not wired: the manifests leave `gtt` out.

    async def gtt_place(self, account: Account, request: GttOrderRequest) -> GttRef:
        raise NotSupported(f"{self.broker} GTT orders are not supported by this plugin yet", broker=self.broker)

    async def gtt_modify(self, account: Account, request: ModifyGttOrderRequest) -> GttRef:
        raise NotSupported(f"{self.broker} GTT orders are not supported by this plugin yet", broker=self.broker)

    async def gtt_cancel(self, account: Account, request: GttRef) -> GttRef:
        raise NotSupported(f"{self.broker} GTT orders are not supported by this plugin yet", broker=self.broker)

    async def gtt_book(self, account: Account) -> list[GttEntry]:
        raise NotSupported(f"{self.broker} GTT orders are not supported by this plugin yet", broker=self.broker)

    # Login: QuickAuth's form by default; a member with its own login (Flattrade) passes `login`.

    async def login_url(self, account: Account, request: LoginStart) -> LoginRedirect:
        if not hasattr(self.login, "login_url"):
            raise NotSupported(
                f"{self.broker} logs in with a form (user id, password and TOTP), not a redirect", broker=self.broker
            )
        return await self.login.login_url(self.broker, account.credentials or {}, request)

    async def complete_login(self, account: Account, request: LoginCallback) -> SessionGrant:
        request = LoginCallback.model_validate(request)
        session = await self.login.log_in(
            self.broker, self.client, account.credentials or {}, dict(request.params or {})
        )
        return SessionGrant(token=session.encode(), valid_until=session_expiry(self._clock()))


class StreamingNorenPlugin(NorenPlugin):
    """A Noren member whose manifest declares `streaming`: the family's WebSocket feed as well."""

    async def _feed_keys(self, instruments: list[InstrumentRef]) -> dict[tuple[str, str], InstrumentRef]:
        book, keys = await self._symbols(), {}
        for item in instruments:
            if (row := book.to_upstream(item.exchange, item.symbol)) is not None:
                keys[(row.brexchange, row.token)] = item
        return keys

    def _feed(self, account: Account, on_ticks: Callable, connect: Connector | None) -> NorenFeed:
        session = self._session(account)
        return NorenFeed(
            self._feed_url, on_ticks, session=session, connect=connect or websocket_connector(), broker=self.broker
        )

    async def open_feed(
        self,
        account: Account,
        instruments: list[InstrumentRef],
        on_ticks: Callable[[list[Tick]], Awaitable[None] | None],
        *,
        mode: str = "quote",
        connect: Connector | None = None,
    ) -> NorenFeed:
        """A Noren feed subscribed to `instruments`; the caller runs `feed.run()` and ends it with `stop()`."""
        keys = await self._feed_keys(instruments)
        if len(keys) < len(instruments):
            raise SymbolNotFound(f"{self.broker} has no feed for some of {instruments}", broker=self.broker)
        feed = self._feed(account, on_ticks, connect)
        await feed.subscribe(list(keys), mode)
        return feed

    async def stream(
        self, account: Account, on_quote: QuoteHandler, *, connect: Connector | None = None
    ) -> UnifiedFeed:
        """The feed in unified terms, for the gateway's WebSocket."""
        return UnifiedFeed(
            self._feed(account, lambda ticks: None, connect), on_quote, resolve=self._feed_keys,
            key_of=lambda tick: (tick.exchange, tick.token), payload_of=unified_payload, modes=STREAM_MODES,
        )  # fmt: skip


def build(folder: Path, **options: Any) -> NorenPlugin:
    """The member in `folder`'s plugin; it has the feed operations only when its manifest declares streaming."""
    manifest = read_yaml(folder / "manifest.yaml")
    cls = StreamingNorenPlugin if (manifest.get("capabilities") or {}).get("streaming") else NorenPlugin
    return cls(folder, **options)
