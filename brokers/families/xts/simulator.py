"""An XTS server for offline tests, for any member: the interactive and market-data APIs and the socket.io
feed, backed by the sandbox exchange core.

Orders placed here really fill on the offline market; answers use XTS's envelopes (`{"type":
"success", "code", "description", "result"}`), its field names and mixed-case values (`Buy`,
`StopLimit`, `Filled`), numbers as strings where XTS sends strings, segment names and numbers, and
the master's `|`-separated rows. A member's profile decides the login: straight with the app keys,
or through `/interactive/thirdparty` first. Tests can expire sessions, throttle, refuse the next
order or drop the feed; every request is recorded with its rate class.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from brokers.common.simulator import FeedSession, InstrumentNames, SimRow, SimulatedBroker, as_float, is_index, ist_text
from brokers.families.xts import mapping
from brokers.families.xts.auth import Session
from brokers.families.xts.plugin import XtsPlugin
from brokers.families.xts.profile import XtsProfile
from brokers.families.xts.symbols import INDEX_NAMES
from generated.contract import Account
from generated.errors import BrokergateError, InsufficientFunds, OrderNotFound, OrderNotModifiable, OrderRejected
from sandbox.engine import ModifyRequest, OrderRequest
from sandbox.market import Instrument, InstrumentType, OfflineMarket

UPSTREAM_SPEC = Path(__file__).resolve().parents[3] / "contracts" / "upstream" / "xts.yaml"
BASE_URL = "http://xts.simulator"
USER_ID = "XTSSIM01"
_SEGMENT_OF = {"NSE_INDEX": "NSECM", "BSE_INDEX": "BSECM"} | mapping.SEGMENT_TO_UPSTREAM
_INDEX_NAME_OF = {unified: printed for printed, unified in INDEX_NAMES.items()}
_STATUS = {
    "open": "New",
    "trigger pending": "New",
    "complete": "Filled",
    "rejected": "Rejected",
    "cancelled": "Cancelled",
}
_ORDER_TYPES = {"MARKET": "Market", "LIMIT": "Limit", "SL": "StopLimit", "SL-M": "StopMarket"}
# A stop that has triggered rests as its limit (or market) order, as XTS shows it.
_TRIGGERED = {"SL": "Limit", "SL-M": "Market"}
_SIDES = {"BUY": "Buy", "SELL": "Sell"}
_SERIES = {InstrumentType.EQUITY: "EQ", InstrumentType.INDEX: "INDEX"}
_MONTH_CODES = "123456789OND"  # the exchanges' one-character month in weekly option symbols


def _description(instrument: Instrument, is_monthly: bool) -> str:
    """The master's Description: NSE's own trading symbol (monthly and weekly options spelled apart)."""
    kind = instrument.instrument_type
    if kind is InstrumentType.INDEX:
        return _INDEX_NAME_OF.get(instrument.symbol, instrument.symbol)
    if kind is InstrumentType.EQUITY:
        return f"{instrument.symbol}-EQ"
    expiry = instrument.expiry
    stem = f"{instrument.name}{expiry:%y}"
    if kind is InstrumentType.FUTURE:
        return f"{stem}{expiry:%b}FUT".upper()
    strike = f"{instrument.strike:g}"
    when = f"{expiry:%b}".upper() if is_monthly else f"{_MONTH_CODES[expiry.month - 1]}{expiry:%d}"
    return f"{stem}{when}{strike}{kind.value}"


def _names(instrument: Instrument, is_monthly: bool) -> tuple[str, str]:
    return _SEGMENT_OF[instrument.exchange], _description(instrument, is_monthly)


def _series(instrument: Instrument) -> str:
    """FUTIDX, OPTSTK, FUTCOM, OPTCUR...: what the contract is on (index, stock, commodity, currency)."""
    if instrument.instrument_type in _SERIES:
        return _SERIES[instrument.instrument_type]
    underlying = {"MCX": "COM" if instrument.instrument_type is InstrumentType.FUTURE else "FUT", "CDS": "CUR"}
    family = underlying.get(instrument.exchange) or ("IDX" if instrument.name in _INDEX_NAME_OF else "STK")
    return f"{'FUT' if instrument.instrument_type is InstrumentType.FUTURE else 'OPT'}{family}"


class XtsError(Exception):
    def __init__(self, status: int, code: str, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status, self.code, self.description, self.headers = status, code, description, headers or {}


def _success(result: Any, code: str = "s-response-0001") -> JSONResponse:
    return JSONResponse({"type": "success", "code": code, "description": "Request sent", "result": result})


def rate_class(method: str, path: str) -> str:
    if path == "/interactive/orders" and method in ("POST", "PUT", "DELETE"):
        return "orders"
    if path.endswith("/instruments/quotes"):
        return "quotes"
    if path.endswith("/instruments/ohlc"):
        return "history"
    return "other"


class XtsSimulator(SimulatedBroker):
    """One member's XTS for one simulated account (engine user 1), on its own in-memory sandbox exchange."""

    upstream_spec = UPSTREAM_SPEC  # every member's requests are checked against the family's description

    def __init__(
        self, profile: XtsProfile, market: OfflineMarket | None = None, *, feed_interval: float = 0.05
    ) -> None:
        super().__init__(market, feed_interval=feed_interval)
        self.profile = profile
        self.broker = profile.broker
        self.redirect_url = f"http://127.0.0.1:5000/{profile.broker}/callback"
        self.credentials = {
            "api_key": f"{profile.broker}-interactive-key", "api_secret": f"{profile.broker}-interactive-secret",
            "market_api_key": f"{profile.broker}-market-key", "market_api_secret": f"{profile.broker}-market-secret",
        }  # fmt: skip
        self.names = InstrumentNames(_names, first_token=2001)
        self._market_tokens: set[str] = set()
        self._unique_keys: set[str] = set()
        self.app = Starlette(
            routes=[
                Route("/interactive/thirdparty", self._login_page, methods=["GET"]),
                Route("/interactive/user/session", self._interactive_login, methods=["POST"]),
                Route("/apimarketdata/auth/login", self._market_login, methods=["POST"]),
                Route("/openapi.yaml", self._spec, methods=["GET"]),
                Route("/interactive/orders", self._guarded(self._orders), methods=["GET"]),
                Route("/interactive/orders", self._guarded(self._place), methods=["POST"]),
                Route("/interactive/orders", self._guarded(self._modify), methods=["PUT"]),
                Route("/interactive/orders", self._guarded(self._cancel), methods=["DELETE"]),
                Route("/interactive/orders/trades", self._guarded(self._trades), methods=["GET"]),
                Route("/interactive/portfolio/positions", self._guarded(self._positions), methods=["GET"]),
                Route("/interactive/portfolio/holdings", self._guarded(self._holdings), methods=["GET"]),
                Route("/interactive/user/balance", self._guarded(self._balance), methods=["GET"]),
                Route("/apimarketdata/instruments/quotes", self._guarded(self._quotes, market=True), methods=["POST"]),
                Route(
                    "/apimarketdata/instruments/subscription",
                    self._guarded(self._subscribe, market=True),
                    methods=["POST"],
                ),
                Route("/apimarketdata/instruments/ohlc", self._guarded(self._ohlc, market=True), methods=["GET"]),
                Route("/apimarketdata/instruments/master", self._guarded(self._master, market=True), methods=["POST"]),
            ]
        )

    # Controls for tests

    def plugin(self, transport: httpx.AsyncBaseTransport | None = None, **overrides: Any) -> XtsPlugin:
        """The member's plugin talking to this simulator (through `transport`, default straight to the app)."""
        transport = transport or httpx.ASGITransport(app=self.app)
        return XtsPlugin(self.profile, interactive_url=BASE_URL, market_url=BASE_URL, transport=transport, **overrides)

    def issue_session(self) -> Account:
        """A logged-in account without the login flow, for tests that are about something else."""
        market = self.new_token()
        self._market_tokens.add(market)
        token = Session(self.new_token(), market, USER_ID).pack()
        return Account(user_id=self.user_id, broker=self.broker, token=token, credentials=self.credentials)

    def expire_sessions(self) -> None:
        super().expire_sessions()
        self._market_tokens.clear()

    def feed_connector(self):
        """A socket.io connector for XtsFeed that reaches this simulator without sockets."""

        @asynccontextmanager
        async def connect(url: str) -> AsyncIterator[XtsFeedSession]:
            query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
            token = query.get("token", "")
            if token not in self._market_tokens or not self.is_valid_token(token) or query.get("EIO") != "3":
                raise ConnectionRefusedError("the xts socket refused the token (HTTP 401)")
            async with self.feed_session(XtsFeedSession(self, token)) as session:
                yield session

        return connect

    # Plumbing

    def _guarded(self, handler, *, market: bool = False):
        async def guarded(request: Request) -> Response:
            path = request.url.path
            self.record(request.method, path, rate_class(request.method, path))
            try:
                if (retry_after := self.take_throttle()) is not None:
                    raise XtsError(429, "e-response-0429", "Too many requests", {"Retry-After": str(retry_after)})
                token = request.headers.get("authorization", "")
                if not self.is_valid_token(token) or (token in self._market_tokens) is not market:
                    raise XtsError(401, "e-session-0002", "Invalid Token")
                self.names.refresh(self.market)
                return await handler(request)
            except XtsError as e:
                return self._error(e)

        return guarded

    @staticmethod
    def _error(error: XtsError) -> JSONResponse:
        body = {"type": "error", "code": error.code, "description": error.description, "result": {}}
        return JSONResponse(body, status_code=error.status, headers=error.headers)

    def _row(self, segment: str, instrument_id: Any) -> SimRow:
        row = self.names.token(int(instrument_id)) if str(instrument_id).isdigit() else None
        if row is None or row.exchange != segment:
            raise XtsError(400, "e-instrument-0001", f"Instrument {instrument_id} is not listed in {segment}")
        return row

    def _engine_error(self, error: BrokergateError) -> XtsError:
        if isinstance(error, InsufficientFunds):
            return XtsError(400, "e-rms-0001", error.message)
        if isinstance(error, OrderRejected | OrderNotModifiable):
            return XtsError(400, "e-orders-0002", error.message)
        if isinstance(error, OrderNotFound):
            return XtsError(400, "e-validation-0004", "AppOrderID is not valid")
        return XtsError(400, "e-validation-0001", error.message)

    # Sessions

    async def _login_page(self, request: Request) -> Response:
        # The user signs in at once; the broker sends them back with a one-time session key.
        if self.profile.login != "redirect" or request.query_params.get("appKey") != self.credentials["api_key"]:
            return PlainTextResponse("Invalid appKey", status_code=400)
        unique_key = secrets.token_hex(12)
        self._unique_keys.add(unique_key)
        back = request.query_params.get("returnURL", self.redirect_url)
        return RedirectResponse(f"{back}{'&' if '?' in back else '?'}session={unique_key}", status_code=302)

    async def _login(self, request: Request, key: str, secret: str, path: str) -> dict:
        self.record("POST", path, "other")
        body = await request.json()
        if body.get("appKey") != self.credentials[key] or body.get("secretKey") != self.credentials[secret]:
            raise XtsError(400, "e-user-0005", "Invalid appKey or secretKey")
        if body.get("source") != self.profile.source:
            raise XtsError(400, "e-user-0006", f"source must be {self.profile.source}")
        return body

    async def _interactive_login(self, request: Request) -> Response:
        try:
            body = await self._login(request, "api_key", "api_secret", "/interactive/user/session")
            if self.profile.login == "redirect":
                if body.get("uniqueKey") not in self._unique_keys:
                    raise XtsError(400, "e-session-0007", "uniqueKey is invalid or was used")
                self._unique_keys.discard(body["uniqueKey"])
        except XtsError as e:
            return self._error(e)
        result = {"token": self.new_token(), "userID": USER_ID, "isInvestorClient": True,
                  "clientCodes": [USER_ID], "exchangeSegmentList": list(mapping.SEGMENT_CODES)}  # fmt: skip
        return _success(result, "s-user-0001")

    async def _market_login(self, request: Request) -> Response:
        try:
            await self._login(request, "market_api_key", "market_api_secret", "/apimarketdata/auth/login")
        except XtsError as e:
            return self._error(e)
        token = self.new_token()
        self._market_tokens.add(token)
        return _success({"token": token, "userID": USER_ID, "appVersion": "simulated"}, "s-user-0001")

    async def _spec(self, request: Request) -> Response:
        return PlainTextResponse(UPSTREAM_SPEC.read_text(), media_type="application/yaml")

    # Orders

    async def _place(self, request: Request) -> Response:
        if (reason := self.take_refusal()) is not None:
            raise XtsError(400, "e-rms-0004", reason)
        body = await request.json()
        row = self._row(str(body.get("exchangeSegment")), body.get("exchangeInstrumentID"))
        order = OrderRequest(
            exchange=row.instrument.exchange,
            symbol=row.instrument.symbol,
            action=str(body.get("orderSide", "")).upper(),
            quantity=int(body.get("orderQuantity") or 0),
            price_type=mapping.PRICE_TYPE_FROM_UPSTREAM.get(str(body.get("orderType", "")).upper(), "?"),
            product=str(body.get("productType")),
            price=Decimal(str(body.get("limitPrice") or 0)),
            trigger_price=Decimal(str(body.get("stopPrice") or 0)),
            strategy=str(body.get("orderUniqueIdentifier") or ""),
        )
        try:
            order_id = await self.engine.place_order(self.user_id, order)
        except BrokergateError as e:
            # An RMS refusal after acceptance leaves a Rejected order in the book, as XTS does.
            if e.context.get("order_id"):
                return _success({"AppOrderID": e.context["order_id"], "OrderUniqueIdentifier": order.strategy})
            raise self._engine_error(e) from e
        return _success({"AppOrderID": order_id, "OrderUniqueIdentifier": order.strategy}, "s-orders-0001")

    async def _modify(self, request: Request) -> Response:
        body = await request.json()
        order_type = str(body.get("modifiedOrderType") or "").upper()
        changes = ModifyRequest(
            quantity=int(body["modifiedOrderQuantity"]) if body.get("modifiedOrderQuantity") else None,
            price_type=mapping.PRICE_TYPE_FROM_UPSTREAM.get(order_type) if order_type else None,
            price=Decimal(str(body["modifiedLimitPrice"])) if body.get("modifiedLimitPrice") else None,
            trigger_price=Decimal(str(body["modifiedStopPrice"])) if body.get("modifiedStopPrice") else None,
        )
        order_id = str(body.get("appOrderID"))
        try:
            await self.engine.modify_order(self.user_id, order_id, changes)
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return _success({"AppOrderID": order_id}, "s-orders-0002")

    async def _cancel(self, request: Request) -> Response:
        order_id = request.query_params.get("appOrderID", "")
        try:
            await self.engine.cancel_order(self.user_id, order_id)
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return _success({"AppOrderID": order_id}, "s-orders-0003")

    def _order_row(self, order) -> dict:
        row = self.names.unified(order.exchange, order.symbol)
        order_type = _TRIGGERED.get(order.price_type) if order.status == "open" else None
        is_live = order.status in ("open", "trigger pending")
        return {
            "AppOrderID": order.order_id,
            "ExchangeOrderID": "" if order.status == "rejected" else f"1{order.order_id[-10:]}",
            "ClientID": USER_ID,
            "ExchangeSegment": row.exchange,
            "ExchangeInstrumentID": row.token,
            "TradingSymbol": row.symbol,
            "OrderSide": _SIDES[order.action],
            "OrderType": order_type or _ORDER_TYPES[order.price_type],
            "ProductType": order.product,
            "TimeInForce": "DAY",
            "OrderStatus": _STATUS[order.status],
            "OrderQuantity": order.quantity,
            "OrderPrice": as_float(order.price),
            "OrderStopPrice": as_float(order.trigger_price),
            "OrderAverageTradedPrice": str(as_float(order.average_price)) if order.filled_quantity else "",
            "CumulativeQuantity": order.filled_quantity,
            "LeavesQuantity": order.quantity - order.filled_quantity if is_live else 0,
            "CancelRejectReason": order.rejection_reason or "",
            "OrderGeneratedDateTime": ist_text(order.created_at, "%Y-%m-%dT%H:%M:%S"),
            "LastUpdateDateTime": ist_text(order.updated_at, "%Y-%m-%dT%H:%M:%S"),
            "OrderUniqueIdentifier": order.strategy,
        }

    async def _orders(self, request: Request) -> Response:
        return _success([self._order_row(order) for order in await self.engine.orderbook(self.user_id)])

    async def _trades(self, request: Request) -> Response:
        rows = []
        for trade in await self.engine.tradebook(self.user_id):
            row = self.names.unified(trade.exchange, trade.symbol)
            rows.append(
                {"ExecutionID": trade.trade_id, "AppOrderID": trade.order_id, "ExchangeSegment": row.exchange,
                 "ExchangeInstrumentID": row.token, "TradingSymbol": row.symbol, "OrderSide": _SIDES[trade.action],
                 "ProductType": trade.product, "LastTradedPrice": as_float(trade.price),
                 "LastTradedQuantity": trade.quantity, "ExchangeTransactTime": ist_text(trade.created_at, "%Y-%m-%dT%H:%M:%S")}
            )  # fmt: skip
        return _success(rows)

    # Portfolio and funds

    async def _positions(self, request: Request) -> Response:
        rows = []
        for position in await self.engine.positions(self.user_id):
            row = self.names.unified(position.exchange, position.symbol)
            average = str(as_float(position.average_price))
            mtm = position.unrealized_pnl + position.realized_pnl
            rows.append(
                {"ExchangeSegment": row.exchange, "ExchangeInstrumentId": str(row.token), "TradingSymbol": row.symbol,
                 "ProductType": position.product, "Quantity": str(position.quantity),
                 "BuyAveragePrice": average if position.quantity >= 0 else "0",
                 "SellAveragePrice": average if position.quantity < 0 else "0",
                 "MTM": str(as_float(mtm)), "RealizedMTM": str(as_float(position.realized_pnl)),
                 "UnrealizedMTM": str(as_float(position.unrealized_pnl)), "NetAmount": "0"}
            )  # fmt: skip
        return _success({"positionList": rows})

    async def _holdings(self, request: Request) -> Response:
        holdings = {}
        for holding in await self.engine.holdings(self.user_id):
            row = self.names.unified(holding.exchange, holding.symbol)
            isin = f"INE{row.token:06d}01"
            holdings[isin] = {"ISIN": isin, "HoldingQuantity": holding.quantity, "BuyAvgPrice": as_float(holding.average_price),
                              "ExchangeNSEInstrumentId": row.token, "ExchangeBSEInstrumentId": 0, "IsBuyAvgPriceProvided": True}  # fmt: skip
        return _success({"RMSHoldings": {"Holdings": holdings}})

    async def _balance(self, request: Request) -> Response:
        funds = await self.engine.funds(self.user_id)
        limits = {
            "cashAvailable": str(as_float(funds.available_cash + funds.used_margin)), "collateral": 0,
            "marginUtilized": str(as_float(funds.used_margin)), "netMarginAvailable": str(as_float(funds.available_cash)),
            "MTM": str(as_float(funds.today_realized_pnl + funds.unrealized_pnl)),
            "UnrealizedMTM": str(as_float(funds.unrealized_pnl)), "RealizedMTM": str(as_float(funds.today_realized_pnl)),
        }  # fmt: skip
        return _success(
            {"BalanceList": [{"limitHeader": f"ALL|ALL|{USER_ID}", "limitObject": {"RMSSubLimits": limits}}]}
        )

    # Market data

    def _listed(self, entries: list[dict]) -> list[SimRow]:
        rows = []
        for entry in entries:
            row = self.names.token(int(entry.get("exchangeInstrumentID") or 0))
            if row is not None and mapping.SEGMENT_CODES[row.exchange] == int(entry.get("exchangeSegment") or 0):
                rows.append(row)
        return rows

    async def _quotes(self, request: Request) -> Response:
        body = await request.json()
        rows = self._listed(body.get("instruments") or [])
        return _success(
            {
                "listQuotes": [
                    json.dumps(depth_event(row, self.market.tick(row.instrument.exchange, row.instrument.symbol)))
                    for row in rows
                ],
                "quotesList": [],
            }
        )

    async def _subscribe(self, request: Request) -> Response:
        body = await request.json()
        token, code = request.headers.get("authorization", ""), int(body.get("xtsMessageCode") or 0)
        if code not in (mapping.TOUCHLINE, mapping.DEPTH):
            raise XtsError(400, "e-validation-0002", "xtsMessageCode must be 1501 or 1502")
        rows = self._listed(body.get("instruments") or [])
        for feed in self.feeds:
            if isinstance(feed, XtsFeedSession) and feed.token == token:
                feed.modes.update({row.token: code for row in rows})
        return _success({"mdp": code, "quotesList": [], "listQuotes": []})

    async def _ohlc(self, request: Request) -> Response:
        query = request.query_params
        row = self._row(query.get("exchangeSegment", ""), query.get("exchangeInstrumentID", ""))
        interval = mapping.INTERVAL_FROM_UPSTREAM.get(query.get("compressionValue", ""))
        try:
            start = datetime.strptime(query["startTime"], "%b %d %Y %H%M%S").date()
            end = datetime.strptime(query["endTime"], "%b %d %Y %H%M%S").date()
        except (KeyError, ValueError) as e:
            raise XtsError(400, "e-validation-0003", "startTime and endTime must read like Dec 02 2024 091500") from e
        if interval is None:
            raise XtsError(400, "e-validation-0003", "compressionValue is not one XTS offers")
        candles = self.market.history(row.instrument.exchange, row.instrument.symbol, interval, start, end)
        bars = [
            f"{c.timestamp + mapping.IST_SHIFT}|{c.open}|{c.high}|{c.low}|{c.close}|{c.volume}|{c.oi}|" for c in candles
        ]
        return _success(
            {"exchangeSegment": row.exchange, "exchangeInstrumentID": str(row.token), "dataReponse": ",".join(bars)}
        )

    async def _master(self, request: Request) -> Response:
        wanted = set((await request.json()).get("exchangeSegmentList") or [])
        return _success("\n".join(master_line(row) for row in self.names.rows if row.exchange in wanted))


