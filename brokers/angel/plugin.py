"""AngelPlugin: the broker contract on Angel One SmartAPI; each operation maps, calls and maps back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from brokers.angel import auth, mapping
from brokers.angel.client import API_URL, MASTER_URL, AngelClient
from brokers.angel.streaming import (
    EXCHANGE_TYPES,
    FEED_URL,
    STREAM_MODES,
    AngelFeed,
    Connector,
    Tick,
    feed_headers,
    unified_payload,
    websocket_connector,
)
from brokers.angel.symbols import SymbolBook, parse_master
from brokers.common.feed import QuoteHandler, UnifiedFeed
from brokers.common.gtt import limit_legs_only
from brokers.common.mapping import check_history, find_order, order_detail
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
from generated.errors import BrokerBadResponse, NotSupported, OrderNotFound, SymbolNotFound, ValidationFailed

MANIFEST = Manifest.model_validate(read_yaml(Path(__file__).parent / "manifest.yaml"))
BROKER = "angel"


class AngelPlugin:
    """SmartAPI for one brokergate: each user's session arrives with every call in `account.token`."""

    manifest = MANIFEST

    def __init__(
        self,
        *,
        base_url: str = API_URL,
        master_url: str = MASTER_URL,
        feed_url: str = FEED_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limits: list[RateLimit] | None = None,
        local_ip: str = "127.0.0.1",
        public_ip: str = "127.0.0.1",
        mac_address: str = "00:00:00:00:00:00",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = AngelClient(
            base_url=base_url,
            master_url=master_url,
            transport=transport,
            rate_limits=MANIFEST.rate_limits if rate_limits is None else rate_limits,
            local_ip=local_ip,
            public_ip=public_ip,
            mac_address=mac_address,
        )
        self._feed_url = feed_url
        self._clock = clock
        self._book: SymbolBook | None = None

    # Symbols: Angel publishes a new scrip master every morning, so the book is rebuilt once a day (IST).

    async def _symbols(self) -> SymbolBook:
        today = self._clock().astimezone(auth.IST).date()
        if self._book is None or self._book.day != today:
            self._book = SymbolBook(parse_master(await self.client.master()), today)
        return self._book

    async def _instrument(self, exchange: str, symbol: str) -> InstrumentRecord:
        row = (await self._symbols()).to_upstream(exchange, symbol)
        if row is None:
            raise SymbolNotFound(f"Symbol {symbol} not found on {exchange} in angel's scrip master", broker=BROKER)
        return row

    # Orders

    async def place_order(self, account: Account, request: PlaceOrderRequest) -> PlacedOrder:
        session = auth.decode_session(account.token)
        body = mapping.to_upstream_order(request, await self._instrument(request.exchange, request.symbol))
        data = await self.client.place_order(session, body)
        return PlacedOrder(orderid=str(data["orderid"]))

    async def modify_order(self, account: Account, request: ModifyOrderRequest) -> PlacedOrder:
        session = auth.decode_session(account.token)
        body = mapping.to_upstream_modification(request, await self._instrument(request.exchange, request.symbol))
        data = await self.client.modify_order(session, body)
        return PlacedOrder(orderid=str(data.get("orderid") or request.orderid), message="Order modified successfully")

    async def cancel_order(self, account: Account, request: OrderRef) -> PlacedOrder:
        session = auth.decode_session(account.token)
        # cancelOrder must name the order's variety, which only the order book knows.
        variety = mapping.variety_of(await self.client.orders(session), request.orderid)
        if variety is None:
            raise OrderNotFound(f"Order {request.orderid} not found", order_id=request.orderid, broker=BROKER)
        data = await self.client.cancel_order(session, {"variety": variety, "orderid": request.orderid})
        return PlacedOrder(orderid=str(data.get("orderid") or request.orderid), message="Order cancelled successfully")

    async def order_status(self, account: Account, request: OrderRef) -> OrderDetail:
        return order_detail(find_order(await self.order_book(account), request.orderid, broker=BROKER))

    async def order_book(self, account: Account) -> OrderBook:
        rows = await self.client.orders(auth.decode_session(account.token))
        return mapping.order_book_from_upstream(rows, await self._symbols())

    async def trade_book(self, account: Account) -> list[Trade]:
        rows = await self.client.trades(auth.decode_session(account.token))
        book = await self._symbols()
        return [mapping.trade_from_upstream(row, book) for row in rows]

    async def positions(self, account: Account) -> list[Position]:
        rows = await self.client.positions(auth.decode_session(account.token))
        book = await self._symbols()
        return [mapping.position_from_upstream(row, book) for row in rows]

    async def holdings(self, account: Account) -> HoldingsBook:
        data = await self.client.holdings(auth.decode_session(account.token))
        return mapping.holdings_from_upstream(data, await self._symbols())

    async def funds(self, account: Account) -> Funds:
        return mapping.funds_from_upstream(await self.client.funds(auth.decode_session(account.token)))

    async def margin(self, account: Account, request: MarginRequest) -> MarginResult:
        session = auth.decode_session(account.token)
        instruments = [await self._instrument(item.exchange, item.symbol) for item in request.positions]
        data = await self.client.margin(session, mapping.to_upstream_margin_positions(request, instruments))
        return mapping.margin_from_upstream(data)

    # Market data

    async def _quotes(self, account: Account, instruments: list[InstrumentRecord]) -> dict:
        """Quote rows by (exchange, token), asked for in batches of the most one request may name."""
        session, rows = auth.decode_session(account.token), {}
        for start in range(0, len(instruments), mapping.QUOTE_BATCH):
            tokens = mapping.to_upstream_tokens(instruments[start : start + mapping.QUOTE_BATCH])
            rows |= mapping.quotes_by_token(await self.client.quote(session, mapping.QUOTE_MODE, tokens))
        return rows

    async def _quote_row(self, account: Account, request: InstrumentRef) -> dict:
        instrument = await self._instrument(request.exchange, request.symbol)
        row = (await self._quotes(account, [instrument])).get((instrument.brexchange, instrument.token))
        if row is None:
            raise SymbolNotFound(f"angel has no quote for {request.exchange}:{request.symbol}", broker=BROKER)
        return row

    async def quote(self, account: Account, request: InstrumentRef) -> Quote:
        return mapping.quote_from_upstream(await self._quote_row(account, request))

    async def depth(self, account: Account, request: InstrumentRef) -> MarketDepth:
        return mapping.depth_from_upstream(await self._quote_row(account, request))

    async def multi_quotes(self, account: Account, request: list[InstrumentRef]) -> list[QuoteResult]:
        book = await self._symbols()
        found = {(item.exchange, item.symbol): book.to_upstream(item.exchange, item.symbol) for item in request}
        rows = await self._quotes(account, [row for row in found.values() if row is not None])
        results = []
        for item in request:
            instrument = found[(item.exchange, item.symbol)]
            row = rows.get((instrument.brexchange, instrument.token)) if instrument else None
            if row is None:
                results.append(QuoteResult(symbol=item.symbol, exchange=item.exchange, error="Symbol not found"))
            else:
                results.append(
                    QuoteResult(symbol=item.symbol, exchange=item.exchange, data=mapping.quote_from_upstream(row))
                )
        return results

    async def history(self, account: Account, request: HistoryRequest) -> list[Candle]:
        check_history(request, mapping.INTERVAL_TO_UPSTREAM, BROKER, mapping.MAX_DAYS, broker=BROKER)
        session = auth.decode_session(account.token)
        instrument = await self._instrument(request.exchange, request.symbol)
        body = mapping.candle_request(instrument, request.interval, str(request.start_date), str(request.end_date))
        rows = await self.client.candles(session, body)
        return [mapping.candle_from_upstream(row, request.interval) for row in rows]

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
    ) -> AngelFeed:
        """A SmartStream feed subscribed to `instruments`; the caller runs `feed.run()` and ends it with `stop()`."""
        session = auth.decode_session(account.token)
        keys = []
        for item in instruments:
            row = await self._instrument(item.exchange, item.symbol)
            keys.append((EXCHANGE_TYPES[row.brexchange], row.token))
        headers = feed_headers(session.api_key, session.client_code, session.jwt_token, session.feed_token)
        feed = AngelFeed(self._feed_url, on_ticks, connect=connect or websocket_connector(headers))
        await feed.subscribe(keys, mode)
        return feed

    async def stream(
        self, account: Account, on_quote: QuoteHandler, *, connect: Connector | None = None
    ) -> UnifiedFeed:
        """SmartStream in unified terms, for the gateway's WebSocket: subscribe by symbol, hear canonical payloads."""
        session = auth.decode_session(account.token)
        headers = feed_headers(session.api_key, session.client_code, session.jwt_token, session.feed_token)
        feed = AngelFeed(self._feed_url, lambda ticks: None, connect=connect or websocket_connector(headers))

        async def resolve(instruments: list) -> dict:
            book = await self._symbols()
            keys = {}
            for item in instruments:
                row = book.to_upstream(item.exchange, item.symbol)
                if row is not None and row.brexchange in EXCHANGE_TYPES:
                    keys[(EXCHANGE_TYPES[row.brexchange], row.token)] = item
            return keys

        return UnifiedFeed(
            feed,
            on_quote,
            resolve=resolve,
            key_of=lambda tick: (tick.exchange_type, tick.token),
            payload_of=unified_payload,
            modes=STREAM_MODES,
        )

    # GTT: Angel's rules (gtt/v1); the request arrives normalized by gateway.gtt.

    async def _gtt_instrument(self, request: GttOrderRequest | ModifyGttOrderRequest) -> InstrumentRecord:
        if request.exchange not in mapping.GTT_EXCHANGES:
            raise NotSupported(f"angel GTT rules cover NSE and BSE only, not {request.exchange}", broker=BROKER)
        limit_legs_only(request, BROKER)
        return await self._instrument(request.exchange, request.symbol)

    async def gtt_place(self, account: Account, request: GttOrderRequest) -> GttRef:
        body = mapping.to_upstream_gtt_rule(request, await self._gtt_instrument(request))
        data = await self.client.gtt_create(auth.decode_session(account.token), body)
        return GttRef(trigger_id=str(data["id"]))

    async def gtt_modify(self, account: Account, request: ModifyGttOrderRequest) -> GttRef:
        body = mapping.to_upstream_gtt_modification(request, await self._gtt_instrument(request))
        data = await self.client.gtt_modify(auth.decode_session(account.token), body)
        return GttRef(trigger_id=str(data.get("id") or request.trigger_id))

    async def gtt_cancel(self, account: Account, request: GttRef) -> GttRef:
        # cancelRule names the rule's instrument, which only the rule's details know.
        session = auth.decode_session(account.token)
        rule = await self.client.gtt_details(session, request.trigger_id)
        body = {
            "id": request.trigger_id,
            "symboltoken": str(rule.get("symboltoken", "")),
            "exchange": str(rule.get("exchange", "")),
        }
        data = await self.client.gtt_cancel(session, body)
        return GttRef(trigger_id=str(data.get("id") or request.trigger_id))

    async def gtt_book(self, account: Account) -> list[GttEntry]:
        session, rows = auth.decode_session(account.token), []
        for page in range(1, mapping.GTT_MAX_PAGES + 1):
            batch = mapping.gtt_rows(
                await self.client.gtt_list(session, mapping.GTT_LIST_STATUSES, page, mapping.GTT_PAGE)
            )
            rows += batch
            if len(batch) < mapping.GTT_PAGE:
                break
        book = await self._symbols()
        return [mapping.gtt_from_upstream(row, book) for row in rows]

    # Login: a form (client code, PIN, TOTP), not a redirect.

    async def login_url(self, account: Account, request: LoginStart) -> LoginRedirect:
        raise NotSupported("angel logs in with a form (client code, PIN and TOTP), not a redirect", broker=BROKER)

    async def complete_login(self, account: Account, request: LoginCallback) -> SessionGrant:
        credentials = account.credentials or {}
        api_key = (credentials.get("api_key") or "").strip()
        if not api_key:
            raise ValidationFailed(
                "angel needs this user's SmartAPI api_key (see brokers/angel/README.md)",
                field="credentials",
                broker=BROKER,
            )
        body = auth.login_body(request.params, credentials)
        data = await self.client.login(api_key, body)
        jwt_token, feed_token = str(data.get("jwtToken") or ""), str(data.get("feedToken") or "")
        if not jwt_token:
            raise BrokerBadResponse("angel answered the login without a jwtToken", broker=BROKER)
        session = auth.Session(api_key, body["clientcode"], jwt_token.removeprefix("Bearer "), feed_token)
        return SessionGrant(token=session.encode(), valid_until=auth.session_expiry(session.jwt_token, self._clock()))
