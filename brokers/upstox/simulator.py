"""An Upstox API v2 server for offline tests: Upstox's HTTP API and market feed, backed by the sandbox exchange core.

Orders placed here really fill, on the offline market, through the sandbox engine; answers use
Upstox's envelopes (`{"status": "success", "data": ...}`, `{"status": "error", "errors": [...]}`),
field names, products (`I`, `D`), lowercase statuses, instrument keys (`NSE_EQ|INE...`,
`NSE_FO|<token>`, `NSE_INDEX|Nifty 50`) and trading symbols (`NIFTY 24850 CE 01 DEC 26`). The feed
sends FeedResponse protobuf frames built with the plugin's own message classes. What the kit drives
(expiry, throttling, refusals, dropped feeds, the request log) is `brokers.common.simulator`'s.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

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
    ist_text,
)
from brokers.common.symbols import MONTHS, strike_text
from brokers.upstox.mapping import (
    INTERVAL_FROM_UPSTREAM,
    PRODUCT_FROM_UPSTREAM,
    PRODUCT_TO_UPSTREAM,
    SEGMENT_TO_UPSTREAM,
    segment_kind,
)
from brokers.upstox.plugin import UpstoxPlugin
from brokers.upstox.streaming import FeedResponse
from brokers.upstox.symbols import INDEX_NAME_TO_UPSTREAM
from generated.contract import Account
from generated.errors import BrokergateError, OrderNotFound
from sandbox.engine import ModifyRequest, OrderRequest, Product
from sandbox.engine.margin import position_margin, underlying_price
from sandbox.market import IST, Instrument, InstrumentType, OfflineMarket

UPSTREAM_SPEC = Path(__file__).resolve().parents[2] / "contracts" / "upstream" / "upstox.yaml"
BASE_URL = "http://upstox.simulator"
REDIRECT_URL = "http://127.0.0.1:5000/upstox/callback"
FEED_URL = "wss://upstox.simulator/v3/feed"
# The simulator's refusal code: Upstox documents per-endpoint codes for refused orders, and the
# plugin reads any 4xx on an order write that is not a session, symbol or order-id problem as a
# refusal, so a stand-in code is enough here.
REFUSAL_CODE = "UDAPI100060"
_STATUS = {
    "open": "open",
    "complete": "complete",
    "trigger pending": "trigger pending",
    "rejected": "rejected",
    "cancelled": "cancelled",
}


def _trading_symbol(instrument: Instrument, is_monthly: bool) -> str:
    """Upstox's trading symbols: `SBIN`, `NIFTY FUT 29 DEC 26`, `NIFTY 24850 CE 01 DEC 26`."""
    if instrument.instrument_type in (InstrumentType.EQUITY, InstrumentType.INDEX):
        return instrument.symbol
    expiry = instrument.expiry
    when = f"{expiry.day:02d} {MONTHS[expiry.month - 1]} {expiry.year % 100:02d}"
    if instrument.instrument_type is InstrumentType.FUTURE:
        return f"{instrument.name} FUT {when}"
    return f"{instrument.name} {strike_text(instrument.strike)} {instrument.instrument_type.value} {when}"


def _namer(instrument: Instrument, is_monthly: bool) -> tuple[str, str]:
    return SEGMENT_TO_UPSTREAM[instrument.exchange], _trading_symbol(instrument, is_monthly)


def instrument_key(row: SimRow) -> str:
    """`NSE_EQ|<ISIN>` for shares, `NSE_INDEX|<index name>` for indices, `<segment>|<exchange token>` otherwise."""
    if row.instrument.instrument_type is InstrumentType.EQUITY:
        return f"{row.exchange}|{isin(row)}"
    if row.instrument.instrument_type is InstrumentType.INDEX:
        return f"{row.exchange}|{INDEX_NAME_TO_UPSTREAM.get(row.instrument.symbol, row.instrument.symbol)}"
    return f"{row.exchange}|{row.token}"


def isin(row: SimRow) -> str:
    return f"INE{row.token:06d}01{row.token % 10}"  # twelve characters, shaped like an Indian ISIN


GTT_WRITES = ("/v3/order/gtt/place", "/v3/order/gtt/modify", "/v3/order/gtt/cancel")
# The engine's GTT statuses as an Upstox rule's `status`.
_GTT_STATUS = {"active": "SCHEDULED", "triggered": "TRIGGERED", "cancelled": "CANCELLED", "expired": "EXPIRED",
               "rejected": "FAILED"}  # fmt: skip


