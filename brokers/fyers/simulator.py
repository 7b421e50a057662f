"""A Fyers API v3 server for offline tests: Fyers' HTTP API and data socket, backed by the sandbox exchange core.

Orders placed here really fill, on the offline market, through the sandbox engine; answers use Fyers'
envelopes (`{"s": "ok", "code": 200, ...}`, `{"s": "error", "code": -99, "message": ...}`), field
names, numeric codes (side 1/-1, type 1-4, status 1-7, exchange 10/11/12 and segment 10/11/12/20)
and tickers (`NSE:SBIN-EQ`, `NSE:NIFTY50-INDEX`, `NSE:NIFTY26DECFUT`, monthly `NSE:NIFTY26DEC24000CE`,
weekly `NSE:NIFTY26D0124000CE`). The symbol master is served as Fyers' header-less per-segment CSVs
and the data socket speaks the HSM binary protocol of `streaming.py`. The kit's controls (expiry,
throttling, refusals, dropped feeds, the request log) come from `brokers.common.simulator`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from brokers.common.simulator import (
    FeedSession,
    InstrumentNames,
    SimRow,
    SimulatedBroker,
    as_float,
    decimal_of,
    engine_gtt,
    engine_legs,
)
from brokers.fyers import auth
from brokers.fyers.mapping import (
    INTERVAL_FROM_UPSTREAM,
    PRICE_TYPE_FROM_UPSTREAM,
    PRICE_TYPE_TO_UPSTREAM,
    PRODUCT_FROM_UPSTREAM,
    PRODUCT_TO_UPSTREAM,
    SEGMENT_CODES,
)
from brokers.fyers.plugin import FyersPlugin
from brokers.fyers.streaming import AUTH, DATA_FEED, SCRIP_FIELDS, SNAPSHOT, SUBSCRIBE, UPDATE
from brokers.fyers.symbols import INDEX_NAME_TO_UPSTREAM
from generated.contract import Account
from generated.errors import BrokergateError, InsufficientFunds, OrderNotFound, OrderNotModifiable, OrderRejected
from sandbox.engine import ModifyRequest, OrderRequest, Product
from sandbox.engine.margin import position_margin, underlying_price
from sandbox.market import IST, Instrument, InstrumentType, OfflineMarket

BASE_URL = "http://fyers.simulator"
FEED_URL = "ws://fyers.simulator/hsm/v1-5/prod"
REDIRECT_URL = "http://127.0.0.1:5000/fyers/callback"
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKLY_MONTHS = "123456789OND"  # Fyers' one-character month in weekly option tickers
# The exchange a ticker starts with, by segment (F&O and currency trade under NSE and BSE).
_TICKER_PREFIX = {"NSE": "NSE", "NFO": "NSE", "CDS": "NSE", "BSE": "BSE", "BFO": "BSE", "MCX": "MCX"}
_INDEX_SEGMENT = {"NSE_INDEX": "NSE", "BSE_INDEX": "BSE"}
# The master file each segment is listed in.
_MASTER_FILES = {"NSE": "NSE_CM", "BSE": "BSE_CM", "NFO": "NSE_FO", "BFO": "BSE_FO", "CDS": "NSE_CD", "MCX": "MCX_COM"}
# Exchange instrument types (Appendix): 0 EQ, 10 INDEX, 11 FUTIDX, 13 FUTSTK, 14 OPTIDX, 15 OPTSTK,
# 16 FUTCUR, 19 OPTCUR, 30 FUTCOM, 31 OPTFUT.
_INSTRUMENT_TYPES = {
    ("NSE", "EQ"): 0, ("BSE", "EQ"): 0, ("NSE", "INDEX"): 10, ("BSE", "INDEX"): 10,
    ("NFO", "FUT"): 11, ("BFO", "FUT"): 11, ("NFO", "OPT"): 14, ("BFO", "OPT"): 14,
    ("CDS", "FUT"): 16, ("CDS", "OPT"): 19, ("MCX", "FUT"): 30, ("MCX", "OPT"): 31,
}  # fmt: skip
# The engine's GTT statuses as Fyers' `ord_status` (an expired GTT is gone, as a cancelled one).
_GTT_STATUS_TO_UPSTREAM = {"active": 6, "triggered": 2, "cancelled": 1, "expired": 1, "rejected": 5}
_STATUS_TO_UPSTREAM = {"cancelled": 1, "complete": 2, "rejected": 5, "open": 6, "trigger pending": 6}
_RESOLUTIONS = INTERVAL_FROM_UPSTREAM | {"D": "D", "1D": "D", "45": "45m"}
_PRECISION = {"CDS": 4}  # price decimals on the data socket; two elsewhere


def _segment(instrument: Instrument) -> str:
    return _INDEX_SEGMENT.get(instrument.exchange, instrument.exchange)


def fyers_ticker(instrument: Instrument, is_monthly: bool) -> tuple[str, str]:
    """The (segment, ticker) Fyers lists an instrument under."""
    segment = _segment(instrument)
    prefix = _TICKER_PREFIX[segment]
    kind = instrument.instrument_type
    if kind is InstrumentType.INDEX:
        return segment, f"{prefix}:{INDEX_NAME_TO_UPSTREAM.get(instrument.symbol, instrument.symbol)}-INDEX"
    if kind is InstrumentType.EQUITY:
        return segment, f"{prefix}:{instrument.symbol}-{'EQ' if segment == 'NSE' else 'A'}"
    expiry = instrument.expiry
    year = f"{expiry.year % 100:02d}"
    if kind is InstrumentType.FUTURE:
        return segment, f"{prefix}:{instrument.name}{year}{_MONTHS[expiry.month - 1]}FUT"
    strike = f"{instrument.strike:.4f}".rstrip("0").rstrip(".")
    if is_monthly:
        return segment, f"{prefix}:{instrument.name}{year}{_MONTHS[expiry.month - 1]}{strike}{kind.value}"
    return (
        segment,
        f"{prefix}:{instrument.name}{year}{_WEEKLY_MONTHS[expiry.month - 1]}{expiry.day:02d}{strike}{kind.value}",
    )


def fytoken(row: SimRow) -> str:
    """Exchange (2) + segment (2) + expiry yymmdd (6, zeros when none) + exchange token."""
    exchange, segment = SEGMENT_CODES[row.exchange]
    expiry = row.instrument.expiry.strftime("%y%m%d") if row.instrument.expiry else "000000"
    return f"{exchange}{segment}{expiry}{row.token}"


def _expiry_epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, 15, 30, tzinfo=IST).timestamp())


def master_line(row: SimRow) -> str:
    """One header-less master CSV row, in the documented column order."""
    instrument = row.instrument
    kind = instrument.instrument_type
    exchange, segment = SEGMENT_CODES[row.exchange]
    is_option = kind in (InstrumentType.CALL, InstrumentType.PUT)
    family = "OPT" if is_option else kind.value
    underlying = (
        INDEX_NAME_TO_UPSTREAM.get(instrument.name, instrument.name)
        if kind is InstrumentType.INDEX
        else instrument.name
    )
    expiry = str(_expiry_epoch(instrument.expiry)) if instrument.expiry else ""
    strike = f"{instrument.strike:g}" if is_option else "-1.0"
    option = kind.value if is_option else "XX"
    details = f"{instrument.name} {instrument.symbol}".replace(",", " ")
    token = fytoken(row)
    return (
        f"{token},{details},{_INSTRUMENT_TYPES[(row.exchange, family)]},{instrument.lot_size},{instrument.tick_size},,"
        f"0915-1530|1815-1915:,{date.today()},{expiry},{row.symbol},{exchange},{segment},{row.token},{underlying},"
        f"{row.token},{strike},{option},{token},None,,"
    )


class FyersError(Exception):
    def __init__(self, status: int, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def _ok(**fields: Any) -> JSONResponse:
    return JSONResponse({"s": "ok", "code": 200, "message": ""} | fields)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(IST).strftime("%d-%b-%Y %H:%M:%S")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rate_class(method: str, path: str) -> str:
    """The kit's rate classes, by endpoint."""
    if path in ("/api/v3/orders/sync", "/api/v3/gtt/orders/sync") and method != "GET":
        return "orders"
    if path in ("/data/quotes", "/data/depth"):
        return "quotes"
    if path == "/data/history":
        return "history"
    return "other"


