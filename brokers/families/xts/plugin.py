"""XtsPlugin: the broker contract on Symphony's XTS, for any member; each operation maps, calls and maps back.

A member is data (`XtsProfile`, from its folder's `xts.yaml` and `manifest.yaml`): hosts, `source`,
login kind. Nothing here names a member.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx

from brokers.common.feed import QuoteHandler, UnifiedFeed
from brokers.common.mapping import check_history, find_order, order_detail
from brokers.common.symbols import SymbolBook
from brokers.families.xts import auth, mapping
from brokers.families.xts.auth import Session
from brokers.families.xts.client import XtsClient
from brokers.families.xts.mapping import Lookup
from brokers.families.xts.profile import XtsProfile
from brokers.families.xts.streaming import STREAM_MODES, Connector, Tick, XtsFeed, socket_url, tick_payload
from brokers.families.xts.symbols import parse_master
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
from generated.errors import NotSupported, SymbolNotFound, ValidationFailed


class XtsPlugin:
    """One XTS member for one brokergate: each user's four app keys and two session tokens arrive with the account."""

    def __init__(
        self,
        profile: XtsProfile,
        *,
        interactive_url: str | None = None,
        market_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limits: list[RateLimit] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.profile = profile
        self.broker = profile.broker
        self.manifest = Manifest.model_validate(read_yaml(profile.folder / "manifest.yaml"))
        self._interactive_url = interactive_url or profile.interactive_url
        self._market_url = market_url or profile.market_url
        self.client = XtsClient(
            profile.broker, self._interactive_url, self._market_url, transport=transport,
            rate_limits=self.manifest.rate_limits if rate_limits is None else rate_limits,
        )  # fmt: skip
        self._clock = clock
        self._book: SymbolBook | None = None

    # Symbols: the master is rebuilt once a day (IST).

    async def _symbols(self, session: Session) -> SymbolBook:
        today = self._clock().astimezone(auth.IST).date()
        if self._book is None or self._book.day != today:
            segments = sorted(
                {
                    mapping.SEGMENT_TO_UPSTREAM[exchange]
                    for exchange in self.manifest.exchanges
                    if exchange in mapping.SEGMENT_TO_UPSTREAM
                }
            )
            self._book = SymbolBook(parse_master(await self.client.master(session, segments)), today)
        return self._book

    async def _lookup(self, session: Session) -> Lookup:
        return Lookup(await self._symbols(session), self.broker)

    async def _instrument(self, session: Session, exchange: str, symbol: str) -> InstrumentRecord:
        row = (await self._symbols(session)).to_upstream(exchange, symbol)
        if row is None:
            raise SymbolNotFound(
                f"Symbol {symbol} not found on {exchange} in {self.broker}'s master", broker=self.broker
            )
        return row

    def _session(self, account: Account) -> Session:
        return Session.unpack(account.token, self.broker)

    # Orders

    async def place_order(self, account: Account, request: PlaceOrderRequest) -> PlacedOrder:
        session = self._session(account)
        instrument = await self._instrument(session, request.exchange, request.symbol)
        result = await self.client.place_order(session, mapping.to_upstream_order(request, instrument, self.broker))
        return PlacedOrder(orderid=str(result["AppOrderID"]))

    async def modify_order(self, account: Account, request: ModifyOrderRequest) -> PlacedOrder:
        result = await self.client.modify_order(
            self._session(account), mapping.to_upstream_modification(request, self.broker)
        )
        return PlacedOrder(orderid=str(result["AppOrderID"]), message="Order modified successfully")

    async def cancel_order(self, account: Account, request: OrderRef) -> PlacedOrder:
        result = await self.client.cancel_order(self._session(account), request.orderid, mapping.ORDER_TAG)
        return PlacedOrder(orderid=str(result["AppOrderID"]), message="Order cancelled successfully")

    async def order_status(self, account: Account, request: OrderRef) -> OrderDetail:
        return order_detail(find_order(await self.order_book(account), request.orderid, broker=self.broker))

    async def order_book(self, account: Account) -> OrderBook:
        session = self._session(account)
        return mapping.order_book_from_upstream(await self.client.orders(session) or [], await self._lookup(session))

    async def trade_book(self, account: Account) -> list[Trade]:
        session = self._session(account)
        lookup = await self._lookup(session)
        return [mapping.trade_from_upstream(row, lookup) for row in await self.client.trades(session) or []]

    async def positions(self, account: Account) -> list[Position]:
        session = self._session(account)
        rows = (await self.client.positions(session) or {}).get("positionList") or []
        lookup = await self._lookup(session)
        keys = [(row["ExchangeSegment"], str(row["ExchangeInstrumentId"])) for row in rows]
        last = await self._last_prices(session, keys)
        return [
            mapping.position_from_upstream(row, lookup, last.get(key, 0.0)) for row, key in zip(rows, keys, strict=True)
        ]

    async def holdings(self, account: Account) -> HoldingsBook:
        session = self._session(account)
        result = await self.client.holdings(session) or {}
        entries = list(((result.get("RMSHoldings") or {}).get("Holdings") or {}).values())
        keys = [("NSECM", str(entry.get("ExchangeNSEInstrumentId"))) for entry in entries]
        last = await self._last_prices(session, keys)
        prices = {instrument_id: value for (_, instrument_id), value in last.items()}
        return mapping.holdings_from_upstream(entries, await self._lookup(session), prices)

    async def _last_prices(self, session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], float]:
        """Last prices of (segment, instrument id) pairs: XTS's books carry none."""
        if not keys:
            return {}
        instruments = [
            {"exchangeSegment": mapping.SEGMENT_CODES[segment], "exchangeInstrumentID": int(key)}
            for segment, key in set(keys)
        ]
        quotes = mapping.quotes_from_upstream(await self.client.quotes(session, instruments, mapping.DEPTH))
        return {
            (mapping.SEGMENT_NAMES[code], str(key)): mapping.quote_from_upstream(quote).ltp
            for (code, key), quote in quotes.items()
        }

    async def funds(self, account: Account) -> Funds:
        return mapping.funds_from_upstream(await self.client.balance(self._session(account)) or {})

    async def margin(self, account: Account, request: MarginRequest) -> MarginResult:
        raise NotSupported(f"{self.broker} (XTS) offers no margin calculator", broker=self.broker)

    # Market data

    async def _quotes(self, session: Session, rows: list[InstrumentRecord]) -> dict[tuple[int, int], dict]:
        instruments = [mapping.instrument_of(row) for row in rows]
        return (
            mapping.quotes_from_upstream(await self.client.quotes(session, instruments, mapping.DEPTH))
            if instruments
            else {}
        )

    async def _one_quote(self, account: Account, request: InstrumentRef) -> dict:
        session = self._session(account)
        row = await self._instrument(session, request.exchange, request.symbol)
        quote = (await self._quotes(session, [row])).get(tuple(mapping.instrument_of(row).values()))
        if quote is None:
            raise SymbolNotFound(
                f"{self.broker} has no quote for {request.exchange}:{request.symbol}", broker=self.broker
            )
        return quote

    async def quote(self, account: Account, request: InstrumentRef) -> Quote:
        return mapping.quote_from_upstream(await self._one_quote(account, request))

    async def depth(self, account: Account, request: InstrumentRef) -> MarketDepth:
        return mapping.depth_from_upstream(await self._one_quote(account, request))

    async def multi_quotes(self, account: Account, request: list[InstrumentRef]) -> list[QuoteResult]:
        session = self._session(account)
        book = await self._symbols(session)
        found = [(item, book.to_upstream(item.exchange, item.symbol)) for item in request]
        quotes = await self._quotes(session, [row for _, row in found if row is not None])
        results = []
        for item, row in found:
            quote = quotes.get(tuple(mapping.instrument_of(row).values())) if row else None
            data = mapping.quote_from_upstream(quote) if quote else None
            results.append(
                QuoteResult(
                    symbol=item.symbol, exchange=item.exchange, data=data, error=None if data else "Symbol not found"
                )
            )
        return results

    async def history(self, account: Account, request: HistoryRequest) -> list[Candle]:
        check_history(request, mapping.INTERVAL_TO_UPSTREAM, self.broker, broker=self.broker)
        session = self._session(account)
        row = await self._instrument(session, request.exchange, request.symbol)
        start = datetime.combine(request.start_date, datetime.min.time())
        end = datetime.combine(request.end_date, datetime.min.time()) + timedelta(hours=23, minutes=59, seconds=59)
        params = {
            "exchangeSegment": row.brexchange, "exchangeInstrumentID": str(row.token),
            "startTime": mapping.ohlc_time(start), "endTime": mapping.ohlc_time(end),
            "compressionValue": mapping.INTERVAL_TO_UPSTREAM[request.interval],
        }  # fmt: skip
        return mapping.candles_from_upstream(await self.client.ohlc(session, params) or {})

    async def intervals(self, account: Account) -> IntervalGroups:
        return IntervalGroups.model_validate(mapping.INTERVAL_GROUPS)

    async def symbol_master(self, account: Account) -> list[InstrumentRecord]:
        return (await self._symbols(self._session(account))).records

    def _feed(self, account: Account, on_ticks: Callable, connect: Connector | None) -> XtsFeed:
        session = self._session(account)

        async def subscribe(instruments: list[dict[str, int]], code: int) -> None:
            await self.client.subscribe(session, instruments, code)

        url = socket_url(self._market_url, session.market, session.user_id)
        return XtsFeed(url, on_ticks, subscribe_upstream=subscribe, connect=connect, broker=self.broker)

    async def open_feed(
        self,
        account: Account,
        instruments: list[InstrumentRef],
        on_ticks: Callable[[list[Tick]], Awaitable[None] | None],
        *,
        mode: str = "quote",
        connect: Connector | None = None,
    ) -> XtsFeed:
        """A market-data feed subscribed to `instruments`; the caller runs `feed.run()` and ends it with `stop()`."""
        session = self._session(account)
        rows = [await self._instrument(session, item.exchange, item.symbol) for item in instruments]
        feed = self._feed(account, on_ticks, connect)
        await feed.subscribe([tuple(mapping.instrument_of(row).values()) for row in rows], mode)
        return feed

    async def stream(
        self, account: Account, on_quote: QuoteHandler, *, connect: Connector | None = None
    ) -> UnifiedFeed:
        """The XTS feed in unified terms, for the gateway's WebSocket."""
        session = self._session(account)

        async def resolve(instruments: list) -> dict:
            book = await self._symbols(session)
            found = ((book.to_upstream(item.exchange, item.symbol), item) for item in instruments)
            return {tuple(mapping.instrument_of(row).values()): item for row, item in found if row is not None}

        return UnifiedFeed(
            self._feed(account, on_quote, connect), on_quote, resolve=resolve, key_of=lambda tick: tick.key,
            payload_of=tick_payload, modes=STREAM_MODES,
        )  # fmt: skip

    # XTS has no GTT of its own: the manifest leaves `gtt` out.

    async def gtt_place(self, account: Account, request: GttOrderRequest) -> GttRef:
        raise NotSupported(f"{self.broker} (XTS) has no GTT orders", broker=self.broker)

    async def gtt_modify(self, account: Account, request: ModifyGttOrderRequest) -> GttRef:
        raise NotSupported(f"{self.broker} (XTS) has no GTT orders", broker=self.broker)

    async def gtt_cancel(self, account: Account, request: GttRef) -> GttRef:
        raise NotSupported(f"{self.broker} (XTS) has no GTT orders", broker=self.broker)

    async def gtt_book(self, account: Account) -> list[GttEntry]:
        raise NotSupported(f"{self.broker} (XTS) has no GTT orders", broker=self.broker)

    # Login: both sessions, from the user's two app-key pairs; `redirect` members first visit the broker's page.

    async def login_url(self, account: Account, request: LoginStart) -> LoginRedirect:
        if self.profile.login != "redirect":
            raise NotSupported(
                f"{self.broker} logs in with the stored app keys; there is no login page", broker=self.broker
            )
        keys = auth.app_keys(account.credentials, self.broker)
        return LoginRedirect(
            url=auth.thirdparty_url(self._interactive_url, keys["api_key"], request.redirect_url, request.state)
        )

    async def complete_login(self, account: Account, request: LoginCallback) -> SessionGrant:
        keys = auth.app_keys(account.credentials, self.broker)
        form = {"appKey": keys["api_key"], "secretKey": keys["api_secret"], "source": self.profile.source}
        if self.profile.login == "redirect":
            unique_key = (request.params or {}).get("session", "")
            if not unique_key:
                raise ValidationFailed(
                    f"the {self.broker} login redirect carried no session key", field="session", broker=self.broker
                )
            form["uniqueKey"] = unique_key
        interactive = await self.client.interactive_login(form)
        market = await self.client.market_login(
            {"appKey": keys["market_api_key"], "secretKey": keys["market_api_secret"], "source": self.profile.source}
        )
        session = Session(str(interactive["token"]), str(market["token"]), str(interactive["userID"]))
        return SessionGrant(token=session.pack(), valid_until=auth.session_expiry(self._clock()).astimezone(UTC))
