"""ZerodhaPlugin: the broker contract on Kite Connect v3; each operation maps, calls and maps back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from brokers.common.feed import QuoteHandler, UnifiedFeed
from brokers.common.mapping import check_history, find_order, order_detail
from brokers.registry import read_yaml
from brokers.zerodha import auth, mapping
from brokers.zerodha.client import API_URL, ZerodhaClient
from brokers.zerodha.streaming import STREAM_MODES, TICKER_URL, Connector, Tick, ZerodhaFeed, tick_payload, ticker_url
from brokers.zerodha.symbols import SymbolBook, parse_master
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


class ZerodhaPlugin:
    """Kite Connect for one brokergate: each user's app credentials and session token arrive with the account."""

    manifest = MANIFEST

    def __init__(
        self,
        *,
        base_url: str = API_URL,
        login_base: str = auth.LOGIN_URL,
        ticker_base: str = TICKER_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limits: list[RateLimit] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = ZerodhaClient(
            base_url=base_url,
            transport=transport,
            rate_limits=MANIFEST.rate_limits if rate_limits is None else rate_limits,
        )
        self._login_base = login_base
        self._ticker_base = ticker_base
        self._clock = clock
        self._book: SymbolBook | None = None

    # Symbols: Kite's master changes every morning, so the book is rebuilt once a day (IST).

    async def _symbols(self, account: Account) -> SymbolBook:
        today = self._clock().astimezone(auth.IST).date()
        if self._book is None or self._book.day != today:
            self._book = SymbolBook(parse_master(await self.client.instruments(account.token)), today)
        return self._book

    async def _instrument(self, account: Account, exchange: str, symbol: str) -> InstrumentRecord:
        row = (await self._symbols(account)).to_upstream(exchange, symbol)
        if row is None:
            raise SymbolNotFound(f"Symbol {symbol} not found on {exchange} in zerodha's instruments", broker="zerodha")
        return row

    # Orders

    async def place_order(self, account: Account, request: PlaceOrderRequest) -> PlacedOrder:
        instrument = await self._instrument(account, request.exchange, request.symbol)
        form = mapping.to_upstream_order(request, instrument)
        data = await self.client.place_order(account.token, mapping.VARIETY, form)
        return PlacedOrder(orderid=str(data["order_id"]))

    async def modify_order(self, account: Account, request: ModifyOrderRequest) -> PlacedOrder:
        form = mapping.to_upstream_modification(request)
        data = await self.client.modify_order(account.token, mapping.VARIETY, request.orderid, form)
        return PlacedOrder(orderid=str(data["order_id"]), message="Order modified successfully")

    async def cancel_order(self, account: Account, request: OrderRef) -> PlacedOrder:
        data = await self.client.cancel_order(account.token, mapping.VARIETY, request.orderid)
        return PlacedOrder(orderid=str(data["order_id"]), message="Order cancelled successfully")

    async def order_status(self, account: Account, request: OrderRef) -> OrderDetail:
        return order_detail(find_order(await self.order_book(account), request.orderid))

    async def order_book(self, account: Account) -> OrderBook:
        rows = await self.client.orders(account.token)
        return mapping.order_book_from_upstream(rows, await self._symbols(account))

    async def trade_book(self, account: Account) -> list[Trade]:
        rows = await self.client.trades(account.token)
        book = await self._symbols(account)
        return [mapping.trade_from_upstream(row, book) for row in rows]

    async def positions(self, account: Account) -> list[Position]:
        data = await self.client.positions(account.token)
        book = await self._symbols(account)
        return [mapping.position_from_upstream(row, book) for row in data.get("net", [])]

    async def holdings(self, account: Account) -> HoldingsBook:
        rows = await self.client.holdings(account.token)
        return mapping.holdings_from_upstream(rows, await self._symbols(account))

    async def funds(self, account: Account) -> Funds:
        return mapping.funds_from_upstream(await self.client.margins(account.token))

    async def margin(self, account: Account, request: MarginRequest) -> MarginResult:
        instruments = [await self._instrument(account, item.exchange, item.symbol) for item in request.positions]
        rows = await self.client.order_margins(account.token, mapping.to_upstream_margin_orders(request, instruments))
        return mapping.margin_from_upstream(rows)

    # Market data

    async def quote(self, account: Account, request: InstrumentRef) -> Quote:
        instrument = await self._instrument(account, request.exchange, request.symbol)
        data = await self.client.quote(account.token, [mapping.instrument_key(instrument)])
        return mapping.quote_from_upstream(data[mapping.instrument_key(instrument)])

    async def multi_quotes(self, account: Account, request: list[InstrumentRef]) -> list[QuoteResult]:
        book = await self._symbols(account)
        found = {(item.exchange, item.symbol): book.to_upstream(item.exchange, item.symbol) for item in request}
        keys = [mapping.instrument_key(row) for row in found.values() if row is not None]
        data = await self.client.quote(account.token, keys) if keys else {}
        results = []
        for item in request:
            row = found[(item.exchange, item.symbol)]
            quote = data.get(mapping.instrument_key(row)) if row else None
            if quote is None:
                results.append(QuoteResult(symbol=item.symbol, exchange=item.exchange, error="Symbol not found"))
            else:
                results.append(QuoteResult(symbol=item.symbol, exchange=item.exchange, data=mapping.quote_from_upstream(quote)))
        return results

    async def depth(self, account: Account, request: InstrumentRef) -> MarketDepth:
        instrument = await self._instrument(account, request.exchange, request.symbol)
        data = await self.client.quote(account.token, [mapping.instrument_key(instrument)])
        return mapping.depth_from_upstream(data[mapping.instrument_key(instrument)])

    async def history(self, account: Account, request: HistoryRequest) -> list[Candle]:
        check_history(request, mapping.INTERVAL_TO_UPSTREAM, "zerodha", mapping.MAX_DAYS)
        instrument = await self._instrument(account, request.exchange, request.symbol)
        params = {"from": f"{request.start_date} 00:00:00", "to": f"{request.end_date} 23:59:59", "oi": "1"}
        interval = mapping.INTERVAL_TO_UPSTREAM[request.interval]
        data = await self.client.historical(account.token, instrument.token, interval, params)
        return [mapping.candle_from_upstream(row) for row in data["candles"]]

    async def intervals(self, account: Account) -> IntervalGroups:
        return IntervalGroups.model_validate(mapping.INTERVAL_GROUPS)

    async def symbol_master(self, account: Account) -> list[InstrumentRecord]:
        return (await self._symbols(account)).records

    async def open_feed(
        self,
        account: Account,
        instruments: list[InstrumentRef],
        on_ticks: Callable[[list[Tick]], Awaitable[None] | None],
        *,
        mode: str = "quote",
        connect: Connector | None = None,
    ) -> ZerodhaFeed:
        """A ticker feed subscribed to `instruments`; the caller runs `feed.run()` and ends it with `stop()`."""
        tokens = [int((await self._instrument(account, item.exchange, item.symbol)).token) for item in instruments]
        api_key, access_token = auth.split_session_token(account.token or "")
        feed = ZerodhaFeed(ticker_url(api_key, access_token, self._ticker_base), on_ticks, connect=connect)
        await feed.subscribe(tokens, mode)
        return feed

    async def stream(self, account: Account, on_quote: QuoteHandler, *, connect: Connector | None = None) -> UnifiedFeed:
        """Kite's ticker in unified terms, for the gateway's WebSocket: subscribe by symbol, hear canonical payloads."""
        api_key, access_token = auth.split_session_token(account.token or "")
        feed = ZerodhaFeed(ticker_url(api_key, access_token, self._ticker_base), on_quote, connect=connect)

        async def resolve(instruments: list) -> dict[int, object]:
            book = await self._symbols(account)
            found = ((book.to_upstream(item.exchange, item.symbol), item) for item in instruments)
            return {int(row.token): item for row, item in found if row is not None}

        return UnifiedFeed(
            feed, on_quote, resolve=resolve, key_of=lambda tick: tick.instrument_token,
            payload_of=tick_payload, modes=STREAM_MODES,
        )  # fmt: skip

    # GTT: Kite's own triggers (`/gtt/triggers`); the request arrives normalized by gateway.gtt.

    async def _gtt_form(self, account: Account, request: GttOrderRequest | ModifyGttOrderRequest) -> dict[str, str]:
        instrument = await self._instrument(account, request.exchange, request.symbol)
        data = await self.client.quote(account.token, [mapping.instrument_key(instrument)])
        last_price = mapping.quote_from_upstream(data[mapping.instrument_key(instrument)]).ltp
        return mapping.to_upstream_gtt(request, instrument, last_price)

    async def gtt_place(self, account: Account, request: GttOrderRequest) -> GttRef:
        data = await self.client.gtt_place(account.token, await self._gtt_form(account, request))
        return GttRef(trigger_id=str(data["trigger_id"]))

    async def gtt_modify(self, account: Account, request: ModifyGttOrderRequest) -> GttRef:
        data = await self.client.gtt_modify(account.token, request.trigger_id, await self._gtt_form(account, request))
        return GttRef(trigger_id=str(data["trigger_id"]))

    async def gtt_cancel(self, account: Account, request: GttRef) -> GttRef:
        data = await self.client.gtt_cancel(account.token, request.trigger_id)
        return GttRef(trigger_id=str(data["trigger_id"]))

    async def gtt_book(self, account: Account) -> list[GttEntry]:
        rows = await self.client.gtt_book(account.token)
        book = await self._symbols(account)
        return [mapping.gtt_from_upstream(row, book) for row in rows]

    # Login

    @staticmethod
    def _app_credentials(account: Account) -> auth.Credentials:
        stored = account.credentials or {}
        missing = [name for name in ("api_key", "api_secret") if not stored.get(name)]
        if missing:
            raise ValidationFailed(
                f"zerodha needs this user's {' and '.join(missing)} (see brokers/zerodha/README.md)",
                field="credentials",
                broker="zerodha",
            )
        return auth.Credentials(stored["api_key"], stored["api_secret"])

    async def login_url(self, account: Account, request: LoginStart) -> LoginRedirect:
        credentials = self._app_credentials(account)
        return LoginRedirect(url=auth.login_url(credentials.api_key, request.state, self._login_base))

    async def complete_login(self, account: Account, request: LoginCallback) -> SessionGrant:
        credentials = self._app_credentials(account)
        request_token = auth.request_token_from(request.params)
        form = {
            "api_key": credentials.api_key,
            "request_token": request_token,
            "checksum": auth.checksum(credentials.api_key, request_token, credentials.api_secret),
        }
        data = await self.client.create_session(form)
        logged_in_at = auth.login_time(data.get("login_time"), self._clock())
        return SessionGrant(
            token=auth.session_token(credentials.api_key, data["access_token"]),
            valid_until=auth.session_expiry(logged_in_at).astimezone(UTC),
        )