class FyersSimulator(SimulatedBroker):
    """Fyers API v3 for one simulated account (engine user 1), on its own in-memory sandbox exchange."""

    broker = "fyers"

    def __init__(
        self,
        market: OfflineMarket | None = None,
        *,
        app_id: str = "SIMAPP1234-100",
        app_secret: str = "fyers-simulated-secret",
        redirect_url: str = REDIRECT_URL,
        feed_interval: float = 0.05,
    ) -> None:
        super().__init__(market, feed_interval=feed_interval)
        self.app_id, self.app_secret, self.redirect_url = app_id, app_secret, redirect_url
        self.credentials = {"api_key": app_id, "api_secret": app_secret}
        self.names = InstrumentNames(fyers_ticker)
        self._auth_codes: set[str] = set()
        self._hsm_keys: dict[str, str] = {}  # hsm_key -> the access token that carries it
        api = [
            ("/api/v3/orders/sync", self._place, "POST"),
            ("/api/v3/orders/sync", self._modify, "PATCH"),
            ("/api/v3/orders/sync", self._cancel, "DELETE"),
            ("/api/v3/orders", self._orders, "GET"),
            ("/api/v3/gtt/orders/sync", self._gtt_place, "POST"),
            ("/api/v3/gtt/orders/sync", self._gtt_modify, "PATCH"),
            ("/api/v3/gtt/orders/sync", self._gtt_cancel, "DELETE"),
            ("/api/v3/gtt/orders", self._gtt_book, "GET"),
            ("/api/v3/tradebook", self._trades, "GET"),
            ("/api/v3/positions", self._positions, "GET"),
            ("/api/v3/holdings", self._holdings, "GET"),
            ("/api/v3/funds", self._funds, "GET"),
            ("/api/v3/multiorder/margin", self._margin, "POST"),
            ("/data/quotes", self._quotes, "GET"),
            ("/data/depth", self._depth, "GET"),
            ("/data/history", self._history, "GET"),
        ]
        self.app = Starlette(
            routes=[
                Route("/api/v3/generate-authcode", self._login_page, methods=["GET"]),
                Route("/api/v3/validate-authcode", self._validate_authcode, methods=["POST"]),
                Route("/sym_details/{name}.csv", self._master, methods=["GET"]),
                *(Route(path, self._guarded(handler), methods=[method]) for path, handler, method in api),
            ]
        )

    # Controls for the kit and tests

    def plugin(self, transport: httpx.AsyncBaseTransport | None = None, **options: Any) -> FyersPlugin:
        """A FyersPlugin that talks to this simulator (through `transport`, default straight to the app)."""
        return FyersPlugin(
            base_url=BASE_URL,
            master_url=BASE_URL,
            feed_url=FEED_URL,
            transport=transport or httpx.ASGITransport(app=self.app),
            **options,
        )

    def issue_session(self) -> Account:
        """A logged-in account without the login flow, for tests that are about something else."""
        token = auth.session_token(self.app_id, self._mint_access_token())
        return Account(user_id=self.user_id, broker=self.broker, token=token, credentials=self.credentials)

    def expire_sessions(self) -> None:
        super().expire_sessions()
        self._hsm_keys.clear()

    def feed_connector(self):
        """A data-socket connector for FyersFeed that reaches this simulator without sockets."""

        @asynccontextmanager
        async def connect(url: str) -> AsyncIterator[FyersSocket]:
            socket = FyersSocket(self)
            async with self.feed_session(socket.session):
                yield socket

        return connect

    def _mint_access_token(self) -> str:
        """A JWT shaped like Fyers' access token: its claims carry `hsm_key` and `exp`."""
        now = datetime.now(UTC)
        hsm_key = secrets.token_hex(28)
        claims = {
            "iss": "api.fyers.in", "iat": int(now.timestamp()), "exp": int(auth.next_rollover(now).timestamp()),
            "sub": "access_token", "app_id": self.app_id.split("-")[0], "hsm_key": hsm_key, "display_name": "XS0001",
        }  # fmt: skip
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        token = f"{header}.{_b64(json.dumps(claims).encode())}.{_b64(secrets.token_bytes(32))}"
        self._tokens.add(token)
        self._hsm_keys[hsm_key] = token
        return token

    def session_for(self, hsm_key: str) -> bool:
        token = self._hsm_keys.get(hsm_key)
        return token is not None and self.is_valid_token(token)

    # Plumbing

    def _guarded(self, handler):
        async def guarded(request: Request) -> Response:
            path = request.url.path
            self.record(request.method, path, rate_class(request.method, path))
            try:
                retry_after = self.take_throttle()
                if retry_after is not None:
                    raise FyersError(429, -429, "request limit reached", {"Retry-After": str(retry_after)})
                app_id, _, access_token = request.headers.get("authorization", "").partition(":")
                if app_id != self.app_id or not self.is_valid_token(access_token):
                    raise FyersError(401, -8, "Your token has expired. Please generate a token")
                self.names.refresh(self.market)
                return await handler(request)
            except FyersError as e:
                return self._error(e)

        return guarded

    @staticmethod
    def _error(error: FyersError) -> JSONResponse:
        return JSONResponse(
            {"s": "error", "code": error.code, "message": error.message},
            status_code=error.status,
            headers=error.headers,
        )

    def _row(self, ticker: str) -> SimRow:
        prefix = ticker.partition(":")[0]
        for segment in (segment for segment, start in _TICKER_PREFIX.items() if start == prefix):
            row = self.names.upstream(segment, ticker)
            if row is not None:
                return row
        raise FyersError(400, -300, f"Invalid symbol provided: {ticker}")

    def _engine_error(self, error: BrokergateError) -> FyersError:
        if isinstance(error, InsufficientFunds | OrderRejected | OrderNotModifiable):
            return FyersError(400, -99, error.message)
        if isinstance(error, OrderNotFound):
            return FyersError(400, -51, "Invalid order id")
        return FyersError(400, -50, error.message)

    def _codes(self, row: SimRow) -> dict[str, int]:
        exchange, segment = SEGMENT_CODES[row.exchange]
        return {"exchange": exchange, "segment": segment}

    # Login

    async def _login_page(self, request: Request) -> Response:
        # The user signs in at once; the redirect carries a fresh auth code and our state.
        query = request.query_params
        if query.get("client_id") != self.app_id or query.get("redirect_uri") != self.redirect_url:
            return PlainTextResponse("invalid client_id or redirect_uri", status_code=400)
        code = _b64(secrets.token_bytes(24))
        self._auth_codes.add(code)
        params = httpx.QueryParams({"s": "ok", "code": "200", "auth_code": code, "state": query.get("state", "")})
        return RedirectResponse(f"{self.redirect_url}?{params}", status_code=302)

    async def _validate_authcode(self, request: Request) -> Response:
        self.record("POST", request.url.path, "other")
        body = await request.json()
        if body.get("appIdHash") != auth.app_id_hash(self.app_id, self.app_secret):
            return self._error(FyersError(400, -352, "Invalid App ID provided"))
        if body.get("grant_type") != "authorization_code" or body.get("code") not in self._auth_codes:
            return self._error(FyersError(400, -17, "Auth code is invalid or expired"))
        self._auth_codes.discard(body["code"])  # an auth code works once
        return _ok(access_token=self._mint_access_token(), refresh_token=_b64(secrets.token_bytes(24)))

    async def _master(self, request: Request) -> Response:
        self.record("GET", request.url.path, "public")  # a static file, outside the API's rate limits
        self.names.refresh(self.market)
        name = request.path_params["name"]
        lines = [master_line(row) for row in self.names.rows if _MASTER_FILES[row.exchange] == name]
        if name not in _MASTER_FILES.values():
            return PlainTextResponse("Not Found", status_code=404)
        return PlainTextResponse("".join(line + "\n" for line in lines), media_type="text/csv")

    # Orders

    async def _place(self, request: Request) -> Response:
        if (reason := self.take_refusal()) is not None:
            raise FyersError(400, -99, reason)
        body = await request.json()
        row = self._row(str(body.get("symbol")))
        order = OrderRequest(
            exchange=row.instrument.exchange,
            symbol=row.instrument.symbol,
            action="BUY" if body.get("side") == 1 else "SELL",
            quantity=int(body.get("qty") or 0),
            price_type=PRICE_TYPE_FROM_UPSTREAM[body.get("type")],
            product=PRODUCT_FROM_UPSTREAM[body.get("productType")],
            price=Decimal(str(body.get("limitPrice") or 0)),
            trigger_price=Decimal(str(body.get("stopPrice") or 0)),
            strategy=str(body.get("orderTag") or ""),
        )
        try:
            order_id = await self.engine.place_order(self.user_id, order)
        except BrokergateError as e:
            # Like Fyers' RMS, a refusal after acceptance leaves a rejected order (status 5) in the book.
            if e.context.get("order_id"):
                order_id = e.context["order_id"]
            else:
                raise self._engine_error(e) from e
        return JSONResponse(
            {
                "s": "ok",
                "code": 1101,
                "message": f"Order Submitted Successfully. Your Order Ref. No.{order_id}",
                "id": order_id,
            }
        )

    async def _modify(self, request: Request) -> Response:
        body = await request.json()
        changes = ModifyRequest(
            quantity=int(body["qty"]) if body.get("qty") else None,
            price_type=PRICE_TYPE_FROM_UPSTREAM[body["type"]] if body.get("type") else None,
            price=Decimal(str(body["limitPrice"])) if body.get("limitPrice") else None,
            trigger_price=Decimal(str(body["stopPrice"])) if body.get("stopPrice") else None,
        )
        try:
            await self.engine.modify_order(self.user_id, str(body.get("id")), changes)
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return JSONResponse(
            {"s": "ok", "code": 1102, "message": "Successfully modified order", "id": str(body.get("id"))}
        )

    async def _cancel(self, request: Request) -> Response:
        order_id = str((await request.json()).get("id"))
        try:
            await self.engine.cancel_order(self.user_id, order_id)
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return JSONResponse({"s": "ok", "code": 1103, "message": "Successfully cancelled order", "id": order_id})

    # GTT orders on the sandbox engine's GTT book, which fires them on the offline market

    def _gtt_request(self, order_info: Any, row: SimRow, action: str, product: str):
        if not isinstance(order_info, dict) or "leg1" not in order_info:
            raise FyersError(400, -50, "orderInfo needs leg1")
        legs = [order_info["leg1"], *([order_info["leg2"]] if "leg2" in order_info else [])]
        try:
            prices = [(decimal_of(leg["triggerPrice"]), decimal_of(leg["price"])) for leg in legs]
            quantities = {int(leg["qty"]) for leg in legs}
        except (KeyError, TypeError, ValueError) as e:
            raise FyersError(400, -50, f"Invalid orderInfo: {e}") from e
        ltp = decimal_of(self.market.quote(row.instrument.exchange, row.instrument.symbol).ltp)
        if len(prices) == 2 and not prices[1][0] < ltp < prices[0][0]:
            raise FyersError(400, -50, "For OCO the leg1 trigger price must be above and the leg2 below the LTP")
        if len(quantities) != 1:  # the engine's OCO has one quantity for both legs
            raise FyersError(400, -50, "Both legs must have the same qty")
        try:
            return engine_gtt(ltp, prices, exchange=row.instrument.exchange, symbol=row.instrument.symbol, action=action,
                              product=product, quantity=quantities.pop(), price_type="LIMIT")  # fmt: skip
        except ValueError as e:
            raise FyersError(400, -50, f"Invalid orderInfo: {e}") from e

    async def _live_gtt(self, gtt_id: str):
        gtt = next((gtt for gtt in await self.engine.gtt_book(self.user_id) if gtt.gtt_id == gtt_id), None)
        if gtt is None:
            raise FyersError(400, -51, "Invalid GTT order id")
        return gtt

    async def _gtt_place(self, request: Request) -> Response:
        body = await request.json()
        row = self._row(str(body.get("symbol")))
        if body.get("side") not in (1, -1) or body.get("productType") not in ("CNC", "MARGIN"):
            raise FyersError(400, -50, "Invalid side or productType")
        action, product = "BUY" if body["side"] == 1 else "SELL", PRODUCT_FROM_UPSTREAM[body["productType"]]
        try:
            gtt_id = await self.engine.place_gtt(
                self.user_id, self._gtt_request(body.get("orderInfo"), row, action, product)
            )
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return JSONResponse({"s": "ok", "code": 1101, "message": "Successfully placed GTT order", "id": gtt_id})

    async def _gtt_modify(self, request: Request) -> Response:
        body = await request.json()
        gtt = await self._live_gtt(str(body.get("id")))
        row = self.names.unified(gtt.exchange, gtt.symbol)
        try:
            await self.engine.modify_gtt(
                self.user_id, gtt.gtt_id, self._gtt_request(body.get("orderInfo"), row, gtt.action, gtt.product)
            )
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return JSONResponse({"s": "ok", "code": 1102, "message": "Successfully modified GTT order", "id": gtt.gtt_id})

    async def _gtt_cancel(self, request: Request) -> Response:
        gtt = await self._live_gtt(str((await request.json()).get("id")))
        try:
            await self.engine.cancel_gtt(self.user_id, gtt.gtt_id)
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return JSONResponse({"s": "ok", "code": 1103, "message": "Successfully cancelled GTT order", "id": gtt.gtt_id})

    async def _gtt_book(self, request: Request) -> Response:
        rows = []
        for gtt in await self.engine.gtt_book(self.user_id, include_inactive=True):
            row = self.names.unified(gtt.exchange, gtt.symbol)
            legs = engine_legs(gtt)[::-1]  # leg1 the target (or the one leg), leg2 the stoploss
            answer = {"id": gtt.gtt_id, "symbol": row.symbol, **self._codes(row), "fyToken": fytoken(row),
                      "tran_side": 1 if gtt.action == "BUY" else -1, "product_type": PRODUCT_TO_UPSTREAM[gtt.product],
                      "gtt_oco_ind": len(legs), "ord_status": _GTT_STATUS_TO_UPSTREAM[str(gtt.status)],
                      "create_time": _stamp(gtt.created_at)}  # fmt: skip
            for suffix, (trigger, limit) in zip(("", "2"), legs, strict=False):
                answer |= {f"price{suffix}_limit": as_float(limit), f"price{suffix}_trigger": as_float(trigger),
                           f"qty{suffix}": gtt.quantity}  # fmt: skip
            rows.append(answer)
        return _ok(orderBook=rows)

    def _order_row(self, order) -> dict:
        row = self.names.unified(order.exchange, order.symbol)
        status = _STATUS_TO_UPSTREAM[order.status]
        is_live = order.status in ("open", "trigger pending")
        return {
            "id": order.order_id,
            "exchOrdId": "" if status == 5 else f"1{order.order_id[-10:]}",
            "symbol": row.symbol,
            **self._codes(row),
            "fyToken": fytoken(row),
            "qty": order.quantity,
            "filledQty": order.filled_quantity,
            "remainingQuantity": order.quantity - order.filled_quantity if is_live else 0,
            "limitPrice": as_float(order.price),
            "stopPrice": as_float(order.trigger_price),
            "tradedPrice": as_float(order.average_price),
            "type": PRICE_TYPE_TO_UPSTREAM[order.price_type],
            "side": 1 if order.action == "BUY" else -1,
            "productType": PRODUCT_TO_UPSTREAM[order.product],
            "status": status,
            "message": order.rejection_reason or "",
            "orderValidity": "DAY",
            "offlineOrder": False,
            "orderTag": order.strategy or "",
            "orderDateTime": _stamp(order.created_at),
            "source": "API",
        }

    async def _orders(self, request: Request) -> Response:
        return _ok(orderBook=[self._order_row(order) for order in await self.engine.orderbook(self.user_id)])

    async def _trades(self, request: Request) -> Response:
        rows = []
        for trade in await self.engine.tradebook(self.user_id):
            row = self.names.unified(trade.exchange, trade.symbol)
            rows.append(
                {
                    "orderNumber": trade.order_id,
                    "tradeNumber": trade.trade_id,
                    "symbol": row.symbol,
                    **self._codes(row),
                    "side": 1 if trade.action == "BUY" else -1,
                    "productType": PRODUCT_TO_UPSTREAM[trade.product],
                    "tradedQty": trade.quantity,
                    "tradePrice": as_float(trade.price),
                    "tradeValue": as_float(trade.price * trade.quantity),
                    "orderDateTime": _stamp(trade.created_at),
                }
            )
        return _ok(tradeBook=rows)

    # Portfolio and funds

    async def _positions(self, request: Request) -> Response:
        rows = []
        for position in await self.engine.positions(self.user_id):
            row = self.names.unified(position.exchange, position.symbol)
            rows.append(
                {
                    "id": f"{row.symbol}-{PRODUCT_TO_UPSTREAM[position.product]}",
                    "symbol": row.symbol,
                    **self._codes(row),
                    "productType": PRODUCT_TO_UPSTREAM[position.product],
                    "side": 1 if position.quantity > 0 else -1 if position.quantity < 0 else 0,
                    "netQty": position.quantity,
                    "qty": abs(position.quantity),
                    "netAvg": as_float(position.average_price),
                    "avgPrice": as_float(position.average_price),
                    "ltp": as_float(position.ltp),
                    "pl": as_float(position.unrealized_pnl + position.realized_pnl),
                    "realized_profit": as_float(position.realized_pnl),
                    "unrealized_profit": as_float(position.unrealized_pnl),
                }
            )
        return _ok(netPositions=rows, overall={"count_total": len(rows)})

    async def _holdings(self, request: Request) -> Response:
        rows = []
        for holding in await self.engine.holdings(self.user_id):
            row = self.names.unified(holding.exchange, holding.symbol)
            last = holding.ltp or Decimal(0)
            rows.append(
                {
                    "symbol": row.symbol,
                    **self._codes(row),
                    "holdingType": "HLD",
                    "quantity": holding.quantity,
                    "remainingQuantity": holding.quantity,
                    "costPrice": as_float(holding.average_price),
                    "ltp": as_float(last),
                    "marketVal": as_float(last * holding.quantity),
                    "pl": as_float(last * holding.quantity - holding.cost),
                    "qty_t1": 0,
                    "fyToken": fytoken(row),
                }
            )
        return _ok(holdings=rows, overall={"count_total": len(rows)})

    async def _funds(self, request: Request) -> Response:
        funds = await self.engine.funds(self.user_id)
        available, used = funds.available_cash, funds.used_margin
        lines = [
            (1, "Total Balance", available + used), (2, "Utilized Amount", used), (3, "Clear Balance", available),
            (4, "Realized Profit and Loss", funds.today_realized_pnl), (5, "Collaterals", 0), (6, "Fund Transfer", 0),
            (7, "Receivables", 0), (8, "Adhoc Limits", 0), (9, "Limit at start of the day", available + used),
            (10, "Available Balance", available),
        ]  # fmt: skip
        # The sandbox keeps one ledger, so every commodity amount is zero.
        return _ok(
            fund_limit=[{"id": i, "title": t, "equityAmount": as_float(a), "commodityAmount": 0.0} for i, t, a in lines]
        )

    async def _margin(self, request: Request) -> Response:
        total = Decimal(0)
        for entry in (await request.json()).get("data") or []:
            instrument = self._row(str(entry.get("symbol"))).instrument
            price = Decimal(str(entry.get("limitPrice") or 0)) or Decimal(
                str(self.market.quote(instrument.exchange, instrument.symbol).ltp)
            )
            sign = 1 if entry.get("side") == 1 else -1
            total += position_margin(
                instrument, Product(PRODUCT_FROM_UPSTREAM[entry.get("productType")]), sign * int(entry.get("qty") or 0),
                price, self.engine.config, underlying_price(instrument, self.market),
            )  # fmt: skip
        funds = await self.engine.funds(self.user_id)
        data = {
            "margin_avail": as_float(funds.available_cash),
            "margin_total": as_float(total),
            "margin_new_order": as_float(total),
        }
        return _ok(data=data)

    # Market data

    async def _quotes(self, request: Request) -> Response:
        entries = []
        for ticker in request.query_params.get("symbols", "").split(","):
            try:
                row = self._row(ticker)
            except FyersError:
                entries.append({"n": ticker, "s": "error", "v": {"errmsg": "invalid symbol"}})
                continue
            quote = self.market.tick(row.instrument.exchange, row.instrument.symbol).quote
            values = {
                "ch": round(quote.ltp - quote.prev_close, 2), "lp": quote.ltp, "bid": quote.bid, "ask": quote.ask,
                "spread": round(quote.ask - quote.bid, 4), "open_price": quote.open, "high_price": quote.high,
                "low_price": quote.low, "prev_close_price": quote.prev_close, "volume": quote.volume, "oi": quote.oi,
                "short_name": row.symbol.partition(":")[2], "exchange": row.symbol.partition(":")[0],
                "symbol": row.symbol, "fyToken": fytoken(row), "tt": str(int(quote.timestamp)),
            }  # fmt: skip
            entries.append({"n": ticker, "s": "ok", "v": values})
        return _ok(d=entries)

    async def _depth(self, request: Request) -> Response:
        ticker = request.query_params.get("symbol", "")
        row = self._row(ticker)
        tick = self.market.tick(row.instrument.exchange, row.instrument.symbol)
        quote, depth = tick.quote, tick.depth

        def side(levels) -> list[dict]:
            return [{"price": level.price, "volume": level.quantity, "ord": level.orders} for level in levels]

        bids, asks = (side(depth.bids), side(depth.asks)) if depth else ([], [])
        values = {
            "totalbuyqty": sum(level["volume"] for level in bids), "totalsellqty": sum(level["volume"] for level in asks),
            "bids": bids, "ask": asks, "o": quote.open, "h": quote.high, "l": quote.low, "c": quote.prev_close,
            "ch": round(quote.ltp - quote.prev_close, 2), "ltq": quote.last_quantity, "ltp": quote.ltp,
            "v": quote.volume, "atp": quote.average_price, "oi": quote.oi, "ltt": int(quote.timestamp),
        }  # fmt: skip
        return _ok(d={ticker: values})

    async def _history(self, request: Request) -> Response:
        query = request.query_params
        row = self._row(query.get("symbol", ""))
        interval = _RESOLUTIONS.get(query.get("resolution", ""))
        if interval is None or query.get("date_format") != "1":
            raise FyersError(400, -50, "Invalid resolution or date_format")
        try:
            start, end = date.fromisoformat(query["range_from"]), date.fromisoformat(query["range_to"])
        except (KeyError, ValueError) as e:
            raise FyersError(400, -50, "range_from and range_to must be yyyy-mm-dd with date_format=1") from e
        candles = self.market.history(row.instrument.exchange, row.instrument.symbol, interval, start, end)
        return _ok(candles=[[c.timestamp, c.open, c.high, c.low, c.close, c.volume] for c in candles])


