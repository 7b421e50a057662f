"""UpstoxPlugin: the broker contract on Upstox API v2; each operation maps, calls and maps back.

Orders use the v2 endpoints (place, modify, cancel), documented with every field; v3's order API
adds auto-slicing and latency figures that brokergate does not need yet.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from brokers.common.feed import Connector, QuoteHandler, UnifiedFeed, websocket_connector
from brokers.common.mapping import check_history, order_detail
from brokers.common.symbols import SymbolBook
from brokers.registry import read_yaml
from brokers.upstox import auth, mapping
from brokers.upstox.client import ASSETS_URL, ORDER_URL, UpstoxClient
from brokers.upstox.streaming import STREAM_MODE_TO_FEED, Tick, UpstoxFeed, authorizing_connector, tick_payload
from brokers.upstox.symbols import parse_master
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
    RateLimit,
    SessionGrant,
)
from generated.errors import SymbolNotFound, ValidationFailed

MANIFEST = Manifest.model_validate(read_yaml(Path(__file__).parent / "manifest.yaml"))
REDIRECT_URL = "http://127.0.0.1:5000/upstox/callback"
# A full-quote request takes at most 500 instrument keys (https://upstox.com/developer/api-documentation/get-full-market-quote).
QUOTE_BATCH = 500
FEED_URL = "upstox:authorize"  # a placeholder: each connection asks Upstox for its own wss URL


class UpstoxPlugin:
    """Upstox for one brokergate: users' access tokens arrive with each call in `account.token`."""

    manifest = MANIFEST

    def __init__(
        self,
        *,
        base_url: str = auth.API_URL,
        order_url: str = ORDER_URL,
        assets_url: str = ASSETS_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limits: list[RateLimit] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = UpstoxClient(
            base_url=base_url,
            order_url=order_url,
            assets_url=assets_url,
            transport=transport,
            rate_limits=MANIFEST.rate_limits if rate_limits is None else rate_limits,
        )
        self._base_url = base_url
        self._clock = clock
        self._book: SymbolBook | None = None

    # Symbols: Upstox rebuilds its instruments file every morning, so the book is rebuilt once a day (IST).

    async def _symbols(self) -> SymbolBook:
        today = self._clock().astimezone(auth.IST).date()
        if self._book is None or self._book.day != today:
            self._book = SymbolBook(parse_master(await self.client.instruments()), today)
        return self._book

    async def _instrument(self, exchange: str, symbol: str) -> InstrumentRecord:
        row = (await self._symbols()).to_upstream(exchange, symbol)
        if row is None:
            raise SymbolNotFound(f"Symbol {symbol} not found on {exchange} in upstox's instruments", broker="upstox")
        return row

    # Orders

    async def place_order(self, account: Account, request: PlaceOrderRequest) -> PlacedOrder:
        instrument = await self._instrument(request.exchange, request.symbol)
        data = await self.client.place_order(account.token or "", mapping.to_upstream_order(request, instrument))
        return PlacedOrder(orderid=str(data["order_id"]))

    async def modify_order(self, account: Account, request: ModifyOrderRequest) -> PlacedOrder:
        data = await self.client.modify_order(account.token or "", mapping.to_upstream_modification(request))
        return PlacedOrder(orderid=str(data["order_id"]), message="Order modified successfully")

    async def cancel_order(self, account: Account, request: OrderRef) -> PlacedOrder:
        data = await self.client.cancel_order(account.token or "", request.orderid)
        return PlacedOrder(orderid=str(data["order_id"]), message="Order cancelled successfully")

    async def order_status(self, account: Account, request: OrderRef) -> OrderDetail:
        row = await self.client.order_details(account.token or "", request.orderid)
        order = mapping.order_from_upstream(row, await self._symbols())
        return order_detail(order)

    async def order_book(self, account: Account) -> OrderBook:
        rows = await self.client.orders(account.token or "")
        return mapping.order_book_from_upstream(rows or [], await self._symbols())

    async def trade_book(self, account: Account) -> list[Trade]:
        rows = await self.client.trades(account.token or "")
        book = await self._symbols()
        return [mapping.trade_from_upstream(row, book) for row in rows or []]

    async def positions(self, account: Account) -> list[Position]:
        rows = await self.client.positions(account.token or "")
        book = await self._symbols()
        return [mapping.position_from_upstream(row, book) for row in rows or []]

    async def holdings(self, account: Account) -> HoldingsBook:
        rows = await self.client.holdings(account.token or "")
        return mapping.holdings_from_upstream(rows or [], await self._symbols())

    async def funds(self, account: Account) -> Funds:
        return mapping.funds_from_upstream(await self.client.funds(account.token or ""))

    async def margin(self, account: Account, request: MarginRequest) -> MarginResult:
        instruments = [await self._instrument(item.exchange, item.symbol) for item in request.positions]
        data = await self.client.margin(account.token or "", mapping.to_upstream_margin(request, instruments))
        return mapping.margin_from_upstream(data)

    # Market data

    async def _quotes(self, account: Account, keys: list[str]) -> dict:
        found: dict = {}
        for start in range(0, len(keys), QUOTE_BATCH):
            data = await self.client.quotes(account.token or "", keys[start : start + QUOTE_BATCH])
            found |= mapping.quotes_by_key(data)
        return found

    async def quote(self, account: Account, request: InstrumentRef) -> Quote:
        instrument = await self._instrument(request.exchange, request.symbol)
        found = (await self._quotes(account, [instrument.token])).get(instrument.token)
        if found is None:
            raise SymbolNotFound(f"upstox has no quote for {request.exchange}:{request.symbol}", broker="upstox")
        return mapping.quote_from_upstream(found)

    async def multi_quotes(self, account: Account, request: list[InstrumentRef]) -> list[QuoteResult]:
        book = await self._symbols()
        rows = {(item.exchange, item.symbol): book.to_upstream(item.exchange, item.symbol) for item in request}
        quotes = await self._quotes(account, sorted({row.token for row in rows.values() if row is not None}))
        results = []
        for item in request:
            row = rows[(item.exchange, item.symbol)]
            found = quotes.get(row.token) if row else None
            if found is None:
                results.append(QuoteResult(symbol=item.symbol, exchange=item.exchange, error="Symbol not found"))
            else:
                results.append(
                    QuoteResult(symbol=item.symbol, exchange=item.exchange, data=mapping.quote_from_upstream(found))
                )
        return results

    async def depth(self, account: Account, request: InstrumentRef) -> MarketDepth:
        instrument = await self._instrument(request.exchange, request.symbol)
        found = (await self._quotes(account, [instrument.token])).get(instrument.token)
        if found is None:
            raise SymbolNotFound(f"upstox has no quote for {request.exchange}:{request.symbol}", broker="upstox")
        return mapping.depth_from_upstream(found)

    async def history(self, account: Account, request: HistoryRequest) -> list[Candle]:
        check_history(request, mapping.INTERVAL_TO_UPSTREAM, "upstox", mapping.MAX_DAYS)
        instrument = await self._instrument(request.exchange, request.symbol)
        interval = mapping.INTERVAL_TO_UPSTREAM[request.interval]
        data = await self.client.candles(
            account.token or "", instrument.token, interval, str(request.end_date), str(request.start_date)
        )
        return mapping.candles_from_upstream(data)

    async def intervals(self, account: Account) -> IntervalGroups:
        return IntervalGroups.model_validate(mapping.INTERVAL_GROUPS)

    async def symbol_master(self, account: Account) -> list[InstrumentRecord]:
        return (await self._symbols()).records

    async def open_feed(
        self,
        account: Account,
        instruments: list[InstrumentRef],
        on_ticks: Callable[[list[Tick]], Awaitable[None] | None],
        *,
        mode: str = "quote",
        connect: Connector | None = None,
    ) -> UpstoxFeed:
        """A market feed subscribed to `instruments`; the caller runs `feed.run()` and ends it with `stop()`."""
        keys = [(await self._instrument(item.exchange, item.symbol)).token for item in instruments]
        token = account.token or ""
        connector = authorizing_connector(lambda: self.client.feed_authorize(token), connect or websocket_connector())
        feed = UpstoxFeed(FEED_URL, on_ticks, connect=connector)
        await feed.subscribe(keys, mode)
        return feed

    async def stream(
        self, account: Account, on_quote: QuoteHandler, *, connect: Connector | None = None
    ) -> UnifiedFeed:
        """The feed in unified terms (brokers/common/feed.py): instruments keyed by their `instrument_key`."""
        feed = await self.open_feed(account, [], lambda ticks: None, connect=connect)

        async def resolve(instruments: list) -> dict:
            book = await self._symbols()
            rows = ((book.to_upstream(item.exchange, item.symbol), item) for item in instruments)
            return {row.token: item for row, item in rows if row is not None}

        return UnifiedFeed(
            feed, on_quote, resolve=resolve, key_of=lambda tick: tick.instrument_key, payload_of=tick_payload,
            modes=STREAM_MODE_TO_FEED,
        )  # fmt: skip

    # GTT: Upstox's v3 GTT orders, SINGLE only; the request arrives normalized by gateway.gtt.

    async def _last_price(self, account: Account, request: GttOrderRequest | ModifyGttOrderRequest) -> float:
        return (await self.quote(account, InstrumentRef(exchange=request.exchange, symbol=request.symbol))).ltp

    async def gtt_place(self, account: Account, request: GttOrderRequest) -> GttRef:
        mapping.check_gtt(request)
        instrument = await self._instrument(request.exchange, request.symbol)
        body = mapping.to_upstream_gtt(request, instrument, await self._last_price(account, request))
        data = await self.client.gtt_place(account.token or "", body)
        return GttRef(trigger_id=str(data["gtt_order_ids"][0]))

    async def gtt_modify(self, account: Account, request: ModifyGttOrderRequest) -> GttRef:
        mapping.check_gtt(request)
        body = mapping.to_upstream_gtt_modification(request, await self._last_price(account, request))
        data = await self.client.gtt_modify(account.token or "", body)
        return GttRef(trigger_id=str((data.get("gtt_order_ids") or [request.trigger_id])[0]))

    async def gtt_cancel(self, account: Account, request: GttRef) -> GttRef:
        data = await self.client.gtt_cancel(account.token or "", request.trigger_id)
        return GttRef(trigger_id=str((data.get("gtt_order_ids") or [request.trigger_id])[0]))

    async def gtt_book(self, account: Account) -> list[GttEntry]:
        rows = await self.client.gtt_orders(account.token or "")
        book = await self._symbols()
        return [mapping.gtt_from_upstream(row, book) for row in rows]

    # Login

    async def login_url(self, account: Account, request: LoginStart) -> LoginRedirect:
        credentials = auth.credentials_of(account)
        return LoginRedirect(
            url=auth.login_url(credentials.api_key, request.redirect_url, request.state, self._base_url)
        )

    async def complete_login(self, account: Account, request: LoginCallback) -> SessionGrant:
        credentials = auth.credentials_of(account)
        code = auth.code_from(request.params)
        # Upstox checks the token exchange's redirect_uri against the login's; the gateway passes it back.
        redirect_url = request.redirect_url or REDIRECT_URL
        data = await self.client.exchange_code(auth.token_form(credentials, code, redirect_url))
        if not data.get("access_token"):
            raise ValidationFailed("upstox's token exchange answered no access_token", broker="upstox")
        return SessionGrant(
            token=str(data["access_token"]), valid_until=auth.session_expiry(self._clock()).astimezone(UTC)
        )