def rate_class(method: str, path: str) -> str:
    """The manifest's rate classes, by endpoint."""
    if path in ("/v2/order/place", "/v2/order/modify", "/v2/order/cancel", *GTT_WRITES):
        return "orders"
    if path.startswith("/v2/market-quote"):
        return "quotes"
    if path.startswith("/v2/historical-candle"):
        return "history"
    return "other"


class UpstoxError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def _success(data: Any) -> JSONResponse:
    return JSONResponse({"status": "success", "data": data})


def _error(error: UpstoxError) -> JSONResponse:
    entry = {"errorCode": error.code, "message": error.message, "propertyPath": None, "invalidValue": None,
             "error_code": error.code, "property_path": None, "invalid_value": None}  # fmt: skip
    return JSONResponse({"status": "error", "errors": [entry]}, status_code=error.status, headers=error.headers)


class UpstoxSimulator(SimulatedBroker):
    """Upstox for one simulated account (engine user 1), on its own in-memory sandbox exchange."""

    broker = "upstox"

    def __init__(
        self,
        market: OfflineMarket | None = None,
        *,
        api_key: str = "upstox-simulated-key",
        api_secret: str = "upstox-simulated-secret",
        redirect_url: str = REDIRECT_URL,
        feed_interval: float = 0.05,
    ) -> None:
        super().__init__(market, feed_interval=feed_interval)
        self.credentials = {"api_key": api_key, "api_secret": api_secret}
        self.redirect_url = redirect_url
        self.names = InstrumentNames(_namer)
        self._keys_of: list[SimRow] | None = None
        self._by_key: dict[str, SimRow] = {}
        self._codes: dict[str, str] = {}  # authorization code -> the redirect_uri it was issued for
        self._feed_codes: dict[str, str] = {}  # one-time feed code -> the access token it belongs to
        self.app = Starlette(
            routes=[
                Route("/v2/login/authorization/dialog", self._dialog, methods=["GET"]),
                Route("/v2/login/authorization/token", self._token, methods=["POST"]),
                Route("/market-quote/instruments/exchange/complete.json.gz", self._instruments, methods=["GET"]),
                Route("/v2/order/place", self._guarded(self._place), methods=["POST"]),
                Route("/v2/order/modify", self._guarded(self._modify), methods=["PUT"]),
                Route("/v2/order/cancel", self._guarded(self._cancel), methods=["DELETE"]),
                Route("/v2/order/retrieve-all", self._guarded(self._orders), methods=["GET"]),
                Route("/v3/order/gtt/place", self._guarded(self._gtt_place), methods=["POST"]),
                Route("/v3/order/gtt/modify", self._guarded(self._gtt_modify), methods=["PUT"]),
                Route("/v3/order/gtt/cancel", self._guarded(self._gtt_cancel), methods=["DELETE"]),
                Route("/v3/order/gtt", self._guarded(self._gtt_book), methods=["GET"]),
                Route("/v2/order/details", self._guarded(self._order_details), methods=["GET"]),
                Route("/v2/order/trades/get-trades-for-day", self._guarded(self._trades), methods=["GET"]),
                Route("/v2/portfolio/short-term-positions", self._guarded(self._positions), methods=["GET"]),
                Route("/v2/portfolio/long-term-holdings", self._guarded(self._holdings), methods=["GET"]),
                Route("/v2/user/get-funds-and-margin", self._guarded(self._funds), methods=["GET"]),
                Route("/v2/charges/margin", self._guarded(self._margin), methods=["POST"]),
                Route("/v2/market-quote/quotes", self._guarded(self._quotes), methods=["GET"]),
                Route(
                    "/v2/historical-candle/{key}/{interval}/{to_date}/{from_date}",
                    self._guarded(self._candles),
                    methods=["GET"],
                ),
                Route("/v3/feed/market-data-feed/authorize", self._guarded(self._feed_authorize), methods=["GET"]),
            ]
        )

    # For the harness and tests

    def plugin(self, transport: httpx.AsyncBaseTransport | None = None, **options: Any) -> UpstoxPlugin:
        """An UpstoxPlugin that talks to this simulator (through `transport`, default straight to the app)."""
        return UpstoxPlugin(
            base_url=BASE_URL,
            order_url=BASE_URL,
            assets_url=BASE_URL,
            transport=transport or httpx.ASGITransport(app=self.app),
            **options,
        )

    def issue_session(self) -> Account:
        """A logged-in account without the login flow, for tests that are about something else."""
        return Account(user_id=self.user_id, broker=self.broker, token=self.new_token(), credentials=self.credentials)

    def feed_connector(self):
        """A feed connector for UpstoxFeed that reaches this simulator without sockets."""

        @asynccontextmanager
        async def connect(url: str) -> AsyncIterator[UpstoxFeedSession]:
            code = parse_qs(urlsplit(url).query).get("code", [""])[0]
            token = self._feed_codes.pop(code, None)  # a feed URL works once
            if token is None or not self.is_valid_token(token):
                raise ConnectionRefusedError("the upstox feed refused the authorization code (HTTP 403)")
            async with self.feed_session(UpstoxFeedSession(self)) as session:
                yield session

        return connect

    # Plumbing

    def _guarded(self, handler):
        async def guarded(request: Request) -> Response:
            path = request.url.path
            self.record(request.method, path, rate_class(request.method, path))
            try:
                retry_after = self.take_throttle()
                if retry_after is not None:
                    raise UpstoxError(429, "UDAPI10005", "Too Many Request Sent", {"Retry-After": str(retry_after)})
                scheme, _, token = request.headers.get("authorization", "").partition(" ")
                if scheme != "Bearer" or not self.is_valid_token(token):
                    raise UpstoxError(401, "UDAPI100050", "Invalid token used to access API")
                self._refresh()
                return await handler(request)
            except UpstoxError as e:
                return _error(e)

        return guarded

    def _refresh(self) -> None:
        self.names.refresh(self.market)
        if self._keys_of is not self.names.rows:
            self._by_key = {instrument_key(row): row for row in self.names.rows}
            self._keys_of = self.names.rows

    def _row(self, key: str) -> SimRow:
        row = self._by_key.get(key)
        if row is None:
            raise UpstoxError(400, "UDAPI100036", "Invalid Instrument key")
        return row

    def _row_of(self, exchange: str, symbol: str) -> SimRow:
        row = self.names.unified(exchange, symbol)
        assert row is not None, f"the engine holds {exchange}:{symbol}, which the offline market does not list"
        return row

    @staticmethod
    def _engine_error(error: BrokergateError) -> UpstoxError:
        if isinstance(error, OrderNotFound):
            return UpstoxError(400, "UDAPI100010", "Order not found")
        return UpstoxError(400, REFUSAL_CODE, error.message)

    # Session

    async def _dialog(self, request: Request) -> Response:
        # The user signs in at once; the redirect carries a one-time code and the app's state.
        query = request.query_params
        if query.get("client_id") != self.credentials["api_key"] or query.get("response_type") != "code":
            return PlainTextResponse("Invalid client_id or response_type", status_code=400)
        if query.get("redirect_uri") != self.redirect_url:
            return PlainTextResponse("redirect_uri does not match the app's", status_code=400)
        code = secrets.token_urlsafe(6)
        self._codes[code] = self.redirect_url
        params = {"code": code} | ({"state": query["state"]} if query.get("state") else {})
        return RedirectResponse(f"{self.redirect_url}?{urlencode(params)}", status_code=302)

    async def _token(self, request: Request) -> Response:
        self.record("POST", request.url.path, "other")
        form = await request.form()
        code = str(form.get("code", ""))
        if (
            form.get("client_id") != self.credentials["api_key"]
            or form.get("client_secret") != self.credentials["api_secret"]
        ):
            return _error(UpstoxError(401, "UDAPI100016", "Invalid Credentials"))
        if form.get("grant_type") != "authorization_code" or self._codes.get(code) != form.get("redirect_uri"):
            return _error(UpstoxError(400, "UDAPI100057", "Invalid Auth code"))
        del self._codes[code]  # a code works once
        return JSONResponse(
            {
                "email": "simulated@example.com",
                "exchanges": ["NSE", "NFO", "BSE", "BFO", "CDS", "MCX"],
                "products": ["D", "I", "CO", "MTF"],
                "broker": "UPSTOX",
                "user_id": "SIM123",
                "user_name": "Simulated User",
                "order_types": ["MARKET", "LIMIT", "SL", "SL-M"],
                "user_type": "individual",
                "poa": False,
                "is_active": True,
                "access_token": self.new_token(),
                "extended_token": None,
            }
        )

    # Orders

    async def _place(self, request: Request) -> Response:
        body = await request.json()
        reason = self.take_refusal()
        if reason is not None:
            raise UpstoxError(400, REFUSAL_CODE, reason)
        row = self._row(str(body.get("instrument_token")))
        kind = segment_kind(row.exchange)
        product = PRODUCT_FROM_UPSTREAM[kind].get(body.get("product"))
        if product is None:
            raise UpstoxError(400, "UDAPI100011", f"Invalid product {body.get('product')!r} for {row.exchange}")
        order = OrderRequest(
            exchange=row.instrument.exchange,
            symbol=row.instrument.symbol,
            action=str(body.get("transaction_type")),
            quantity=int(body.get("quantity") or 0),
            price_type=str(body.get("order_type")),
            product=product,
            price=Decimal(str(body.get("price") or 0)),
            trigger_price=Decimal(str(body.get("trigger_price") or 0)),
            strategy=str(body.get("tag") or ""),
        )
        try:
            order_id = await self.engine.place_order(self.user_id, order)
        except BrokergateError as e:
            # Like Upstox's RMS, a refusal after acceptance leaves a rejected order in the book.
            if e.context.get("order_id"):
                return _success({"order_id": e.context["order_id"]})
            raise self._engine_error(e) from e
        return _success({"order_id": order_id})

    async def _modify(self, request: Request) -> Response:
        body = await request.json()
        price_type = str(body.get("order_type") or "")
        changes = ModifyRequest(
            quantity=int(body["quantity"]) if body.get("quantity") else None,
            price_type=price_type or None,
            price=Decimal(str(body["price"])) if price_type in ("LIMIT", "SL") else None,
            trigger_price=Decimal(str(body["trigger_price"])) if price_type in ("SL", "SL-M") else None,
        )
        order_id = str(body.get("order_id"))
        try:
            await self.engine.modify_order(self.user_id, order_id, changes)
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return _success({"order_id": order_id})

    async def _cancel(self, request: Request) -> Response:
        order_id = request.query_params.get("order_id", "")
        try:
            await self.engine.cancel_order(self.user_id, order_id)
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return _success({"order_id": order_id})

    # GTT orders (SINGLE) on the sandbox engine's GTT book, which fires them on the offline market

    def _gtt_request(self, body: dict, row: SimRow, action: str, product: str):
        rules = body.get("rules")
        if body.get("type") != "SINGLE":
            raise UpstoxError(400, "UDAPI1137", "The simulator serves SINGLE GTT orders only")
        if not isinstance(rules, list) or len(rules) != 1 or not isinstance(rules[0], dict):
            raise UpstoxError(400, "UDAPI1136", "A SINGLE GTT order has exactly one rule")
        rule = rules[0]
        try:
            trigger, quantity = decimal_of(rule["trigger_price"]), int(body["quantity"])
        except (KeyError, TypeError, ValueError) as e:
            raise UpstoxError(400, "UDAPI1138", f"Invalid rule: {e}") from e
        ltp = decimal_of(self.market.quote(row.instrument.exchange, row.instrument.symbol).ltp)
        direction = {"BELOW": trigger < ltp, "ABOVE": trigger > ltp, "IMMEDIATE": True}
        if rule.get("strategy") != "ENTRY" or not direction.get(str(rule.get("trigger_type")), False):
            raise UpstoxError(
                400, "UDAPI1141", "The ENTRY rule's trigger_type does not match its trigger_price and the LTP"
            )
        if rule["trigger_type"] == "IMMEDIATE":
            trigger = ltp
        try:  # Upstox places the triggered order at the trigger price
            return engine_gtt(ltp, [(trigger, trigger)], exchange=row.instrument.exchange, symbol=row.instrument.symbol,
                              action=action, product=product, quantity=quantity, price_type="LIMIT")  # fmt: skip
        except ValueError as e:
            raise UpstoxError(400, "UDAPI1138", f"Invalid GTT order: {e}") from e

    async def _live_gtt(self, gtt_id: str):
        gtt = next((gtt for gtt in await self.engine.gtt_book(self.user_id) if gtt.gtt_id == gtt_id), None)
        if gtt is None:
            raise UpstoxError(400, "UDAPI100010", "GTT order not found")
        return gtt

    async def _gtt_place(self, request: Request) -> Response:
        body = await request.json()
        row = self._row(str(body.get("instrument_token")))
        product = PRODUCT_FROM_UPSTREAM[segment_kind(row.exchange)].get(body.get("product"))
        if product is None or body.get("transaction_type") not in ("BUY", "SELL"):
            raise UpstoxError(400, "UDAPI100011", "Invalid product or transaction_type")
        try:
            gtt_id = await self.engine.place_gtt(
                self.user_id, self._gtt_request(body, row, body["transaction_type"], product)
            )
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return _success({"gtt_order_ids": [gtt_id]})

    async def _gtt_modify(self, request: Request) -> Response:
        body = await request.json()
        gtt = await self._live_gtt(str(body.get("gtt_order_id")))
        row = self._row_of(gtt.exchange, gtt.symbol)
        try:
            await self.engine.modify_gtt(
                self.user_id, gtt.gtt_id, self._gtt_request(body, row, gtt.action, gtt.product)
            )
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return _success({"gtt_order_ids": [gtt.gtt_id]})

    async def _gtt_cancel(self, request: Request) -> Response:
        gtt = await self._live_gtt(str((await request.json()).get("gtt_order_id")))
        try:
            await self.engine.cancel_gtt(self.user_id, gtt.gtt_id)
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return _success({"gtt_order_ids": [gtt.gtt_id]})

    async def _gtt_book(self, request: Request) -> Response:
        wanted = request.query_params.get("gtt_order_id")
        rows = []
        for gtt in await self.engine.gtt_book(self.user_id, include_inactive=True):
            if wanted and gtt.gtt_id != wanted:
                continue
            row = self._row_of(gtt.exchange, gtt.symbol)
            [(trigger, _)] = engine_legs(gtt)
            direction = "BELOW" if gtt.stoploss_trigger is not None else "ABOVE"
            rule = {"strategy": "ENTRY", "status": _GTT_STATUS[str(gtt.status)], "trigger_type": direction,
                    "trigger_price": as_float(trigger), "transaction_type": gtt.action, "order_id": gtt.order_id}  # fmt: skip
            answer = {"type": "SINGLE", "exchange": row.exchange, "quantity": gtt.quantity,
                      "product": self._product(gtt.product, row), "rules": [rule], "trading_symbol": row.symbol,
                      "instrument_token": instrument_key(row), "gtt_order_id": gtt.gtt_id,
                      "expires_at": int(gtt.expires_at.timestamp() * 1e6), "created_at": int(gtt.created_at.timestamp() * 1e6)}  # fmt: skip
            rows.append(answer)
        return _success(rows)

    def _product(self, product: str, row: SimRow) -> str:
        return PRODUCT_TO_UPSTREAM[segment_kind(row.exchange)][product]

    def _order_row(self, order) -> dict:
        row = self._row_of(order.exchange, order.symbol)
        status = _STATUS[order.status]
        is_live = order.status in ("open", "trigger pending")
        return {
            "exchange": order.exchange,
            "product": self._product(order.product, row),
            "price": as_float(order.price),
            "quantity": order.quantity,
            "status": status,
            "tag": order.strategy or None,
            "instrument_token": instrument_key(row),
            "placed_by": "SIM123",
            "trading_symbol": row.symbol,
            "tradingsymbol": row.symbol,
            "order_type": order.price_type,
            "validity": "DAY",
            "trigger_price": as_float(order.trigger_price),
            "disclosed_quantity": 0,
            "transaction_type": order.action,
            "average_price": as_float(order.average_price),
            "filled_quantity": order.filled_quantity,
            "pending_quantity": order.quantity - order.filled_quantity if is_live else 0,
            "status_message": order.rejection_reason or None,
            "exchange_order_id": None if status == "rejected" else f"13{order.order_id[-12:]}",
            "parent_order_id": None,
            "order_id": order.order_id,
            "variety": "SIMPLE",
            "order_timestamp": ist_text(order.created_at),
            "exchange_timestamp": ist_text(order.updated_at),
            "is_amo": False,
            "order_request_id": "1",
            "order_ref_id": None,
        }

    async def _orders(self, request: Request) -> Response:
        return _success([self._order_row(order) for order in await self.engine.orderbook(self.user_id)])

    async def _order_details(self, request: Request) -> Response:
        try:
            order = await self.engine.order_status(self.user_id, request.query_params.get("order_id", ""))
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return _success(self._order_row(order))

    async def _trades(self, request: Request) -> Response:
        rows = []
        for trade in await self.engine.tradebook(self.user_id):
            row = self._row_of(trade.exchange, trade.symbol)
            rows.append(
                {
                    "exchange": trade.exchange,
                    "product": self._product(trade.product, row),
                    "trading_symbol": row.symbol,
                    "tradingsymbol": row.symbol,
                    "instrument_token": instrument_key(row),
                    "order_type": "MARKET",
                    "transaction_type": trade.action,
                    "quantity": trade.quantity,
                    "exchange_order_id": f"13{trade.order_id[-12:]}",
                    "order_id": trade.order_id,
                    "exchange_timestamp": trade.created_at.astimezone(IST).strftime("%d-%b-%Y %H:%M:%S"),
                    "average_price": as_float(trade.price),
                    "trade_id": trade.trade_id,
                    "order_ref_id": None,
                    "order_timestamp": trade.created_at.astimezone(IST).strftime("%d-%b-%Y %H:%M:%S"),
                }
            )
        return _success(rows)

    # Portfolio and funds

    async def _positions(self, request: Request) -> Response:
        rows = []
        for position in await self.engine.positions(self.user_id):
            row = self._row_of(position.exchange, position.symbol)
            average = as_float(position.average_price)
            rows.append(
                {
                    "exchange": position.exchange,
                    "multiplier": 1.0,
                    "value": 0.0,
                    "pnl": as_float(position.unrealized_pnl + position.realized_pnl),
                    "product": self._product(position.product, row),
                    "instrument_token": instrument_key(row),
                    "average_price": average,
                    "buy_price": average if position.quantity >= 0 else 0.0,
                    "sell_price": average if position.quantity < 0 else 0.0,
                    "overnight_quantity": 0,
                    "quantity": position.quantity,
                    "last_price": as_float(position.ltp),
                    "unrealised": as_float(position.unrealized_pnl),
                    "realised": as_float(position.realized_pnl),
                    "trading_symbol": row.symbol,
                    "tradingsymbol": row.symbol,
                    "close_price": as_float(position.ltp),
                }
            )
        return _success(rows)

    async def _holdings(self, request: Request) -> Response:
        rows = []
        for holding in await self.engine.holdings(self.user_id):
            row = self._row_of(holding.exchange, holding.symbol)
            last = holding.ltp or Decimal(0)
            rows.append(
                {
                    "isin": isin(row),
                    "cnc_used_quantity": 0,
                    "collateral_type": "WC",
                    "company_name": row.instrument.name,
                    "haircut": 0.2,
                    "product": "D",
                    "quantity": holding.quantity,
                    "trading_symbol": row.symbol,
                    "tradingsymbol": row.symbol,
                    "last_price": as_float(last),
                    "close_price": as_float(last),
                    "pnl": as_float(last * holding.quantity - holding.cost),
                    "day_change": 0.0,
                    "day_change_percentage": 0.0,
                    "instrument_token": instrument_key(row),
                    "average_price": as_float(holding.average_price),
                    "collateral_quantity": 0,
                    "collateral_update_quantity": 0,
                    "t1_quantity": 0,
                    "exchange": holding.exchange,
                }
            )
        return _success(rows)

    async def _funds(self, request: Request) -> Response:
        funds = await self.engine.funds(self.user_id)

        def segment(available: Decimal, used: Decimal) -> dict:
            return {"used_margin": as_float(used), "payin_amount": 0.0, "span_margin": 0.0, "adhoc_margin": 0.0,
                    "notional_cash": 0.0, "available_margin": as_float(available), "exposure_margin": 0.0}  # fmt: skip

        # The sandbox keeps one ledger, so the commodity segment is present and empty.
        return _success(
            {"equity": segment(funds.available_cash, funds.used_margin), "commodity": segment(Decimal(0), Decimal(0))}
        )

    async def _margin(self, request: Request) -> Response:
        margins, total_required = [], Decimal(0)
        for entry in (await request.json()).get("instruments") or []:
            row = self._row(str(entry.get("instrument_key")))
            instrument = row.instrument
            product = PRODUCT_FROM_UPSTREAM[segment_kind(row.exchange)].get(entry.get("product"))
            if product is None:
                raise UpstoxError(400, "UDAPI100011", f"Invalid product {entry.get('product')!r}")
            price = Decimal(str(entry.get("price") or 0)) or Decimal(
                str(self.market.quote(instrument.exchange, instrument.symbol).ltp)
            )
            sign = 1 if entry.get("transaction_type") == "BUY" else -1
            total = position_margin(
                instrument, Product(product), sign * int(entry.get("quantity") or 0), price,
                self.engine.config, underlying_price(instrument, self.market),
            )  # fmt: skip
            total_required += total
            margins.append({"equity_margin": as_float(total) if row.exchange.endswith("_EQ") else 0.0, "total_margin": as_float(total),
                            "exposure_margin": as_float(total), "tender_margin": 0.0, "span_margin": 0.0,
                            "net_buy_premium": 0.0, "additional_margin": 0.0})  # fmt: skip
        return _success(
            {"margins": margins, "required_margin": as_float(total_required), "final_margin": as_float(total_required)}
        )

    # Market data

    async def _quotes(self, request: Request) -> Response:
        answer = {}
        for key in request.query_params.get("instrument_key", "").split(","):
            row = self._by_key.get(key)
            if row is None:
                continue  # unknown keys are left out of the answer
            answer[f"{row.exchange}:{row.symbol}"] = self._quote_row(row)
        return _success(answer)

    def _quote_row(self, row: SimRow) -> dict:
        tick = self.market.tick(row.instrument.exchange, row.instrument.symbol)
        quote, depth = tick.quote, tick.depth
        levels = {
            side: [{"quantity": level.quantity, "price": level.price, "orders": level.orders} for level in getattr(depth, name)]
            if depth else []
            for side, name in (("buy", "bids"), ("sell", "asks"))
        }  # fmt: skip
        stamp = datetime.fromtimestamp(quote.timestamp, UTC)
        return {
            "ohlc": {"open": quote.open, "high": quote.high, "low": quote.low, "close": quote.prev_close},
            "depth": levels,
            "timestamp": stamp.astimezone(IST).isoformat(timespec="milliseconds"),
            "instrument_token": instrument_key(row),
            "symbol": row.instrument.name,
            "last_price": quote.ltp,
            "volume": quote.volume,
            "average_price": quote.average_price,
            "oi": float(quote.oi),
            "net_change": round(quote.ltp - quote.prev_close, 2),
            "total_buy_quantity": float(sum(level["quantity"] for level in levels["buy"])),
            "total_sell_quantity": float(sum(level["quantity"] for level in levels["sell"])),
            "lower_circuit_limit": round(quote.prev_close * 0.8, 2),
            "upper_circuit_limit": round(quote.prev_close * 1.2, 2),
            "last_trade_time": str(int(quote.timestamp * 1000)),
            "oi_day_high": 0.0,
            "oi_day_low": 0.0,
        }

    async def _candles(self, request: Request) -> Response:
        row = self._row(request.path_params["key"])
        interval = INTERVAL_FROM_UPSTREAM.get(request.path_params["interval"])
        if interval is None:
            raise UpstoxError(400, "UDAPI100011", "Invalid interval")
        try:
            end = date.fromisoformat(request.path_params["to_date"])
            start = date.fromisoformat(request.path_params["from_date"])
        except ValueError as e:
            raise UpstoxError(400, "UDAPI100011", "Invalid date: dates are YYYY-MM-DD") from e
        candles = self.market.history(row.instrument.exchange, row.instrument.symbol, interval, start, end)
        rows = [
            [datetime.fromtimestamp(c.timestamp, IST).isoformat(), c.open, c.high, c.low, c.close, c.volume, c.oi]
            for c in reversed(candles)  # Upstox answers newest first
        ]
        return _success({"candles": rows})

    async def _feed_authorize(self, request: Request) -> Response:
        token = request.headers["authorization"].partition(" ")[2]
        code = secrets.token_urlsafe(12)
        self._feed_codes[code] = token
        url = f"{FEED_URL}?{urlencode({'requestId': secrets.token_hex(8), 'code': code})}"
        return _success({"authorized_redirect_uri": url, "authorizedRedirectUri": url})

    async def _instruments(self, request: Request) -> Response:
        self.record("GET", request.url.path, "other")
        self._refresh()
        rows = [self._master_row(row) for row in self.names.rows]
        return Response(gzip.compress(json.dumps(rows).encode()), media_type="application/gzip")

    @staticmethod
    def _master_row(row: SimRow) -> dict:
        instrument = row.instrument
        entry: dict[str, Any] = {
            "segment": row.exchange,
            "name": instrument.name,
            "exchange": row.exchange.partition("_")[0].replace("NCD", "NSE").replace("BCD", "BSE"),
            "instrument_type": instrument.instrument_type.value,
            "instrument_key": instrument_key(row),
            "lot_size": instrument.lot_size,
            "freeze_quantity": float(instrument.freeze_quantity),
            "exchange_token": str(row.token),
            "tick_size": round(instrument.tick_size * 100, 4),
            "trading_symbol": row.symbol,
        }
        if instrument.instrument_type is InstrumentType.INDEX:
            entry["name"] = INDEX_NAME_TO_UPSTREAM.get(instrument.symbol, instrument.symbol)
        elif instrument.instrument_type is InstrumentType.EQUITY:
            entry["isin"] = isin(row)
            entry["short_name"] = instrument.name
            entry["security_type"] = "NORMAL"
        else:
            # The last moment of the expiry day in India, in epoch milliseconds.
            ends = datetime.combine(instrument.expiry, datetime.max.time().replace(microsecond=0), IST)
            entry |= {
                "expiry": int(ends.timestamp()) * 1000,
                "weekly": not row.is_monthly and instrument.is_option,
                "asset_symbol": instrument.name,
                "underlying_symbol": instrument.name,
                "minimum_lot": instrument.lot_size,
            }
            if instrument.is_option:
                entry["strike_price"] = float(instrument.strike)
        return entry