class FyersSocket:
    """One data-socket connection: reads the client's binary requests, owes it frames."""

    def __init__(self, simulator: FyersSimulator) -> None:
        self._simulator = simulator
        self.session = FeedSession()
        self._replies: list[bytes] = []
        self._is_authenticated = False
        self._topic_ids: dict[str, int] = {}
        self._number = 0

    async def send(self, message: str | bytes) -> None:
        self.session.check_open("fyers")
        if not isinstance(message, bytes | bytearray) or len(message) < 4:
            raise ConnectionResetError("the fyers data socket takes binary requests only")
        kind, fields = _read_request(bytes(message))
        if kind == AUTH:
            self._is_authenticated = self._simulator.session_for(fields.get(1, b"").decode())
            self._replies.append(_reply(AUTH, b"K" if self._is_authenticated else b"E"))
        elif kind == SUBSCRIBE and self._is_authenticated:
            raw = fields.get(1, b"\x00\x00")
            (count,) = struct.unpack_from(">H", raw)
            offset = 2
            for _ in range(count):
                size = raw[offset]
                self.session.modes[raw[offset + 1 : offset + 1 + size].decode("ascii")] = "quote"
                offset += 1 + size
            self._replies.append(_reply(SUBSCRIBE, b"K"))

    async def recv(self) -> bytes:
        await asyncio.sleep(self._simulator.feed_interval)
        self.session.check_open("fyers")
        if self._replies:
            return self._replies.pop(0)
        if not self._is_authenticated:
            raise ConnectionResetError("the fyers data socket closed an unauthenticated connection")
        market, names = self._simulator.market, self._simulator.names
        names.refresh(market)
        parts = []
        for topic in list(self.session.modes):
            tail = topic.rsplit("|", 1)[1]
            row = names.token(int(tail)) if tail.isdigit() else None
            if row is not None:
                parts.append(self._entry(topic, row, market.tick(row.instrument.exchange, row.instrument.symbol)))
        self._number += 1
        return struct.pack(">HBIH", 0, DATA_FEED, self._number, len(parts)) + b"".join(parts)

    def _entry(self, topic: str, row: SimRow, tick) -> bytes:
        precision = _PRECISION.get(row.exchange, 2)
        values = depth_values(tick.depth, precision) if topic.startswith("dp|") else scrip_values(tick.quote, precision)
        if topic in self._topic_ids:
            return encode_update(self._topic_ids[topic], values)
        self._topic_ids[topic] = len(self._topic_ids) + 1
        ticker = row.symbol
        return encode_snapshot(
            self._topic_ids[topic], topic, values, 1, precision, ticker.partition(":")[0], str(row.token), ticker
        )


