"""A Kite Connect v3 server for offline tests: Kite's HTTP API and ticker, backed by the sandbox exchange core.

Orders placed here really fill, on the offline market, through the sandbox engine; answers use Kite's
envelopes (`{"status": "success", "data": ...}`, `{"status": "error", "error_type": ..., "message": ...}`),
Kite's field names and Kite's trading symbols (weekly options `NIFTY2412526000CE`, monthly
`NIFTY24DEC26000CE`, futures `NIFTY24DECFUT`, indices `NIFTY 50`). Tests can expire every session,
throttle the next requests or make the next order be refused, and every request is recorded with its
time and rate class, so the conformance kit can check the plugin's pacing.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import struct
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
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from brokers.common.simulator import (
    FeedSession,
    InstrumentNames,
    SimRow,
    SimulatedBroker,
    as_float,
    engine_gtt,
    engine_legs,
    is_index,
    ist_text,
)
from brokers.zerodha import auth
from brokers.zerodha.mapping import INDEX_EXCHANGE_TO_UPSTREAM, INDEX_NAME_TO_UPSTREAM, INTERVAL_FROM_UPSTREAM
from brokers.zerodha.plugin import ZerodhaPlugin
from generated.contract import Account
from generated.errors import BrokergateError, InsufficientFunds, OrderNotFound, OrderNotModifiable, OrderRejected
from sandbox.engine import GttRequest, ModifyRequest, OrderRequest, Product
from sandbox.engine.margin import position_margin, underlying_price
from sandbox.market import IST, Instrument, InstrumentType, OfflineMarket

UPSTREAM_SPEC = Path(__file__).resolve().parents[2] / "contracts" / "upstream" / "zerodha.yaml"
BASE_URL = "http://kite.simulator"
REDIRECT_URL = "http://127.0.0.1:5000/zerodha/callback"
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKLY_MONTHS = "123456789OND"  # Kite's one-character month in weekly option symbols
_SEGMENT_CODES = {"NSE": 1, "NFO": 2, "CDS": 3, "BSE": 4, "BFO": 5, "BCD": 6, "MCX": 7, "INDICES": 9}
_PRICE_DIVISORS = {"CDS": 10_000_000, "BCD": 10_000}
_STATUS_TO_UPSTREAM = {
    "open": "OPEN",
    "complete": "COMPLETE",
    "trigger pending": "TRIGGER PENDING",
    "rejected": "REJECTED",
    "cancelled": "CANCELLED",
}
_INTERVALS = INTERVAL_FROM_UPSTREAM | {"60minute": "60m"}


def _kite_symbol(instrument: Instrument, is_monthly: bool) -> str:
    if instrument.instrument_type in (InstrumentType.EQUITY, InstrumentType.INDEX):
        return INDEX_NAME_TO_UPSTREAM.get(instrument.symbol, instrument.symbol)
    expiry = instrument.expiry
    year = f"{expiry.year % 100:02d}"
    if instrument.instrument_type is InstrumentType.FUTURE:
        return f"{instrument.name}{year}{_MONTHS[expiry.month - 1]}FUT"
    strike = f"{instrument.strike:.4f}".rstrip("0").rstrip(".")
    kind = instrument.instrument_type.value
    if is_monthly:
        return f"{instrument.name}{year}{_MONTHS[expiry.month - 1]}{strike}{kind}"
    return f"{instrument.name}{year}{_WEEKLY_MONTHS[expiry.month - 1]}{expiry.day:02d}{strike}{kind}"


def _kite_name(instrument: Instrument, is_monthly: bool) -> tuple[str, str]:
    return INDEX_EXCHANGE_TO_UPSTREAM.get(instrument.exchange, instrument.exchange), _kite_symbol(instrument, is_monthly)


def segment(row: SimRow) -> str:
    """Kite's segment column: INDICES, NFO-FUT, NFO-OPT, or the exchange for cash."""
    if is_index(row.instrument):
        return "INDICES"
    if row.instrument.is_derivative:
        return f"{row.exchange}-{'FUT' if row.instrument.instrument_type is InstrumentType.FUTURE else 'OPT'}"
    return row.exchange