class UpstoxFeedSession(FeedSession):
    """One feed connection: subscription frames in, FeedResponse frames out; market status comes first."""

    def __init__(self, simulator: UpstoxSimulator) -> None:
        super().__init__()
        self._simulator = simulator
        self._greeted = False

    async def send(self, message: str | bytes) -> None:
        self.check_open("upstox")
        request = json.loads(message)
        data = request.get("data") or {}
        keys, mode = data.get("instrumentKeys") or [], data.get("mode") or "ltpc"
        if request.get("method") in ("sub", "change_mode"):
            self.modes.update(dict.fromkeys(keys, mode))
        elif request.get("method") == "unsub":
            for key in keys:
                self.modes.pop(key, None)

    async def recv(self) -> bytes:
        simulator = self._simulator
        await asyncio.sleep(0 if not self._greeted else simulator.feed_interval)
        self.check_open("upstox")
        response = FeedResponse(currentTs=int(datetime.now(UTC).timestamp() * 1000))
        if not self._greeted:
            self._greeted = True
            response.type = 2  # market_info
            for segment in ("NSE_EQ", "NSE_FO", "BSE_EQ", "BSE_FO", "MCX_FO", "NCD_FO", "NSE_INDEX", "BSE_INDEX"):
                response.marketInfo.segmentStatus[segment] = 2  # NORMAL_OPEN
            return response.SerializeToString()
        response.type = 1  # live_feed
        simulator._refresh()
        for key, mode in list(self.modes.items()):
            row = simulator._by_key.get(key)
            if row is not None:
                encode_feed(
                    response.feeds[key],
                    row,
                    mode,
                    simulator.market.tick(row.instrument.exchange, row.instrument.symbol),
                )
        return response.SerializeToString()