def _read_request(message: bytes) -> tuple[int, dict[int, bytes]]:
    kind, count = message[2], message[3]
    fields, offset = {}, 4
    for _ in range(count):
        key, size = struct.unpack_from(">BH", message, offset)
        fields[key] = message[offset + 3 : offset + 3 + size]
        offset += 3 + size
    return kind, fields


def _reply(kind: int, value: bytes) -> bytes:
    body = bytes([kind, 1]) + struct.pack(">BH", 1, len(value)) + value
    return struct.pack(">H", len(body)) + body


def scrip_values(quote, precision: int) -> list[int]:
    """The 21 symbol-update fields of a quote, prices scaled to integers."""
    scale = 10**precision

    def money(value: float) -> int:
        return round(value * scale)

    stamp = int(quote.timestamp)
    fields = {
        "ltp": money(quote.ltp), "vol_traded_today": quote.volume, "last_traded_time": stamp, "exch_feed_time": stamp,
        "bid_size": 0, "ask_size": 0, "bid_price": money(quote.bid), "ask_price": money(quote.ask),
        "last_traded_qty": quote.last_quantity, "tot_buy_qty": 0, "tot_sell_qty": 0,
        "avg_trade_price": money(quote.average_price), "OI": quote.oi, "low_price": money(quote.low),
        "high_price": money(quote.high), "Yhigh": money(quote.high), "Ylow": money(quote.low),
        "lower_ckt": 0, "upper_ckt": 0, "open_price": money(quote.open), "prev_close_price": money(quote.prev_close),
    }  # fmt: skip
    return [fields[name] for name in SCRIP_FIELDS]