def instrument_token(row: SimRow) -> int:
    """Kite's instrument token: the exchange token shifted left a byte, the low byte naming the segment."""
    return row.token * 256 + _SEGMENT_CODES["INDICES" if is_index(row.instrument) else row.exchange]


def row_by_instrument_token(names: InstrumentNames, value: int) -> SimRow | None:
    row = names.token(value >> 8)
    return row if row is not None and instrument_token(row) == value else None


class KiteError(Exception):
    def __init__(self, status: int, error_type: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.error_type, self.message, self.headers = status, error_type, message, headers or {}


def _success(data: Any) -> JSONResponse:
    return JSONResponse({"status": "success", "data": data})


def rate_class(method: str, path: str) -> str:
    """Kite's rate-limit classes, by endpoint."""
    if path.startswith("/orders/") and method in ("POST", "PUT", "DELETE"):
        return "orders"
    if path.startswith("/quote"):
        return "quotes"
    if path.startswith("/instruments/historical"):
        return "history"
    return "other"


class KiteSimulator(SimulatedBroker):
    """Kite Connect for one simulated account (engine user 1), on its own in-memory sandbox exchange."""

    broker = "zerodha"

    def __init__(
        self,
        market: OfflineMarket | None = None,
        *,
        api_key: str = "kite-simulated-key",
        api_secret: str = "kite-simulated-secret",
        redirect_url: str = REDIRECT_URL,
        feed_interval: float = 0.05,
    ) -> None:
        super().__init__(market, feed_interval=feed_interval)
        self.api_key, self.api_secret, self.redirect_url = api_key, api_secret, redirect_url
        self.credentials = {"api_key": api_key, "api_secret": api_secret}
        self.names = InstrumentNames(_kite_name)
        self._request_tokens: set[str] = set()
        self.app = Starlette(
            routes=[
                Route("/connect/login", self._login_page, methods=["GET"]),
                Route("/session/token", self._create_session, methods=["POST"]),
                Route("/openapi.yaml", self._spec, methods=["GET"]),
                Route("/user/margins", self._guarded(self._margins), methods=["GET"]),
                Route("/orders", self._guarded(self._orders), methods=["GET"]),
                Route("/orders/{variety}", self._guarded(self._place), methods=["POST"]),
                Route("/orders/{order_id}", self._guarded(self._order_history), methods=["GET"]),
                Route("/orders/{variety}/{order_id}", self._guarded(self._modify), methods=["PUT"]),
                Route("/orders/{variety}/{order_id}", self._guarded(self._cancel), methods=["DELETE"]),
                Route("/trades", self._guarded(self._trades), methods=["GET"]),
                Route("/portfolio/positions", self._guarded(self._positions), methods=["GET"]),
                Route("/portfolio/holdings", self._guarded(self._holdings), methods=["GET"]),
                Route("/margins/orders", self._guarded(self._order_margins), methods=["POST"]),
                Route("/quote", self._guarded(self._quote), methods=["GET"]),
                Route("/quote/ltp", self._guarded(self._quote), methods=["GET"]),
                Route("/quote/ohlc", self._guarded(self._quote), methods=["GET"]),
                Route("/instruments", self._guarded(self._instruments), methods=["GET"]),
                Route("/gtt/triggers", self._guarded(self._gtt_book), methods=["GET"]),
                Route("/gtt/triggers", self._guarded(self._gtt_place), methods=["POST"]),
                Route("/gtt/triggers/{trigger_id}", self._guarded(self._gtt_modify), methods=["PUT"]),
                Route("/gtt/triggers/{trigger_id}", self._guarded(self._gtt_cancel), methods=["DELETE"]),
                Route("/instruments/historical/{instrument_token}/{interval}", self._guarded(self._historical)),
                WebSocketRoute("/", self._ticker),
            ]
        )

    # Controls for tests

    def plugin(self, transport: httpx.AsyncBaseTransport | None = None, **overrides: Any) -> ZerodhaPlugin:
        """A ZerodhaPlugin that talks to this simulator (through `transport`, default straight to the app)."""
        return ZerodhaPlugin(
            base_url=BASE_URL,
            login_base=f"{BASE_URL}/connect/login",
            transport=transport or httpx.ASGITransport(app=self.app),
            **overrides,
        )

    def issue_session(self) -> Account:
        """A logged-in account without the login flow, for tests that are about something else."""
        token = auth.session_token(self.api_key, self.new_token())
        return Account(user_id=self.user_id, broker=self.broker, token=token, credentials=self.credentials)

    def feed_connector(self):
        """A ticker connector for ZerodhaFeed that reaches this simulator without sockets."""

        @asynccontextmanager
        async def connect(url: str) -> AsyncIterator[KiteFeedSession]:
            query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
            if query.get("api_key") != self.api_key or not self.is_valid_token(query.get("access_token")):
                raise ConnectionRefusedError("kite ticker refused the api_key or access_token (HTTP 403)")
            async with self.feed_session(KiteFeedSession(self)) as session:
                yield session

        return connect

    # Plumbing

    def _guarded(self, handler):
        async def guarded(request: Request) -> Response:
            path = request.url.path
            self.record(request.method, path, rate_class(request.method, path))
            try:
                if (retry_after := self.take_throttle()) is not None:
                    raise KiteError(429, "NetworkException", "Too many requests", {"Retry-After": str(retry_after)})
                self._authenticate(request.headers.get("authorization", ""))
                self.names.refresh(self.market)
                return await handler(request)
            except KiteError as e:
                return self._error(e)

        return guarded

    @staticmethod
    def _error(error: KiteError) -> JSONResponse:
        body = {"status": "error", "message": error.message, "data": None, "error_type": error.error_type}
        return JSONResponse(body, status_code=error.status, headers=error.headers)

    def _authenticate(self, header: str) -> None:
        scheme, _, credentials = header.partition(" ")
        api_key, _, access_token = credentials.partition(":")
        if scheme != "token" or api_key != self.api_key or not self.is_valid_token(access_token):
            raise KiteError(403, "TokenException", "Incorrect `api_key` or `access_token`.")

    def _row(self, exchange: str, tradingsymbol: str) -> SimRow:
        row = self.names.upstream(exchange, tradingsymbol)
        if row is None:
            raise KiteError(400, "InputException", f"Invalid `tradingsymbol` {tradingsymbol} for {exchange}.")
        return row

    def _engine_error(self, error: BrokergateError) -> KiteError:
        if isinstance(error, InsufficientFunds):
            return KiteError(400, "MarginException", error.message)
        if isinstance(error, OrderRejected | OrderNotModifiable):
            return KiteError(400, "OrderException", error.message)
        if isinstance(error, OrderNotFound):
            return KiteError(400, "InputException", "Couldn't find that `order_id`.")
        return KiteError(400, "InputException", error.message)

    # Session

    async def _login_page(self, request: Request) -> Response:
        # The user signs in at once; the redirect carries a fresh request token and the app's redirect_params.
        if request.query_params.get("api_key") != self.api_key:
            return PlainTextResponse("Invalid api_key", status_code=400)
        request_token = secrets.token_hex(16)
        self._request_tokens.add(request_token)
        extra = parse_qs(request.query_params.get("redirect_params", ""))
        params = {"request_token": request_token, "action": "login", "status": "success"}
        params |= {key: values[0] for key, values in extra.items()}
        return RedirectResponse(f"{self.redirect_url}?{urlencode(params)}", status_code=302)

    async def _create_session(self, request: Request) -> Response:
        self.record("POST", "/session/token", "other")
        form = await request.form()
        request_token = str(form.get("request_token", ""))
        expected = auth.checksum(self.api_key, request_token, self.api_secret)
        if form.get("api_key") != self.api_key or request_token not in self._request_tokens:
            return self._error(KiteError(403, "TokenException", "Token is invalid or has expired."))
        if form.get("checksum") != expected:
            return self._error(KiteError(403, "TokenException", "Invalid `checksum`."))
        self._request_tokens.discard(request_token)  # a request token works once
        access_token = self.new_token()
        return _success(
            {
                "user_id": "ZS1234",
                "user_name": "Simulated User",
                "api_key": self.api_key,
                "access_token": access_token,
                "public_token": secrets.token_hex(8),
                "refresh_token": "",
                "login_time": ist_text(datetime.now(UTC)),
                "exchanges": ["NSE", "BSE", "NFO", "BFO", "CDS", "MCX"],
                "products": ["CNC", "NRML", "MIS"],
                "order_types": ["MARKET", "LIMIT", "SL", "SL-M"],
            }
        )

    async def _spec(self, request: Request) -> Response:
        return PlainTextResponse(UPSTREAM_SPEC.read_text(), media_type="application/yaml")

    # Orders

    async def _place(self, request: Request) -> Response:
        if request.path_params["variety"] != "regular":
            raise KiteError(400, "InputException", "This simulator offers only the regular variety.")
        if (reason := self.take_refusal()) is not None:
            raise KiteError(400, "OrderException", reason)
        form = await request.form()
        row = self._row(str(form.get("exchange")), str(form.get("tradingsymbol")))
        order = OrderRequest(
            exchange=row.instrument.exchange,
            symbol=row.instrument.symbol,
            action=str(form.get("transaction_type")),
            quantity=int(str(form.get("quantity") or 0)),
            price_type=str(form.get("order_type")),
            product=str(form.get("product")),
            price=Decimal(str(form.get("price") or 0)),
            trigger_price=Decimal(str(form.get("trigger_price") or 0)),
            strategy=str(form.get("tag") or ""),
        )
        try:
            order_id = await self.engine.place_order(self.user_id, order)
        except BrokergateError as e:
            # Like Kite's RMS, a refusal after acceptance leaves a REJECTED order in the book.
            if e.context.get("order_id"):
                return _success({"order_id": e.context["order_id"]})
            raise self._engine_error(e) from e
        return _success({"order_id": order_id})

    async def _modify(self, request: Request) -> Response:
        form = await request.form()
        changes = ModifyRequest(
            quantity=int(str(form["quantity"])) if form.get("quantity") else None,
            price_type=str(form["order_type"]) if form.get("order_type") else None,
            price=Decimal(str(form["price"])) if form.get("price") else None,
            trigger_price=Decimal(str(form["trigger_price"])) if form.get("trigger_price") else None,
        )
        order_id = request.path_params["order_id"]
        try:
            await self.engine.modify_order(self.user_id, order_id, changes)
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return _success({"order_id": order_id})

    async def _cancel(self, request: Request) -> Response:
        order_id = request.path_params["order_id"]
        try:
            await self.engine.cancel_order(self.user_id, order_id)
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return _success({"order_id": order_id})

    def _order_row(self, order) -> dict:
        row = self.names.unified(order.exchange, order.symbol)
        status = _STATUS_TO_UPSTREAM[order.status]
        is_live = order.status in ("open", "trigger pending")
        return {
            "order_id": order.order_id,
            "exchange_order_id": None if status == "REJECTED" else f"1{order.order_id[-10:]}",
            "parent_order_id": None,
            "status": status,
            "status_message": order.rejection_reason or None,
            "order_timestamp": ist_text(order.created_at),
            "exchange_timestamp": ist_text(order.updated_at),
            "variety": "regular",
            "exchange": row.exchange,
            "tradingsymbol": row.symbol,
            "instrument_token": instrument_token(row),
            "order_type": order.price_type,
            "transaction_type": order.action,
            "validity": "DAY",
            "product": order.product,
            "quantity": order.quantity,
            "disclosed_quantity": 0,
            "price": as_float(order.price),
            "trigger_price": as_float(order.trigger_price),
            "average_price": as_float(order.average_price),
            "filled_quantity": order.filled_quantity,
            "pending_quantity": order.quantity - order.filled_quantity if is_live else 0,
            "cancelled_quantity": order.quantity - order.filled_quantity if status == "CANCELLED" else 0,
            "tag": order.strategy or None,
        }

    async def _orders(self, request: Request) -> Response:
        return _success([self._order_row(order) for order in await self.engine.orderbook(self.user_id)])

    async def _order_history(self, request: Request) -> Response:
        try:
            order = await self.engine.order_status(self.user_id, request.path_params["order_id"])
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return _success([self._order_row(order)])

    async def _trades(self, request: Request) -> Response:
        rows = []
        for trade in await self.engine.tradebook(self.user_id):
            row = self.names.unified(trade.exchange, trade.symbol)
            rows.append(
                {
                    "trade_id": trade.trade_id,
                    "order_id": trade.order_id,
                    "exchange": row.exchange,
                    "tradingsymbol": row.symbol,
                    "instrument_token": instrument_token(row),
                    "product": trade.product,
                    "average_price": as_float(trade.price),
                    "quantity": trade.quantity,
                    "transaction_type": trade.action,
                    "fill_timestamp": ist_text(trade.created_at),
                    "exchange_timestamp": ist_text(trade.created_at),
                }
            )
        return _success(rows)

    # GTT: Kite's triggers on the sandbox engine's GTT book

    async def _gtt_request(self, request: Request) -> GttRequest:
        form = await request.form()
        try:
            kind, condition, orders = str(form["type"]), json.loads(str(form["condition"])), json.loads(str(form["orders"]))
            row = self._row(condition["exchange"], condition["tradingsymbol"])
            triggers = [Decimal(str(value)) for value in condition["trigger_values"]]
            last = Decimal(str(condition["last_price"]))
        except (KeyError, ValueError, TypeError) as e:
            raise KiteError(400, "InputException", "Invalid `type`, `condition` or `orders`.") from e
        first = orders[0]
        fields = {"exchange": row.instrument.exchange, "symbol": row.instrument.symbol, "action": first["transaction_type"],
                  "product": first["product"], "quantity": int(first["quantity"]), "price_type": "LIMIT"}  # fmt: skip
        if (kind, len(triggers)) in (("single", 1), ("two-leg", 2)) and len(orders) == len(triggers):
            legs = [(trigger, Decimal(str(order["price"]))) for trigger, order in zip(triggers, orders, strict=True)]
            return engine_gtt(last, legs, **fields)
        raise KiteError(400, "InputException", "A single GTT has one trigger, a two-leg GTT two, each with its order.")

    async def _gtt_place(self, request: Request) -> Response:
        try:
            trigger_id = await self.engine.place_gtt(self.user_id, await self._gtt_request(request))
        except BrokergateError as e:
            raise KiteError(400, "InputException", e.message) from e
        return _success({"trigger_id": trigger_id})

    async def _gtt_modify(self, request: Request) -> Response:
        trigger_id = request.path_params["trigger_id"]
        try:
            await self.engine.modify_gtt(self.user_id, trigger_id, await self._gtt_request(request))
        except BrokergateError as e:
            raise KiteError(400, "InputException", e.message) from e
        return _success({"trigger_id": trigger_id})

    async def _gtt_cancel(self, request: Request) -> Response:
        trigger_id = request.path_params["trigger_id"]
        try:
            await self.engine.cancel_gtt(self.user_id, trigger_id)
        except BrokergateError as e:
            raise KiteError(400, "InputException", e.message) from e
        return _success({"trigger_id": trigger_id})

    async def _gtt_book(self, request: Request) -> Response:
        rows = []
        for gtt in await self.engine.gtt_book(self.user_id, include_inactive=True):
            row = self.names.unified(gtt.exchange, gtt.symbol)
            legs = engine_legs(gtt)
            order = {"exchange": row.exchange, "tradingsymbol": row.symbol, "transaction_type": gtt.action,
                     "quantity": gtt.quantity, "order_type": "LIMIT", "product": gtt.product}  # fmt: skip
            rows.append(
                {"id": gtt.gtt_id, "type": "single" if str(gtt.trigger_type).upper() == "SINGLE" else "two-leg", "status": gtt.status,
                 "created_at": ist_text(gtt.created_at), "updated_at": ist_text(gtt.created_at),
                 "expires_at": ist_text(gtt.expires_at),
                 "condition": {"exchange": row.exchange, "tradingsymbol": row.symbol, "instrument_token": instrument_token(row),
                               "trigger_values": [as_float(trigger) for trigger, _ in legs], "last_price": as_float(gtt.last_price)},
                 "orders": [order | {"price": as_float(price)} for _, price in legs]}
            )  # fmt: skip
        return _success(rows)

    # Portfolio and funds

    async def _positions(self, request: Request) -> Response:
        rows = []
        for position in await self.engine.positions(self.user_id):
            row = self.names.unified(position.exchange, position.symbol)
            rows.append(
                {
                    "tradingsymbol": row.symbol,
                    "exchange": row.exchange,
                    "instrument_token": instrument_token(row),
                    "product": position.product,
                    "quantity": position.quantity,
                    "overnight_quantity": 0,
                    "multiplier": 1,
                    "average_price": as_float(position.average_price),
                    "last_price": as_float(position.ltp),
                    "pnl": as_float(position.unrealized_pnl + position.realized_pnl),
                    "realised": as_float(position.realized_pnl),
                    "unrealised": as_float(position.unrealized_pnl),
                    "m2m": as_float(position.unrealized_pnl + position.realized_pnl),
                }
            )
        return _success({"net": rows, "day": rows})

    async def _holdings(self, request: Request) -> Response:
        rows = []
        for holding in await self.engine.holdings(self.user_id):
            row = self.names.unified(holding.exchange, holding.symbol)
            last = holding.ltp or Decimal(0)
            rows.append(
                {
                    "tradingsymbol": row.symbol,
                    "exchange": row.exchange,
                    "instrument_token": instrument_token(row),
                    "product": "CNC",
                    "quantity": holding.quantity,
                    "t1_quantity": 0,
                    "average_price": as_float(holding.average_price),
                    "last_price": as_float(last),
                    "close_price": as_float(last),
                    "pnl": as_float(last * holding.quantity - holding.cost),
                }
            )
        return _success(rows)

    async def _margins(self, request: Request) -> Response:
        funds = await self.engine.funds(self.user_id)
        zero_utilised = dict.fromkeys(("debits", "exposure", "m2m_realised", "m2m_unrealised", "span", "payout"), 0.0)

        def segment(net: Decimal, cash: Decimal, utilised: dict) -> dict:
            available = {"adhoc_margin": 0.0, "cash": as_float(cash), "opening_balance": as_float(cash),
                         "live_balance": as_float(net), "collateral": 0.0, "intraday_payin": 0.0}  # fmt: skip
            return {"enabled": True, "net": as_float(net), "available": available, "utilised": utilised}

        equity = segment(
            funds.available_cash,
            funds.available_cash + funds.used_margin,
            zero_utilised
            | {
                "debits": as_float(funds.used_margin),
                "m2m_realised": as_float(funds.today_realized_pnl),
                "m2m_unrealised": as_float(funds.unrealized_pnl),
            },
        )
        # The sandbox keeps one ledger, so the commodity segment is present and empty.
        return _success({"equity": equity, "commodity": segment(Decimal(0), Decimal(0), zero_utilised)})

    async def _order_margins(self, request: Request) -> Response:
        rows = []
        for entry in await request.json():
            row = self._row(entry["exchange"], entry["tradingsymbol"])
            instrument = row.instrument
            price = Decimal(str(entry.get("price") or 0)) or Decimal(
                str(self.market.quote(instrument.exchange, instrument.symbol).ltp)
            )
            sign = 1 if entry["transaction_type"] == "BUY" else -1
            total = position_margin(
                instrument, Product(entry["product"]), sign * int(entry["quantity"]), price,
                self.engine.config, underlying_price(instrument, self.market),
            )  # fmt: skip
            rows.append(
                {"type": "equity", "tradingsymbol": row.symbol, "exchange": row.exchange, "span": 0.0,
                 "exposure": as_float(total), "option_premium": 0.0, "additional": 0.0, "total": as_float(total)}
            )  # fmt: skip
        return _success(rows)

    # Market data

    async def _quote(self, request: Request) -> Response:
        answer = {}
        for key in request.query_params.getlist("i"):
            exchange, _, tradingsymbol = key.partition(":")
            row = self.names.upstream(exchange, tradingsymbol)
            if row is None:
                continue  # Kite leaves unknown instruments out of the answer
            tick = self.market.tick(row.instrument.exchange, row.instrument.symbol)
            answer[key] = self._quote_row(row, tick, request.url.path)
        return _success(answer)

    @staticmethod
    def _quote_row(row: SimRow, tick, path: str) -> dict:
        quote = tick.quote
        if path == "/quote/ltp":
            return {"instrument_token": instrument_token(row), "last_price": quote.ltp}
        ohlc = {"open": quote.open, "high": quote.high, "low": quote.low, "close": quote.prev_close}
        if path == "/quote/ohlc":
            return {"instrument_token": instrument_token(row), "last_price": quote.ltp, "ohlc": ohlc}
        depth = tick.depth
        levels = {
            side: [{"price": level.price, "quantity": level.quantity, "orders": level.orders} for level in getattr(depth, name)]
            if depth else []
            for side, name in (("buy", "bids"), ("sell", "asks"))
        }  # fmt: skip
        return {
            "instrument_token": instrument_token(row),
            "timestamp": ist_text(datetime.fromtimestamp(quote.timestamp, UTC)),
            "last_price": quote.ltp,
            "last_quantity": quote.last_quantity,
            "average_price": quote.average_price,
            "volume": quote.volume,
            "buy_quantity": sum(level["quantity"] for level in levels["buy"]),
            "sell_quantity": sum(level["quantity"] for level in levels["sell"]),
            "oi": quote.oi,
            "net_change": round(quote.ltp - quote.prev_close, 2),
            "ohlc": ohlc,
            "depth": levels,
        }

    async def _historical(self, request: Request) -> Response:
        row = row_by_instrument_token(self.names, int(request.path_params["instrument_token"]))
        interval = _INTERVALS.get(request.path_params["interval"])
        if row is None or interval is None:
            raise KiteError(400, "InputException", "Invalid `instrument_token` or `interval`.")
        try:
            start = date.fromisoformat(request.query_params["from"][:10])
            end = date.fromisoformat(request.query_params["to"][:10])
        except (KeyError, ValueError) as e:
            raise KiteError(400, "InputException", "`from` and `to` must be dates like 2024-12-01 09:15:00.") from e
        candles = self.market.history(row.instrument.exchange, row.instrument.symbol, interval, start, end)
        return _success(
            {
                "candles": [
                    [datetime.fromtimestamp(c.timestamp, IST).strftime("%Y-%m-%dT%H:%M:%S%z"),
                     c.open, c.high, c.low, c.close, c.volume, c.oi]
                    for c in candles
                ]
            }
        )

    async def _instruments(self, request: Request) -> Response:
        lines = ["instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange"]
        for row in self.names.rows:
            instrument = row.instrument
            kind = "EQ" if instrument.instrument_type is InstrumentType.INDEX else instrument.instrument_type.value
            expiry = instrument.expiry.isoformat() if instrument.expiry else ""
            is_index = instrument.instrument_type is InstrumentType.INDEX
            name = INDEX_NAME_TO_UPSTREAM.get(instrument.name, instrument.name) if is_index else instrument.name
            lines.append(
                f'{instrument_token(row)},{row.token},{row.symbol},"{name}",0,{expiry},'
                f"{instrument.strike or 0:g},{instrument.tick_size},{instrument.lot_size},{kind},{segment(row)},{row.exchange}"
            )
        return PlainTextResponse("\n".join(lines) + "\n", media_type="text/csv")

    # The ticker

    async def _ticker(self, websocket: WebSocket) -> None:
        params = websocket.query_params
        if params.get("api_key") != self.api_key or not self.is_valid_token(params.get("access_token")):
            await websocket.close(code=1008)
            return
        await websocket.accept()
        async with self.feed_session(KiteFeedSession(self)) as session:
            reader = asyncio.ensure_future(self._read_requests(websocket, session))
            try:
                while not reader.done():
                    frame = await session.recv()
                    await (websocket.send_text(frame) if isinstance(frame, str) else websocket.send_bytes(frame))
            except (ConnectionError, WebSocketDisconnect):
                pass
            finally:
                reader.cancel()

    @staticmethod
    async def _read_requests(websocket: WebSocket, session: KiteFeedSession) -> None:
        while True:
            await session.send(await websocket.receive_text())


class KiteFeedSession(FeedSession):
    """One ticker connection's subscriptions and the frames it is owed."""

    def __init__(self, simulator: KiteSimulator) -> None:
        super().__init__()
        self._simulator = simulator

    async def send(self, message: str) -> None:
        self.check_open("kite ticker")
        request = json.loads(message)
        action, value = request.get("a"), request.get("v")
        if action == "subscribe":
            self.modes.update({token: self.modes.get(token, "quote") for token in value})
        elif action == "unsubscribe":
            for token in value:
                self.modes.pop(token, None)
        elif action == "mode":
            mode, tokens = value
            self.modes.update({token: mode for token in tokens if token in self.modes})

    async def recv(self) -> bytes:
        await asyncio.sleep(self._simulator.feed_interval)
        self.check_open("kite ticker")
        self._simulator.names.refresh(self._simulator.market)
        packets = []
        for token, mode in list(self.modes.items()):
            row = row_by_instrument_token(self._simulator.names, token)
            if row is not None:
                packets.append(encode_packet(row, mode, self._simulator.market.tick(row.instrument.exchange, row.instrument.symbol)))
        if not packets:
            return b"\x00"  # Kite's one-byte heartbeat
        return struct.pack(">H", len(packets)) + b"".join(struct.pack(">H", len(packet)) + packet for packet in packets)


def encode_packet(row: SimRow, mode: str, tick) -> bytes:
    """One binary packet as Kite's ticker writes it (big-endian, prices in the segment's smallest unit)."""
    quote = tick.quote
    divisor = _PRICE_DIVISORS.get(row.exchange, 100)

    def money(value: float) -> int:
        return max(0, round(value * divisor))

    head = struct.pack(">II", instrument_token(row), money(quote.ltp))
    if mode == "ltp":
        return head
    if segment(row) == "INDICES":
        change = round((quote.ltp - quote.prev_close) * divisor)
        body = struct.pack(">IIIIi", money(quote.high), money(quote.low), money(quote.open), money(quote.prev_close), change)
        return head + body + (struct.pack(">I", int(quote.timestamp)) if mode == "full" else b"")
    bids = tick.depth.bids if tick.depth else ()
    asks = tick.depth.asks if tick.depth else ()
    body = struct.pack(
        ">9I", quote.last_quantity, money(quote.average_price), quote.volume,
        sum(level.quantity for level in bids), sum(level.quantity for level in asks),
        money(quote.open), money(quote.high), money(quote.low), money(quote.prev_close),
    )  # fmt: skip
    if mode != "full":
        return head + body
    stamp = int(quote.timestamp)
    extra = struct.pack(">5I", stamp, quote.oi, quote.oi, quote.oi, stamp)
    # A side with fewer than five levels is padded with empty entries, as Kite does.
    depth = b"".join(
        b"".join(struct.pack(">IIHxx", level.quantity, money(level.price), level.orders) for level in side[:5])
        + b"\x00" * 12 * (5 - len(side[:5]))
        for side in (bids, asks)
    )
    return head + body + extra + depth


Simulator = KiteSimulator

__all__ = ["KiteFeedSession", "KiteSimulator", "Simulator", "encode_packet", "instrument_token", "rate_class", "segment"]
