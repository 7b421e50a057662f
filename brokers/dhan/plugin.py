"""DhanPlugin: the broker contract on DhanHQ API v2; each operation maps, calls and maps back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from brokers.common.feed import Connector, QuoteHandler, TickHandler, UnifiedFeed, websocket_connector
from brokers.common.mapping import check_history, order_detail
from brokers.dhan import auth, mapping
from brokers.dhan.client import API_URL, MASTER_URL, DhanClient
from brokers.dhan.streaming import FEED_URL, STREAM_MODES, DhanFeed, feed_url, key_of, payload_of
from brokers.dhan.symbols import DhanSymbolBook, parse_master
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
from generated.errors import NotSupported, SymbolNotFound

MANIFEST = Manifest.model_validate(read_yaml(Path(__file__).parent / "manifest.yaml"))


class DhanPlugin:
    """DhanHQ v2 for one brokergate: each user's `client_id:access_token` arrives with every call in `account.token`."""

    manifest = MANIFEST

    def __init__(
        self,
        *,
        base_url: str = API_URL,
        auth_url: str = auth.AUTH_URL,
        master_url: str = MASTER_URL,
        feed_base: str = FEED_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limits: list[RateLimit] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = DhanClient(
            base_url=base_url,
            auth_url=auth_url,
            master_url=master_url,
            transport=transport,
            rate_limits=MANIFEST.rate_limits if rate_limits is None else rate_limits,
        )
        self._feed_base = feed_base
        self._clock = clock
        self._book: DhanSymbolBook | None = None

    # Symbols: Dhan rebuilds its scrip master every morning, so the book is rebuilt once a day (IST).

    async def _symbols(self) -> DhanSymbolBook:
        today = self._clock().astimezone(auth.IST).date()
        if self._book is None or self._book.day != today:
            self._book = DhanSymbolBook(parse_master(await self.client.scrip_master()), today)
        return self._book

    async def _instrument(self, exchange: str, symbol: str) -> InstrumentRecord:
        row = (await self._symbols()).to_upstream(exchange, symbol)
        if row is None:
            raise SymbolNotFound(f"Symbol {symbol} not found on {exchange} in dhan's scrip master", broker="dhan")
        return row

    @staticmethod
    def _client_id(account: Account) -> str:
        return auth.split_session_token(account.token or "")[0]

    # Orders

    async def place_order(self, account: Account, request: PlaceOrderRequest) -> PlacedOrder:
        instrument = await self._instrument(request.exchange, request.symbol)
        body = mapping.to_upstream_order(request, instrument, self._client_id(account))
        data = await self.client.place_order(account.token, body)
        return PlacedOrder(orderid=str(data["orderId"]))

    async def modify_order(self, account: Account, request: ModifyOrderRequest) -> PlacedOrder:
        body = mapping.to_upstream_modification(request, self._client_id(account))
        data = await self.client.modify_order(account.token, request.orderid, body)
        return PlacedOrder(orderid=str(data.get("orderId") or request.orderid), message="Order modified successfully")

    async def cancel_order(self, account: Account, request: OrderRef) -> PlacedOrder:
        data = await self.client.cancel_order(account.token, request.orderid)
        return PlacedOrder(orderid=str(data.get("orderId") or request.orderid), message="Order cancelled successfully")

    async def order_status(self, account: Account, request: OrderRef) -> OrderDetail:
        row = await self.client.order(account.token, request.orderid)
        order = mapping.order_from_upstream(row, await self._symbols())
        return order_detail(order)

    async def order_book(self, account: Account) -> OrderBook:
        rows = await self.client.orders(account.token)
        return mapping.order_book_from_upstream(rows, await self._symbols())

    async def trade_book(self, account: Account) -> list[Trade]:
        rows = await self.client.trades(account.token)
        book = await self._symbols()
        return [mapping.trade_from_upstream(row, book) for row in rows]

    async def positions(self, account: Account) -> list[Position]:
        rows = await self.client.positions(account.token)
        book = await self._symbols()
        return [mapping.position_from_upstream(row, book) for row in rows]

    async def holdings(self, account: Account) -> HoldingsBook:
        rows = await self.client.holdings(account.token)
        return mapping.holdings_from_upstream(rows, await self._symbols())

    async def funds(self, account: Account) -> Funds:
        return mapping.funds_from_upstream(await self.client.fund_limit(account.token))

    async def margin(self, account: Account, request: MarginRequest) -> MarginResult:
        client_id, rows = self._client_id(account), []
        for position in request.positions:  # the calculator takes one order a request
            instrument = await self._instrument(position.exchange, position.symbol)
            rows.append(
                await self.client.margin(account.token, mapping.to_upstream_margin(position, instrument, client_id))
            )
        return mapping.margin_from_upstream(rows)

    # Market data

    async def _quote_row(self, account: Account, request: InstrumentRef) -> dict:
        instrument = await self._instrument(request.exchange, request.symbol)
        data = await self.client.market_quote(account.token, "quote", mapping.quote_request([instrument]))
        row = (data.get(instrument.brexchange) or {}).get(instrument.token)
        if row is None:
            raise SymbolNotFound(f"dhan has no quote for {request.exchange}:{request.symbol}", broker="dhan")
        return row

    async def quote(self, account: Account, request: InstrumentRef) -> Quote:
        return mapping.quote_from_upstream(await self._quote_row(account, request))

    async def depth(self, account: Account, request: InstrumentRef) -> MarketDepth:
        return mapping.depth_from_upstream(await self._quote_row(account, request))

    async def multi_quotes(self, account: Account, request: list[InstrumentRef]) -> list[QuoteResult]:
        book = await self._symbols()
        found = {(item.exchange, item.symbol): book.to_upstream(item.exchange, item.symbol) for item in request}
        known = [row for row in found.values() if row is not None]
        data = await self.client.market_quote(account.token, "quote", mapping.quote_request(known)) if known else {}
        results = []
        for item in request:
            row = found[(item.exchange, item.symbol)]
            quote = (data.get(row.brexchange) or {}).get(row.token) if row else None
            if quote is None:
                results.append(QuoteResult(symbol=item.symbol, exchange=item.exchange, error="Symbol not found"))
            else:
                results.append(
                    QuoteResult(symbol=item.symbol, exchange=item.exchange, data=mapping.quote_from_upstream(quote))
                )
        return results

    async def history(self, account: Account, request: HistoryRequest) -> list[Candle]:
        check_history(request, mapping.INTERVAL_TO_UPSTREAM, "dhan", mapping.MAX_DAYS)
        interval = mapping.INTERVAL_TO_UPSTREAM[request.interval]
        instrument = await self._instrument(request.exchange, request.symbol)
        book = await self._symbols()
        body = mapping.chart_request(
            instrument, book.instrument_name(instrument), interval, request.start_date, request.end_date
        )
        fetch = self.client.historical if interval == mapping.DAILY else self.client.intraday
        return mapping.candles_from_upstream(await fetch(account.token, body))

    async def intervals(self, account: Account) -> IntervalGroups:
        return IntervalGroups.model_validate(mapping.INTERVAL_GROUPS)

    async def symbol_master(self, account: Account) -> list[InstrumentRecord]:
        return (await self._symbols()).records

    async def open_feed(
        self,
        account: Account,
        instruments: list[InstrumentRef],
        on_ticks: TickHandler,
        *,
        mode: str = "quote",
        connect: Connector | None = None,
    ) -> DhanFeed:
        """A live feed subscribed to `instruments`; the caller runs `feed.run()` and ends it with `stop()`."""
        rows = [await self._instrument(item.exchange, item.symbol) for item in instruments]
        feed = self._feed(account, on_ticks, connect)
        await feed.subscribe([(row.brexchange, int(row.token)) for row in rows], mode)
        return feed

    async def stream(
        self, account: Account, on_quote: QuoteHandler, *, connect: Connector | None = None
    ) -> UnifiedFeed:
        """The feed in unified instruments and canonical payloads, as the gateway's WebSocket runs it."""

        async def resolve(instruments: list[InstrumentRef]) -> dict[tuple[str, int], InstrumentRef]:
            book = await self._symbols()
            rows = [(item, book.to_upstream(item.exchange, item.symbol)) for item in instruments]
            return {(row.brexchange, int(row.token)): item for item, row in rows if row is not None}

        feed = self._feed(account, lambda ticks: None, connect)
        return UnifiedFeed(feed, on_quote, resolve=resolve, key_of=key_of, payload_of=payload_of, modes=STREAM_MODES)

    def _feed(self, account: Account, on_ticks: TickHandler, connect: Connector | None) -> DhanFeed:
        client_id, access_token = auth.split_session_token(account.token or "")
        url = feed_url(client_id, access_token, self._feed_base)
        return DhanFeed(url, on_ticks, connect=connect or websocket_connector())

    # GTT: Dhan's Forever Orders; the request arrives normalized by gateway.gtt.

    async def gtt_place(self, account: Account, request: GttOrderRequest) -> GttRef:
        instrument = await self._instrument(request.exchange, request.symbol)
        body = mapping.to_upstream_forever(request, instrument, self._client_id(account))
        return GttRef(trigger_id=str((await self.client.forever_place(account.token, body))["orderId"]))

    async def gtt_modify(self, account: Account, request: ModifyGttOrderRequest) -> GttRef:
        for body in mapping.to_upstream_forever_legs(request, self._client_id(account)):
            await self.client.forever_modify(account.token, request.trigger_id, body)
        return GttRef(trigger_id=request.trigger_id)

    async def gtt_cancel(self, account: Account, request: GttRef) -> GttRef:
        data = await self.client.forever_cancel(account.token, request.trigger_id)
        return GttRef(trigger_id=str(data.get("orderId") or request.trigger_id))

    async def gtt_book(self, account: Account) -> list[GttEntry]:
        return mapping.gtt_book_from_upstream(await self.client.forever_orders(account.token) or [], await self._symbols())

    # Login: a form with client id, PIN and TOTP; there is no login page to redirect to.

    async def login_url(self, account: Account, request: LoginStart) -> LoginRedirect:
        raise NotSupported(
            "dhan logs in with client id, PIN and TOTP typed into brokergate's form; there is no redirect",
            broker="dhan",
        )

    async def complete_login(self, account: Account, request: LoginCallback) -> SessionGrant:
        client_id, pin, totp = auth.login_fields(request.params, account.credentials)
        issued_at = self._clock()
        data = await self.client.generate_access_token(client_id, pin, totp)
        return SessionGrant(
            token=auth.session_token(str(data.get("dhanClientId") or client_id), data["accessToken"]),
            valid_until=auth.session_expiry(data.get("expiryTime"), issued_at).astimezone(UTC),
        )
