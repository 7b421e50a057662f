"""FyersPlugin: the broker contract on Fyers API v3; each operation maps, calls and maps back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from brokers.common.feed import Connector, QuoteHandler, TickHandler, UnifiedFeed, websocket_connector
from brokers.common.gtt import limit_legs_only
from brokers.common.mapping import check_history, find_order, order_detail
from brokers.common.symbols import SymbolBook
from brokers.fyers import auth, mapping
from brokers.fyers.client import API_URL, MASTER_FILES, MASTER_URL, FyersClient
from brokers.fyers.streaming import FEED_MODES, FEED_URL, FyersFeed, tick_payload, topic_name
from brokers.fyers.symbols import parse_master
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
from generated.errors import BrokerSessionExpired, NotSupported, SymbolNotFound

BROKER = "fyers"
MANIFEST = Manifest.model_validate(read_yaml(Path(__file__).parent / "manifest.yaml"))


class FyersPlugin:
    """Fyers API v3 for one brokergate: users' tokens arrive with each call in `account.token`."""

    manifest = MANIFEST

    def __init__(
        self,
        *,
        base_url: str = API_URL,
        master_url: str = MASTER_URL,
        feed_url: str = FEED_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limits: list[RateLimit] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = FyersClient(
            base_url=base_url,
            master_url=master_url,
            transport=transport,
            rate_limits=MANIFEST.rate_limits if rate_limits is None else rate_limits,
        )
        self._base_url = base_url
        self._feed_url = feed_url
        self._clock = clock
        self._book: SymbolBook | None = None

    # Symbols: the master files change every morning, so the book is rebuilt once a day (IST).

    async def _symbols(self) -> SymbolBook:
        today = self._clock().astimezone(auth.IST).date()
        if self._book is None or self._book.day != today:
            texts = await asyncio.gather(*(self.client.master_file(name) for name in MASTER_FILES))
            self._book = SymbolBook([row for text in texts for row in parse_master(text)], today)
        return self._book

    async def _instrument(self, exchange: str, symbol: str) -> InstrumentRecord:
        row = (await self._symbols()).to_upstream(exchange, symbol)
        if row is None:
            raise SymbolNotFound(f"Symbol {symbol} not found on {exchange} in fyers' symbol master", broker=BROKER)
        return row

    # Orders

    async def place_order(self, account: Account, request: PlaceOrderRequest) -> PlacedOrder:
        instrument = await self._instrument(request.exchange, request.symbol)
        body = await self.client.place_order(account.token, mapping.to_upstream_order(request, instrument))
        return PlacedOrder(orderid=str(body["id"]))

    async def modify_order(self, account: Account, request: ModifyOrderRequest) -> PlacedOrder:
        body = await self.client.modify_order(account.token, mapping.to_upstream_modification(request))
        return PlacedOrder(orderid=str(body.get("id") or request.orderid), message="Order modified successfully")

    async def cancel_order(self, account: Account, request: OrderRef) -> PlacedOrder:
        body = await self.client.cancel_order(account.token, request.orderid)
        return PlacedOrder(orderid=str(body.get("id") or request.orderid), message="Order cancelled successfully")

    async def order_status(self, account: Account, request: OrderRef) -> OrderDetail:
        return order_detail(find_order(await self.order_book(account), request.orderid, broker=BROKER))

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
        lines = await self.client.funds(account.token)
        return mapping.funds_from_upstream(lines, await self.client.positions(account.token))

    async def margin(self, account: Account, request: MarginRequest) -> MarginResult:
        instruments = [await self._instrument(item.exchange, item.symbol) for item in request.positions]
        data = await self.client.order_margin(account.token, mapping.to_upstream_margin_orders(request, instruments))
        return mapping.margin_from_upstream(data)

    # Market data

    async def quote(self, account: Account, request: InstrumentRef) -> Quote:
        instrument = await self._instrument(request.exchange, request.symbol)
        found = mapping.quotes_by_symbol(await self.client.quotes(account.token, [instrument.brsymbol]))
        if instrument.brsymbol not in found:
            raise SymbolNotFound(f"fyers has no quote for {instrument.brsymbol}", broker=BROKER)
        return mapping.quote_from_upstream(found[instrument.brsymbol])

    async def multi_quotes(self, account: Account, request: list[InstrumentRef]) -> list[QuoteResult]:
        book = await self._symbols()
        rows = {(item.exchange, item.symbol): book.to_upstream(item.exchange, item.symbol) for item in request}
        tickers = sorted({row.brsymbol for row in rows.values() if row is not None})
        found = mapping.quotes_by_symbol(await self.client.quotes(account.token, tickers)) if tickers else {}
        results = []
        for item in request:
            row = rows[(item.exchange, item.symbol)]
            values = found.get(row.brsymbol) if row else None
            if values is None:
                results.append(QuoteResult(symbol=item.symbol, exchange=item.exchange, error="Symbol not found"))
            else:
                results.append(
                    QuoteResult(symbol=item.symbol, exchange=item.exchange, data=mapping.quote_from_upstream(values))
                )
        return results

    async def depth(self, account: Account, request: InstrumentRef) -> MarketDepth:
        instrument = await self._instrument(request.exchange, request.symbol)
        data = await self.client.depth(account.token, instrument.brsymbol)
        if instrument.brsymbol not in data:
            raise SymbolNotFound(f"fyers has no depth for {instrument.brsymbol}", broker=BROKER)
        return mapping.depth_from_upstream(data[instrument.brsymbol])

    async def history(self, account: Account, request: HistoryRequest) -> list[Candle]:
        check_history(request, mapping.INTERVAL_TO_UPSTREAM, BROKER, broker=BROKER)
        instrument = await self._instrument(request.exchange, request.symbol)
        params = mapping.history_params(
            instrument.brsymbol, request.interval, str(request.start_date), str(request.end_date)
        )
        return [mapping.candle_from_upstream(row) for row in await self.client.history(account.token, params)]

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
    ) -> FyersFeed:
        """A data-socket feed subscribed to `instruments`; the caller runs `feed.run()` and ends it with `stop()`."""
        if mode not in FyersFeed.modes:
            raise NotSupported(
                f"the fyers feed has modes {', '.join(FyersFeed.modes)}, not {mode!r}", field="mode", broker=BROKER
            )
        rows = [await self._instrument(item.exchange, item.symbol) for item in instruments]
        feed = self._feed(account, on_ticks, connect)
        await feed.subscribe([topic_name(row.token, row.instrumenttype == "INDEX") for row in rows], mode)
        return feed

    async def stream(
        self, account: Account, on_quote: QuoteHandler, *, connect: Connector | None = None
    ) -> UnifiedFeed:
        """The data socket in unified terms: subscribe (exchange, symbol), hear canonical payloads."""

        async def resolve(instruments: list) -> dict[str, object]:
            book, keys = await self._symbols(), {}
            for item in instruments:
                row = book.to_upstream(item.exchange, item.symbol)
                try:
                    keys[topic_name(row.token, row.instrumenttype == "INDEX")] = item
                except (AttributeError, ValueError):  # not in the master, or in a segment the socket does not serve
                    continue
            return keys

        feed = self._feed(account, lambda ticks: None, connect)
        return UnifiedFeed(
            feed, on_quote, resolve=resolve, key_of=lambda tick: tick.topic, payload_of=tick_payload, modes=FEED_MODES
        )

    def _feed(self, account: Account, on_ticks: TickHandler, connect: Connector | None) -> FyersFeed:
        _, access_token = auth.split_session_token(account.token)
        hsm_key = auth.token_claims(access_token).get("hsm_key")
        if not hsm_key:
            raise BrokerSessionExpired(
                "the fyers access token carries no hsm_key; log in to the broker again", broker=BROKER
            )
        headers = {"Authorization": account.token or ""}
        return FyersFeed(self._feed_url, on_ticks, connect=connect or websocket_connector(headers), hsm_key=hsm_key)

    # GTT: Fyers' GTT orders (single and OCO); the request arrives normalized by gateway.gtt.

    async def gtt_place(self, account: Account, request: GttOrderRequest) -> GttRef:
        limit_legs_only(request, BROKER)
        instrument = await self._instrument(request.exchange, request.symbol)
        data = await self.client.gtt_place(account.token, mapping.to_upstream_gtt(request, instrument))
        return GttRef(trigger_id=str(data["id"]))

    async def gtt_modify(self, account: Account, request: ModifyGttOrderRequest) -> GttRef:
        limit_legs_only(request, BROKER)
        data = await self.client.gtt_modify(account.token, mapping.to_upstream_gtt_modification(request))
        return GttRef(trigger_id=str(data.get("id") or request.trigger_id))

    async def gtt_cancel(self, account: Account, request: GttRef) -> GttRef:
        data = await self.client.gtt_cancel(account.token, request.trigger_id)
        return GttRef(trigger_id=str(data.get("id") or request.trigger_id))

    async def gtt_book(self, account: Account) -> list[GttEntry]:
        rows = await self.client.gtt_orders(account.token)
        book = await self._symbols()
        return [mapping.gtt_from_upstream(row, book) for row in rows]

    # Login

    async def login_url(self, account: Account, request: LoginStart) -> LoginRedirect:
        credentials = auth.credentials_of(account)
        return LoginRedirect(
            url=auth.login_url(self._base_url, credentials.api_key, request.redirect_url, request.state)
        )

    async def complete_login(self, account: Account, request: LoginCallback) -> SessionGrant:
        credentials = auth.credentials_of(account)
        body = {
            "grant_type": "authorization_code",
            "appIdHash": auth.app_id_hash(credentials.api_key, credentials.api_secret),
            "code": auth.auth_code_from(request.params),
        }
        answer = await self.client.validate_authcode(body)
        access_token = str(answer.get("access_token") or "")
        if not access_token:
            raise BrokerSessionExpired("fyers validated the auth code but sent no access_token", broker=BROKER)
        return SessionGrant(
            token=auth.session_token(credentials.api_key, access_token),
            valid_until=auth.session_expiry(access_token, self._clock()),
        )