def depth_values(depth, precision: int) -> list[int]:
    """The 30 depth fields (prices, sizes, orders; bids then asks), five levels a side padded with zeros."""
    scale = 10**precision
    sides = [
        list(levels[:5]) + [None] * (5 - len(levels[:5]))
        for levels in ((depth.bids, depth.asks) if depth else ((), ()))
    ]

    def of(level, what: str) -> int:
        if level is None:
            return 0
        return round(level.price * scale) if what == "price" else level.quantity if what == "size" else level.orders

    return [of(level, what) for what in ("price", "size", "order") for levels in sides for level in levels]


def _text(value: str) -> bytes:
    data = value.encode()
    return bytes([len(data)]) + data


def encode_snapshot(
    topic_id: int,
    topic: str,
    values: list[int],
    multiplier: int,
    precision: int,
    exchange: str,
    token: str,
    symbol: str,
) -> bytes:
    """One snapshot entry ('S') as the data socket writes it for a symbol-update topic."""
    head = struct.pack(">BHB", SNAPSHOT, topic_id, len(topic)) + topic.encode("ascii")
    body = bytes([len(values)]) + struct.pack(f">{len(values)}i", *values)
    return (
        head
        + body
        + b"\x00\x00"
        + struct.pack(">HB", multiplier, precision)
        + _text(exchange)
        + _text(token)
        + _text(symbol)
    )


def encode_update(topic_id: int, values: list[int]) -> bytes:
    """One update entry ('U'): the topic id and every field again (unchanged ones may be -2^31)."""
    return struct.pack(">BHB", UPDATE, topic_id, len(values)) + struct.pack(f">{len(values)}i", *values)


def data_feed(entries: list[bytes], number: int = 1) -> bytes:
    return struct.pack(">HBIH", 0, DATA_FEED, number, len(entries)) + b"".join(entries)


Simulator = FyersSimulator

__all__ = ["FyersSimulator", "FyersSocket", "Simulator", "data_feed", "encode_snapshot", "encode_update", "rate_class"]