def master_line(row: SimRow) -> str:
    """One `|`-separated master row, with the columns of a cash or a derivative segment."""
    instrument = row.instrument
    name = _INDEX_NAME_OF.get(instrument.name, instrument.name) if is_index(instrument) else instrument.name
    head = [row.exchange, str(row.token), "8" if not instrument.is_derivative else "2", name, row.symbol, _series(instrument),
            f"{name}-{_series(instrument)}", f"{row.token}00", "0", "0", str(instrument.freeze_quantity), f"{instrument.tick_size:g}",
            str(instrument.lot_size), "1"]  # fmt: skip
    if not instrument.is_derivative:
        return "|".join([*head, name, f"INE{row.token:06d}01", "1", "1", row.symbol])
    option = {InstrumentType.CALL: "3", InstrumentType.PUT: "4"}.get(instrument.instrument_type, "1")
    strike = f"{instrument.strike:g}" if instrument.strike is not None else "0"
    expiry = f"{instrument.expiry.isoformat()}T14:30:00"
    return "|".join([*head, "0", instrument.underlying or "", expiry, strike, option, row.symbol, "1", "1", row.symbol])


def _touchline(tick) -> dict[str, Any]:
    quote = tick.quote
    seconds = int(datetime.fromtimestamp(quote.timestamp, UTC).timestamp() - mapping.XTS_EPOCH.timestamp())
    bids = tick.depth.bids if tick.depth else ()
    asks = tick.depth.asks if tick.depth else ()
    return {
        "LastTradedPrice": quote.ltp, "LastTradedQunatity": quote.last_quantity, "TotalTradedQuantity": quote.volume,
        "AverageTradedPrice": quote.average_price, "Open": quote.open, "High": quote.high, "Low": quote.low,
        "Close": quote.prev_close, "LastTradedTime": seconds, "LastUpdateTime": seconds,
        "TotalBuyQuantity": sum(level.quantity for level in bids), "TotalSellQuantity": sum(level.quantity for level in asks),
        "BidInfo": {"Price": bids[0].price, "Size": bids[0].quantity} if bids else {"Price": 0, "Size": 0},
        "AskInfo": {"Price": asks[0].price, "Size": asks[0].quantity} if asks else {"Price": 0, "Size": 0},
    }  # fmt: skip