def encode_feed(feed: Any, row: SimRow, mode: str, tick) -> None:
    """Fill one Feed message as Upstox's feed writes it for `mode`."""
    quote = tick.quote
    if mode == "ltpc":
        target = feed.ltpc
        feed.requestMode = 0
    elif row.instrument.instrument_type is InstrumentType.INDEX:
        index = feed.fullFeed.indexFF
        target = index.ltpc
        index.marketOHLC.ohlc.add(interval="1d", open=quote.open, high=quote.high, low=quote.low, close=quote.ltp,
                                  ts=int(quote.timestamp * 1000))  # fmt: skip
        feed.requestMode = 1
    else:
        market = feed.fullFeed.marketFF
        target = market.ltpc
        depth = tick.depth
        for bid, ask in zip(depth.bids if depth else (), depth.asks if depth else (), strict=False):
            market.marketLevel.bidAskQuote.add(bidQ=bid.quantity, bidP=bid.price, askQ=ask.quantity, askP=ask.price)
        market.marketOHLC.ohlc.add(interval="1d", open=quote.open, high=quote.high, low=quote.low, close=quote.ltp,
                                   vol=quote.volume, ts=int(quote.timestamp * 1000))  # fmt: skip
        market.atp, market.vtt, market.oi = quote.average_price, quote.volume, float(quote.oi)
        market.tbq = float(sum(level.quantity for level in depth.bids)) if depth else 0.0
        market.tsq = float(sum(level.quantity for level in depth.asks)) if depth else 0.0
        feed.requestMode = 1
    target.ltp, target.ltt, target.ltq, target.cp = (
        quote.ltp,
        int(quote.timestamp * 1000),
        quote.last_quantity,
        quote.prev_close,
    )


Simulator = UpstoxSimulator

__all__ = [
    "BASE_URL",
    "REDIRECT_URL",
    "Simulator",
    "UpstoxFeedSession",
    "UpstoxSimulator",
    "encode_feed",
    "instrument_key",
    "rate_class",
]