def depth_event(row: SimRow, tick) -> dict[str, Any]:
    """A 1502 market-depth event, as quotes answer it and the feed pushes it."""

    def levels(side) -> list[dict]:
        return [{"Size": level.quantity, "Price": level.price, "TotalOrders": level.orders} for level in side]

    return {
        "MessageCode": mapping.DEPTH, "ExchangeSegment": mapping.SEGMENT_CODES[row.exchange], "ExchangeInstrumentID": row.token,
        "Bids": levels(tick.depth.bids if tick.depth else ()), "Asks": levels(tick.depth.asks if tick.depth else ()),
        "Touchline": _touchline(tick), "OpenInterest": tick.quote.oi,
    }  # fmt: skip


def touchline_event(row: SimRow, tick) -> dict[str, Any]:
    """A 1501 touchline event."""
    return {"MessageCode": mapping.TOUCHLINE, "ExchangeSegment": mapping.SEGMENT_CODES[row.exchange],
            "ExchangeInstrumentID": row.token, "Touchline": _touchline(tick)}  # fmt: skip


class XtsFeedSession(FeedSession):
    """One socket.io connection of one market-data token: the open packets first, then events."""

    def __init__(self, simulator: XtsSimulator, token: str) -> None:
        super().__init__()
        self._simulator, self.token = simulator, token
        self._greeting = ['0{"sid":"simulated","upgrades":[],"pingInterval":25000,"pingTimeout":60000}', "40"]
        self._queue: list[str] = []

    async def send(self, message: str) -> None:
        self.check_open("xts socket")  # a client's ping ("2") needs no answer here

    async def recv(self) -> str:
        if self._greeting:
            return self._greeting.pop(0)
        if not self._queue:
            await asyncio.sleep(self._simulator.feed_interval)
            self.check_open("xts socket")
            market, names = self._simulator.market, self._simulator.names
            names.refresh(market)
            for token, code in list(self.modes.items()):
                row = names.token(token)
                if row is not None:
                    tick = market.tick(row.instrument.exchange, row.instrument.symbol)
                    event = depth_event(row, tick) if code == mapping.DEPTH else touchline_event(row, tick)
                    self._queue.append("42" + json.dumps([f"{code}-json-full", json.dumps(event)]))
            if not self._queue:
                return "3"  # a pong: nothing subscribed yet
        self.check_open("xts socket")
        return self._queue.pop(0)


def simulator_for(profile: XtsProfile):
    """The member's simulator class: `Simulator()` builds one, as the kit and BROKER_SIMULATORS expect."""
    return partial(XtsSimulator, profile)


Simulator = XtsSimulator

__all__ = ["XtsFeedSession", "XtsSimulator", "depth_event", "master_line", "rate_class", "simulator_for"]
