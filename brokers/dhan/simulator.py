"""A DhanHQ v2 server for offline tests: Dhan's HTTP API, login, scrip master and live feed, on the sandbox core.

Orders placed here really fill, on the offline market, through the sandbox engine; answers use Dhan's
bodies and field names (`orderId`, `orderStatus`, `availabelBalance`, ...), its error bodies
(`{"errorType", "errorCode": "DH-9xx", "errorMessage"}`, and the data APIs' `{"status": "failed", "data":
{"805": ...}}`), its exchange segments and security ids, and its scrip master's spellings (futures
`NIFTY-Dec2026-FUT`, options `NIFTY-Dec2026-26000-CE` with custom symbol `NIFTY 29 DEC 26000 CALL`).
The feed answers Dhan's little-endian v2 packets. What the kit drives (expiry, throttling, refusals,
dropped feeds, the request log) is the shared `SimulatedBroker`.
"""

from __future__ import annotations

import asyncio
import json
import struct
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from brokers.common.simulator import FeedSession, InstrumentNames, SimRow, SimulatedBroker, as_float, is_index, ist_text
from brokers.dhan import auth
from brokers.dhan.mapping import (
    PRICE_TYPE_FROM_UPSTREAM,
    PRICE_TYPE_TO_UPSTREAM,
    PRODUCT_TO_UPSTREAM,
    SEGMENT_CODES,
    SEGMENT_OF_EXCHANGE,
)
from brokers.dhan.plugin import DhanPlugin
from brokers.dhan.streaming import DISCONNECT, FULL, HEADER, PREV_CLOSE, QUOTE, REQUEST_CODES, TICKER, UNSUBSCRIBE_CODES
from brokers.dhan.symbols import INDEX_NAMES_TO_UPSTREAM
from generated.contract import Account
from generated.errors import BrokergateError, InsufficientFunds, OrderNotFound, OrderNotModifiable, OrderRejected
from sandbox.engine import GttRequest, ModifyRequest, OrderRequest, Product
from sandbox.engine.margin import position_margin, underlying_price
from sandbox.market import IST, Instrument, InstrumentType, OfflineMarket

BASE_URL = "http://api.dhan.simulator"
AUTH_URL = "http://auth.dhan.simulator"
MASTER_URL = "http://images.dhan.simulator"
FEED_URL = "ws://api-feed.dhan.simulator"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PRODUCT_FROM_UPSTREAM = {upstream: unified for unified, upstream in PRODUCT_TO_UPSTREAM.items()}
_INDEX_UNDERLYINGS = {"NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "NIFTYNXT50", "SENSEX", "BANKEX"}
_INTRADAY = {"1": "1m", "5": "5m", "15": "15m", "60": "60m"}
_MASTER_COLUMNS = (
    "SEM_EXM_EXCH_ID,SEM_SEGMENT,SEM_SMST_SECURITY_ID,SEM_INSTRUMENT_NAME,SEM_EXPIRY_CODE,SEM_TRADING_SYMBOL,"
    "SEM_LOT_UNITS,SEM_CUSTOM_SYMBOL,SEM_EXPIRY_DATE,SEM_STRIKE_PRICE,SEM_OPTION_TYPE,SEM_TICK_SIZE,"
    "SEM_EXPIRY_FLAG,SEM_EXCH_INSTRUMENT_TYPE,SEM_SERIES,SM_SYMBOL_NAME"
)
# (unified exchange) -> (SEM_EXM_EXCH_ID, SEM_SEGMENT)
_MASTER_EXCHANGE = {
    "NSE": ("NSE", "E"), "BSE": ("BSE", "E"), "NFO": ("NSE", "D"), "BFO": ("BSE", "D"), "CDS": ("NSE", "C"),
    "BCD": ("BSE", "C"), "MCX": ("MCX", "M"), "NSE_INDEX": ("NSE", "I"), "BSE_INDEX": ("BSE", "I"),
}  # fmt: skip


def _strike(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


def trading_symbol(instrument: Instrument) -> str:
    """SEM_TRADING_SYMBOL: weekly and monthly contracts of one month share it."""
    if not instrument.is_derivative:
        return INDEX_NAMES_TO_UPSTREAM.get(instrument.symbol, instrument.symbol)
    month = f"{_MONTHS[instrument.expiry.month - 1]}{instrument.expiry.year}"
    if instrument.instrument_type is InstrumentType.FUTURE:
        return f"{instrument.name}-{month}-FUT"
    return f"{instrument.name}-{month}-{_strike(instrument.strike)}-{instrument.instrument_type.value}"


def custom_symbol(instrument: Instrument) -> str:
    """SEM_CUSTOM_SYMBOL: `NIFTY DEC FUT`, `NIFTY 29 DEC 26000 CALL`."""
    month = _MONTHS[instrument.expiry.month - 1].upper()
    if instrument.instrument_type is InstrumentType.FUTURE:
        return f"{instrument.name} {month} FUT"
    side = "CALL" if instrument.instrument_type is InstrumentType.CALL else "PUT"
    return f"{instrument.name} {instrument.expiry.day:02d} {month} {_strike(instrument.strike)} {side}"


def instrument_name(instrument: Instrument) -> str:
    """SEM_INSTRUMENT_NAME."""
    if is_index(instrument):
        return "INDEX"
    if instrument.instrument_type is InstrumentType.EQUITY:
        return "EQUITY"
    is_future = instrument.instrument_type is InstrumentType.FUTURE
    if instrument.exchange == "MCX":
        return "FUTCOM" if is_future else "OPTFUT"
    if instrument.exchange in ("CDS", "BCD"):
        return "FUTCUR" if is_future else "OPTCUR"
    kind = "IDX" if instrument.name in _INDEX_UNDERLYINGS else "STK"
    return f"{'FUT' if is_future else 'OPT'}{kind}"


def _namer(instrument: Instrument, is_monthly: bool) -> tuple[str, str]:
    brsymbol = custom_symbol(instrument) if instrument.is_derivative else trading_symbol(instrument)
    return SEGMENT_OF_EXCHANGE[instrument.exchange], brsymbol


class DhanError(Exception):
    def __init__(
        self, status: int, code: str, message: str, *, data_api: bool = False, headers: dict | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.data_api, self.headers = (
            status,
            code,
            message,
            data_api,
            headers or {},
        )

    def response(self) -> JSONResponse:
        if self.data_api:
            body: dict[str, Any] = {"status": "failed", "data": {self.code: self.message}}
        else:
            body = {
                "errorType": _ERROR_TYPES.get(self.code, "Others"),
                "errorCode": self.code,
                "errorMessage": self.message,
            }
        return JSONResponse(body, status_code=self.status, headers=self.headers)


_ERROR_TYPES = {"DH-901": "Invalid_Authentication", "DH-904": "Rate_Limit", "DH-905": "Input_Exception",
                "DH-906": "Order_Error", "DH-1111": "Holding_Error"}  # fmt: skip


def rate_class(method: str, path: str) -> str:
    """Dhan's rate-limit classes, by endpoint."""
    if path.startswith(("/v2/orders", "/v2/forever/orders")) and method in ("POST", "PUT", "DELETE"):
        return "orders"
    if path.startswith("/v2/marketfeed"):
        return "quotes"
    if path.startswith("/v2/charts"):
        return "history"
    return "other"


class DhanSimulator(SimulatedBroker):
    """DhanHQ v2 for one simulated account (engine user 1) on its own in-memory sandbox exchange."""

    broker = "dhan"

    def __init__(
        self,
        market: OfflineMarket | None = None,
        *,
        client_id: str = "1100000001",
        pin: str = "246810",
        totp_secret: str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        feed_interval: float = 0.05,
    ) -> None:
        super().__init__(market, feed_interval=feed_interval)
        self.client_id, self.pin = client_id, pin
        self._totp = pyotp.TOTP(totp_secret)
        self.credentials = {"client_id": client_id}
        self.names = InstrumentNames(_namer)
        self.app = Starlette(
            routes=[
                Route(auth.TOKEN_PATH, self._generate_token, methods=["POST"]),
                Route("/api-data/api-scrip-master.csv", self._scrip_master, methods=["GET"]),
                Route("/v2/orders", self._guarded(self._orders), methods=["GET"]),
                Route("/v2/orders", self._guarded(self._place), methods=["POST"]),
                Route("/v2/orders/{order_id}", self._guarded(self._order), methods=["GET"]),
                Route("/v2/orders/{order_id}", self._guarded(self._modify), methods=["PUT"]),
                Route("/v2/orders/{order_id}", self._guarded(self._cancel), methods=["DELETE"]),
                Route("/v2/trades", self._guarded(self._trades), methods=["GET"]),
                Route("/v2/forever/all", self._guarded(self._forever_book), methods=["GET"]),
                Route("/v2/forever/orders", self._guarded(self._forever_place), methods=["POST"]),
                Route("/v2/forever/orders/{order_id}", self._guarded(self._forever_modify), methods=["PUT"]),
                Route("/v2/forever/orders/{order_id}", self._guarded(self._forever_cancel), methods=["DELETE"]),
                Route("/v2/positions", self._guarded(self._positions), methods=["GET"]),
                Route("/v2/holdings", self._guarded(self._holdings), methods=["GET"]),
                Route("/v2/fundlimit", self._guarded(self._fund_limit), methods=["GET"]),
                Route("/v2/margincalculator", self._guarded(self._margin), methods=["POST"]),
                Route("/v2/marketfeed/{kind}", self._guarded(self._market_quote), methods=["POST"]),
                Route("/v2/charts/historical", self._guarded(self._historical), methods=["POST"]),
                Route("/v2/charts/intraday", self._guarded(self._intraday), methods=["POST"]),
                WebSocketRoute("/", self._feed_socket),
            ]
        )

    # What the kit and tests use

    def plugin(self, transport: httpx.AsyncBaseTransport | None = None, **options: Any) -> DhanPlugin:
        """A DhanPlugin that talks to this simulator (through `transport`, default straight to the app)."""
        return DhanPlugin(
            base_url=BASE_URL,
            auth_url=AUTH_URL,
            master_url=MASTER_URL,
            feed_base=FEED_URL,
            transport=transport or httpx.ASGITransport(app=self.app),
            **options,
        )

    def login_params(self) -> dict[str, str]:
        """What the user types into the login form: PIN and a fresh TOTP (the client id is stored)."""
        return {"pin": self.pin, "totp": self._totp.now()}

    def issue_session(self) -> Account:
        token = auth.session_token(self.client_id, self.new_token())
        return Account(user_id=self.user_id, broker=self.broker, token=token, credentials=self.credentials)

    def feed_connector(self):
        """A feed connector for DhanFeed that reaches this simulator without sockets."""

        @asynccontextmanager
        async def connect(url: str) -> AsyncIterator[DhanFeedSession]:
            query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
            if query.get("clientId") != self.client_id or not self.is_valid_token(query.get("token")):
                raise ConnectionRefusedError("dhan feed refused the token or clientId (HTTP 401)")
            async with self.feed_session(DhanFeedSession(self)) as session:
                yield session

        return connect

    async def _feed_socket(self, websocket: WebSocket) -> None:
        """The feed over a real WebSocket, for running the gateway against the simulator."""
        query = websocket.query_params
        if query.get("clientId") != self.client_id or not self.is_valid_token(query.get("token")):
            await websocket.close(code=1008)
            return
        await websocket.accept()
        async with self.feed_session(DhanFeedSession(self)) as session:

            async def read() -> None:
                while True:
                    await session.send(await websocket.receive_text())

            reader = asyncio.ensure_future(read())
            try:
                while not reader.done():
                    await websocket.send_bytes(await session.recv())
            except (ConnectionError, WebSocketDisconnect):
                pass
            finally:
                reader.cancel()

    # Plumbing

    def _guarded(self, handler):
        async def guarded(request: Request) -> Response:
            path = request.url.path
            self.record(request.method, path, rate_class(request.method, path))
            data_api = path.startswith("/v2/marketfeed")
            try:
                retry_after = self.take_throttle()
                if retry_after is not None:
                    code = "805" if data_api else "DH-904"
                    raise DhanError(
                        429, code, "Too many requests", data_api=data_api, headers={"Retry-After": str(retry_after)}
                    )
                # The data APIs want the client id beside the token; the trading APIs accept it.
                client_id = request.headers.get("client-id", None if not data_api else "")
                if client_id not in (None, self.client_id) or not self.is_valid_token(
                    request.headers.get("access-token")
                ):
                    if data_api:
                        raise DhanError(
                            401, "808", "Authentication Failed - Client ID or Access Token invalid", data_api=True
                        )
                    raise DhanError(401, "DH-901", "Client ID or user generated access token is invalid or expired.")
                self.names.refresh(self.market)
                return await handler(request)
            except DhanError as e:
                return e.response()

        return guarded

    async def _json(self, request: Request) -> dict:
        try:
            body = await request.json()
        except ValueError as e:
            raise DhanError(400, "DH-905", "The request body is not JSON.") from e
        if not isinstance(body, dict):
            raise DhanError(400, "DH-905", "The request body must be a JSON object.")
        if "dhanClientId" in body and str(body["dhanClientId"]) != self.client_id:
            raise DhanError(400, "DH-905", "dhanClientId does not match the access token.")
        return body

    def _row(self, segment: Any, security_id: Any) -> SimRow:
        row = self.names.token(int(security_id)) if str(security_id).isdigit() else None
        if row is None or row.exchange != segment:
            raise DhanError(400, "DH-905", f"Invalid securityId {security_id} for {segment}.")
        return row

    @staticmethod
    def _engine_error(error: BrokergateError) -> DhanError:
        if isinstance(error, InsufficientFunds | OrderRejected | OrderNotModifiable):
            return DhanError(400, "DH-906", error.message)
        if isinstance(error, OrderNotFound):
            return DhanError(400, "DH-905", "Invalid orderId.")
        return DhanError(400, "DH-905", error.message)

    # Login and the scrip master

    async def _generate_token(self, request: Request) -> Response:
        self.record("POST", auth.TOKEN_PATH, "login")
        query = request.query_params
        if query.get("dhanClientId") != self.client_id or query.get("pin") != self.pin:
            return JSONResponse({"status": "error", "message": "Invalid client id or PIN"}, status_code=400)
        if not self._totp.verify(query.get("totp", ""), valid_window=1):
            return JSONResponse({"status": "error", "message": "Invalid TOTP"}, status_code=400)
        expires = datetime.now(IST) + auth.SESSION_LENGTH
        return JSONResponse(
            {
                "dhanClientId": self.client_id,
                "dhanClientName": "SIMULATED USER",
                "dhanClientUcc": "SIMU12345E",
                "givenPowerOfAttorney": False,
                "accessToken": self.new_token(32),
                "expiryTime": expires.strftime("%Y-%m-%dT%H:%M:%S.000"),
            }
        )

    async def _scrip_master(self, request: Request) -> Response:
        self.record("GET", request.url.path, "files")
        self.names.refresh(self.market)
        lines = [_MASTER_COLUMNS]
        for row in self.names.rows:
            item = row.instrument
            exchange_id, segment = _MASTER_EXCHANGE[item.exchange]
            expiry = f"{item.expiry.isoformat()} 14:30:00" if item.expiry else "0001-01-01"
            option = item.instrument_type.value if item.is_option else "XX"
            strike = f"{item.strike:.5f}" if item.is_option else "-0.01000"
            flag = (
                ("M" if row.is_monthly or item.instrument_type is InstrumentType.FUTURE else "W")
                if item.is_derivative
                else "NA"
            )
            custom = custom_symbol(item) if item.is_derivative else item.name
            kind = instrument_name(item)
            lines.append(
                f"{exchange_id},{segment},{row.token},{kind},0,{trading_symbol(item)},{float(item.lot_size)},{custom},"
                f"{expiry},{strike},{option},{item.tick_size * 100:.4f},{flag},{kind},{'EQ' if kind == 'EQUITY' else ''},"
                f"{item.underlying or item.name}"
            )
        return PlainTextResponse("\n".join(lines) + "\n", media_type="text/csv")

    # Orders

    async def _place(self, request: Request) -> Response:
        body = await self._json(request)
        reason = self.take_refusal()
        if reason is not None:
            raise DhanError(400, "DH-906", reason)
        row = self._row(body.get("exchangeSegment"), body.get("securityId"))
        try:
            order = OrderRequest(
                exchange=row.instrument.exchange,
                symbol=row.instrument.symbol,
                action=str(body.get("transactionType")),
                quantity=int(body.get("quantity") or 0),
                price_type=PRICE_TYPE_FROM_UPSTREAM[body.get("orderType")],
                product=_PRODUCT_FROM_UPSTREAM[body.get("productType")],
                price=Decimal(str(body.get("price") or 0)),
                trigger_price=Decimal(str(body.get("triggerPrice") or 0)),
                strategy=str(body.get("correlationId") or ""),
            )
        except (KeyError, ValueError) as e:
            raise DhanError(400, "DH-905", f"Invalid order fields: {e}") from e
        try:
            order_id = await self.engine.place_order(self.user_id, order)
        except BrokergateError as e:
            # Like Dhan's RMS, a refusal after acceptance leaves a REJECTED order in the book.
            if e.context.get("order_id"):
                return JSONResponse({"orderId": e.context["order_id"], "orderStatus": "REJECTED"})
            raise self._engine_error(e) from e
        placed = await self.engine.order_status(self.user_id, order_id)
        return JSONResponse({"orderId": order_id, "orderStatus": _order_status(placed)})

    async def _modify(self, request: Request) -> Response:
        body = await self._json(request)
        order_id = request.path_params["order_id"]
        try:
            changes = ModifyRequest(
                quantity=int(body["quantity"]) if body.get("quantity") else None,
                price_type=PRICE_TYPE_FROM_UPSTREAM[body["orderType"]] if body.get("orderType") else None,
                price=Decimal(str(body["price"])) if body.get("price") else None,
                trigger_price=Decimal(str(body["triggerPrice"])) if body.get("triggerPrice") else None,
            )
            await self.engine.modify_order(self.user_id, order_id, changes)
        except (KeyError, ValueError) as e:
            raise DhanError(400, "DH-905", f"Invalid modification: {e}") from e
        except BrokergateError as e:
            raise self._engine_error(e) from e
        modified = await self.engine.order_status(self.user_id, order_id)
        return JSONResponse({"orderId": order_id, "orderStatus": _order_status(modified)})

    async def _cancel(self, request: Request) -> Response:
        order_id = request.path_params["order_id"]
        try:
            await self.engine.cancel_order(self.user_id, order_id)
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return JSONResponse({"orderId": order_id, "orderStatus": "CANCELLED"})

    # Forever Orders (Dhan's GTT) on the sandbox engine's GTT book

    def _single_side(self, row: SimRow, trigger: Decimal) -> str:
        # One trigger fires when the price reaches it from where it stands: below is a stoploss, above a target.
        ltp = Decimal(str(self.market.quote(row.instrument.exchange, row.instrument.symbol).ltp))
        return "stoploss_trigger" if trigger < ltp else "target_trigger"

    async def _forever_place(self, request: Request) -> Response:
        body = await self._json(request)
        row = self._row(body.get("exchangeSegment"), body.get("securityId"))
        try:
            fields = {"exchange": row.instrument.exchange, "symbol": row.instrument.symbol, "action": str(body["transactionType"]),
                      "product": _PRODUCT_FROM_UPSTREAM[body["productType"]], "quantity": int(body["quantity"]),
                      "price_type": "LIMIT", "strategy": str(body.get("correlationId") or "")}  # fmt: skip
            trigger, limit = Decimal(str(body["triggerPrice"])), Decimal(str(body.get("price") or 0))
            if body.get("orderFlag") == "OCO":
                gtt = GttRequest(trigger_type="OCO", stoploss_trigger=trigger, stoploss_price=limit,
                                 target_trigger=Decimal(str(body["triggerPrice1"])), target_price=Decimal(str(body.get("price1") or 0)),
                                 **fields)  # fmt: skip
            else:
                gtt = GttRequest(trigger_type="SINGLE", price=limit, **{self._single_side(row, trigger): trigger}, **fields)
            order_id = await self.engine.place_gtt(self.user_id, gtt)
        except (KeyError, ValueError) as e:
            raise DhanError(400, "DH-905", f"Invalid forever order fields: {e}") from e
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return JSONResponse({"orderId": order_id, "orderStatus": "PENDING"})

    async def _forever_modify(self, request: Request) -> Response:
        body, order_id = await self._json(request), request.path_params["order_id"]
        current = next((gtt for gtt in await self.engine.gtt_book(self.user_id) if gtt.gtt_id == order_id), None)
        if current is None:
            raise DhanError(400, "DH-905", f"No pending forever order {order_id}.")
        row = self.names.unified(current.exchange, current.symbol)
        legs = {"stoploss_trigger": current.stoploss_trigger, "stoploss_price": current.stoploss_price,
                "target_trigger": current.target_trigger, "target_price": current.target_price}  # fmt: skip
        try:
            trigger, limit = Decimal(str(body["triggerPrice"])), Decimal(str(body.get("price") or 0))
            leg = str(body["legName"])
        except (KeyError, ValueError) as e:
            raise DhanError(400, "DH-905", f"Invalid modification: {e}") from e
        if leg == "TARGET_LEG":
            legs |= {"target_trigger": trigger, "target_price": limit}
        elif leg == "STOP_LOSS_LEG":
            legs |= {"stoploss_trigger": trigger, "stoploss_price": limit}
        else:  # ENTRY_LEG, the one leg of a SINGLE
            legs = {self._single_side(row, trigger): trigger}
        fields = {"exchange": current.exchange, "symbol": current.symbol, "action": current.action, "product": current.product,
                  "quantity": int(body.get("quantity") or current.quantity), "price_type": "LIMIT", "strategy": current.strategy}  # fmt: skip
        single = str(current.trigger_type).upper() == "SINGLE"
        extra = {"price": limit} if single else {}
        gtt = GttRequest(trigger_type="SINGLE" if single else "OCO", **{k: v for k, v in legs.items() if v is not None}, **extra, **fields)
        try:
            await self.engine.modify_gtt(self.user_id, order_id, gtt)
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return JSONResponse({"orderId": order_id, "orderStatus": "PENDING"})

    async def _forever_cancel(self, request: Request) -> Response:
        order_id = request.path_params["order_id"]
        try:
            await self.engine.cancel_gtt(self.user_id, order_id)
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return JSONResponse({"orderId": order_id, "orderStatus": "CANCELLED"})

    async def _forever_book(self, request: Request) -> Response:
        statuses = {"active": "PENDING", "triggered": "TRADED", "cancelled": "CANCELLED", "expired": "EXPIRED", "rejected": "REJECTED"}
        rows = []
        for gtt in await self.engine.gtt_book(self.user_id, include_inactive=True):
            row = self.names.unified(gtt.exchange, gtt.symbol)
            single = str(gtt.trigger_type).upper() == "SINGLE"
            legs = [("STOP_LOSS_LEG", gtt.stoploss_trigger, gtt.stoploss_price), ("TARGET_LEG", gtt.target_trigger, gtt.target_price)]
            for name, trigger, limit in legs:
                if trigger is None:
                    continue
                rows.append(
                    {"dhanClientId": self.client_id, "orderId": gtt.gtt_id, "orderStatus": statuses[str(gtt.status)],
                     "transactionType": gtt.action, "exchangeSegment": row.exchange, "productType": PRODUCT_TO_UPSTREAM[gtt.product],
                     "orderType": "SINGLE" if single else "OCO", "tradingSymbol": row.symbol, "securityId": str(row.token),
                     "quantity": gtt.quantity, "price": as_float(limit), "triggerPrice": as_float(trigger),
                     "legName": "ENTRY_LEG" if single else name, "createTime": ist_text(gtt.created_at), "updateTime": ist_text(gtt.created_at)}
                )  # fmt: skip
        return JSONResponse(rows)

    def _order_row(self, order) -> dict:
        row = self.names.unified(order.exchange, order.symbol)
        status = _order_status(order)
        is_live = order.status in ("open", "trigger pending")
        return {
            "dhanClientId": self.client_id,
            "orderId": order.order_id,
            "exchangeOrderId": "" if status == "REJECTED" else f"1{order.order_id[-10:]}",
            "correlationId": order.strategy or "",
            "orderStatus": status,
            "transactionType": order.action,
            "exchangeSegment": row.exchange,
            "productType": PRODUCT_TO_UPSTREAM[order.product],
            "orderType": PRICE_TYPE_TO_UPSTREAM[order.price_type],
            "validity": "DAY",
            "tradingSymbol": trading_symbol(row.instrument),
            "securityId": str(row.token),
            "quantity": order.quantity,
            "disclosedQuantity": 0,
            "price": as_float(order.price),
            "triggerPrice": as_float(order.trigger_price),
            "afterMarketOrder": False,
            "legName": "",
            "createTime": ist_text(order.created_at),
            "updateTime": ist_text(order.updated_at),
            "exchangeTime": ist_text(order.updated_at),
            "omsErrorCode": "" if not order.rejection_reason else "RMS",
            "omsErrorDescription": order.rejection_reason or "",
            "remainingQuantity": order.quantity - order.filled_quantity if is_live else 0,
            "averageTradedPrice": as_float(order.average_price),
            "filledQty": order.filled_quantity,
        }

    async def _orders(self, request: Request) -> Response:
        return JSONResponse([self._order_row(order) for order in await self.engine.orderbook(self.user_id)])

    async def _order(self, request: Request) -> Response:
        try:
            order = await self.engine.order_status(self.user_id, request.path_params["order_id"])
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return JSONResponse(self._order_row(order))

    async def _trades(self, request: Request) -> Response:
        rows = []
        for trade in await self.engine.tradebook(self.user_id):
            row = self.names.unified(trade.exchange, trade.symbol)
            rows.append(
                {
                    "dhanClientId": self.client_id,
                    "orderId": trade.order_id,
                    "exchangeOrderId": f"1{trade.order_id[-10:]}",
                    "exchangeTradeId": trade.trade_id,
                    "transactionType": trade.action,
                    "exchangeSegment": row.exchange,
                    "productType": PRODUCT_TO_UPSTREAM[trade.product],
                    "orderType": "MARKET",
                    "tradingSymbol": trading_symbol(row.instrument),
                    "securityId": str(row.token),
                    "tradedQuantity": trade.quantity,
                    "tradedPrice": as_float(trade.price),
                    "createTime": ist_text(trade.created_at),
                    "updateTime": ist_text(trade.created_at),
                    "exchangeTime": ist_text(trade.created_at),
                }
            )
        return JSONResponse(rows)

    # Portfolio and funds

    async def _positions(self, request: Request) -> Response:
        rows = []
        for position in await self.engine.positions(self.user_id):
            row = self.names.unified(position.exchange, position.symbol)
            quantity, average = position.quantity, as_float(position.average_price)
            rows.append(
                {
                    "dhanClientId": self.client_id,
                    "tradingSymbol": trading_symbol(row.instrument),
                    "securityId": str(row.token),
                    "positionType": "LONG" if quantity > 0 else "SHORT" if quantity < 0 else "CLOSED",
                    "exchangeSegment": row.exchange,
                    "productType": PRODUCT_TO_UPSTREAM[position.product],
                    "buyAvg": average if quantity > 0 else 0.0,
                    "buyQty": max(quantity, 0),
                    "costPrice": average,
                    "sellAvg": average if quantity < 0 else 0.0,
                    "sellQty": max(-quantity, 0),
                    "netQty": quantity,
                    "realizedProfit": as_float(position.realized_pnl),
                    "unrealizedProfit": as_float(position.unrealized_pnl),
                    "rbiReferenceRate": 1.0,
                    "multiplier": 1,
                    "crossCurrency": False,
                }
            )
        return JSONResponse(rows)

    async def _holdings(self, request: Request) -> Response:
        rows = []
        for holding in await self.engine.holdings(self.user_id):
            row = self.names.unified(holding.exchange, holding.symbol)
            rows.append(
                {
                    "exchange": "ALL",
                    "tradingSymbol": trading_symbol(row.instrument),
                    "securityId": str(row.token),
                    "isin": "",
                    "totalQty": holding.quantity,
                    "dpQty": holding.quantity,
                    "t1Qty": 0,
                    "availableQty": holding.quantity,
                    "collateralQty": 0,
                    "avgCostPrice": as_float(holding.average_price),
                    "lastTradedPrice": as_float(holding.ltp),
                }
            )
        if not rows:
            raise DhanError(400, "DH-1111", "No holdings available")
        return JSONResponse(rows)

    async def _fund_limit(self, request: Request) -> Response:
        funds = await self.engine.funds(self.user_id)
        return JSONResponse(
            {
                "dhanClientId": self.client_id,
                "availabelBalance": as_float(funds.available_cash),
                "sodLimit": as_float(funds.available_cash + funds.used_margin),
                "collateralAmount": 0.0,
                "receiveableAmount": 0.0,
                "utilizedAmount": as_float(funds.used_margin),
                "blockedPayoutAmount": 0.0,
                "withdrawableBalance": as_float(funds.available_cash),
            }
        )

    async def _margin(self, request: Request) -> Response:
        body = await self._json(request)
        row = self._row(body.get("exchangeSegment"), body.get("securityId"))
        instrument = row.instrument
        price = Decimal(str(body.get("price") or 0)) or Decimal(
            str(self.market.quote(instrument.exchange, instrument.symbol).ltp)
        )
        sign = 1 if body.get("transactionType") == "BUY" else -1
        try:
            product = Product(_PRODUCT_FROM_UPSTREAM[body.get("productType")])
        except KeyError as e:
            raise DhanError(400, "DH-905", "Invalid productType.") from e
        total = position_margin(
            instrument, product, sign * int(body.get("quantity") or 0), price, self.engine.config,
            underlying_price(instrument, self.market),
        )  # fmt: skip
        funds = await self.engine.funds(self.user_id)
        return JSONResponse(
            {
                "totalMargin": as_float(total),
                "spanMargin": 0.0,
                "exposureMargin": as_float(total),
                "availableBalance": as_float(funds.available_cash),
                "variableMargin": 0.0,
                "insufficientBalance": as_float(max(Decimal(0), total - funds.available_cash)),
                "brokerage": 0.0,
                "leverage": "1.00",
            }
        )

    # Market data

    async def _market_quote(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in ("ltp", "ohlc", "quote"):
            raise DhanError(400, "814", "Invalid Request", data_api=True)
        try:
            body = await request.json()
        except ValueError as e:
            raise DhanError(400, "814", "Invalid Request", data_api=True) from e
        answer: dict[str, dict[str, dict]] = {}
        for segment, ids in body.items():
            for security_id in ids:
                row = self.names.token(int(security_id))
                if row is None or row.exchange != segment:
                    continue  # Dhan leaves unknown instruments out of the answer
                tick = self.market.tick(row.instrument.exchange, row.instrument.symbol)
                answer.setdefault(segment, {})[str(security_id)] = _quote_row(tick, kind)
        return JSONResponse({"data": answer, "status": "success"})

    async def _chart(self, request: Request, interval: str) -> Response:
        body = await self._json(request)
        row = self._row(body.get("exchangeSegment"), body.get("securityId"))
        try:
            start = date.fromisoformat(str(body["fromDate"])[:10])
            end = date.fromisoformat(str(body["toDate"])[:10])
        except (KeyError, ValueError) as e:
            raise DhanError(400, "DH-905", "fromDate and toDate must be dates like 2024-12-01.") from e
        if interval == "D":
            end -= timedelta(days=1)  # toDate is exclusive for daily candles
        candles = self.market.history(row.instrument.exchange, row.instrument.symbol, interval, start, end)
        return JSONResponse(
            {
                "open": [c.open for c in candles],
                "high": [c.high for c in candles],
                "low": [c.low for c in candles],
                "close": [c.close for c in candles],
                "volume": [c.volume for c in candles],
                "timestamp": [c.timestamp for c in candles],
                "open_interest": [c.oi for c in candles],
            }
        )

    async def _historical(self, request: Request) -> Response:
        return await self._chart(request, "D")

    async def _intraday(self, request: Request) -> Response:
        interval = _INTRADAY.get(str((await self._json(request)).get("interval")))
        if interval is None:
            raise DhanError(400, "DH-905", "interval must be one of 1, 5, 15, 25, 60 (25 is not simulated).")
        return await self._chart(request, interval)


def _order_status(order) -> str:
    """Dhan's orderStatus for an engine order; a triggered stop order still resting reads TRIGGERED."""
    if order.status == "open":
        if order.price_type in ("SL", "SL-M"):
            return "TRIGGERED"
        return "PART_TRADED" if order.filled_quantity else "PENDING"
    return {"trigger pending": "PENDING", "complete": "TRADED", "cancelled": "CANCELLED", "rejected": "REJECTED"}[
        order.status
    ]


def _quote_row(tick, kind: str) -> dict:
    quote = tick.quote
    if kind == "ltp":
        return {"last_price": quote.ltp}
    ohlc = {"open": quote.open, "close": quote.prev_close, "high": quote.high, "low": quote.low}
    if kind == "ohlc":
        return {"last_price": quote.ltp, "ohlc": ohlc}
    depth = {
        side: [{"quantity": level.quantity, "orders": level.orders, "price": level.price} for level in getattr(tick.depth, name)]
        if tick.depth else []
        for side, name in (("buy", "bids"), ("sell", "asks"))
    }  # fmt: skip
    return {
        "average_price": quote.average_price,
        "buy_quantity": sum(level["quantity"] for level in depth["buy"]),
        "depth": depth,
        "last_price": quote.ltp,
        "last_quantity": quote.last_quantity,
        "last_trade_time": datetime.fromtimestamp(quote.timestamp, IST).strftime("%d/%m/%Y %H:%M:%S"),
        "lower_circuit_limit": round(quote.prev_close * 0.8, 2),
        "net_change": round(quote.ltp - quote.prev_close, 2),
        "ohlc": ohlc,
        "oi": quote.oi,
        "oi_day_high": quote.oi,
        "oi_day_low": quote.oi,
        "sell_quantity": sum(level["quantity"] for level in depth["sell"]),
        "upper_circuit_limit": round(quote.prev_close * 1.2, 2),
        "volume": quote.volume,
    }


class DhanFeedSession(FeedSession):
    """One feed connection: JSON subscriptions in, one binary packet per frame out."""

    def __init__(self, simulator: DhanSimulator) -> None:
        super().__init__()
        self._simulator = simulator
        self._pending: deque[bytes] = deque()
        self._closed_sent: set[object] = set()

    async def send(self, message: str | bytes) -> None:
        self.check_open("dhan")
        request = json.loads(message)
        code = request.get("RequestCode")
        keys = [(item["ExchangeSegment"], int(item["SecurityId"])) for item in request.get("InstrumentList", [])]
        modes = {value: mode for mode, value in REQUEST_CODES.items()}
        if code in modes:
            self.modes.update(dict.fromkeys(keys, modes[code]))
        elif code in UNSUBSCRIBE_CODES.values():
            for key in keys:
                self.modes.pop(key, None)

    async def recv(self) -> bytes:
        while not self._pending:
            await asyncio.sleep(self._simulator.feed_interval)
            self.check_open("dhan")
            self._pending.extend(self._packets())
        self.check_open("dhan")
        return self._pending.popleft()

    def _packets(self) -> list[bytes]:
        simulator = self._simulator
        simulator.names.refresh(simulator.market)
        packets = []
        for (segment, security_id), mode in list(self.modes.items()):
            row = simulator.names.token(security_id)
            if row is None or row.exchange != segment:
                continue
            tick = simulator.market.tick(row.instrument.exchange, row.instrument.symbol)
            if (segment, security_id) not in self._closed_sent:  # Dhan says the previous close once, first
                self._closed_sent.add((segment, security_id))
                packets.append(encode_prev_close(segment, security_id, tick.quote.prev_close, tick.quote.oi))
            packets.append(encode_packet(segment, security_id, mode, tick))
        return packets


def _header(code: int, size: int, segment: str, security_id: int) -> bytes:
    return HEADER.pack(code, size, SEGMENT_CODES[segment], security_id)


def encode_prev_close(segment: str, security_id: int, close: float, oi: int) -> bytes:
    return _header(PREV_CLOSE, 16, segment, security_id) + struct.pack("<fi", close, oi)


def encode_packet(segment: str, security_id: int, mode: str, tick) -> bytes:
    """One v2 feed packet, as Dhan writes it (little-endian, float32 rupees)."""
    quote = tick.quote
    stamp = int(quote.timestamp)
    if mode == "ltp":
        return _header(TICKER, 16, segment, security_id) + struct.pack("<fi", quote.ltp, stamp)
    bids = tick.depth.bids if tick.depth else ()
    asks = tick.depth.asks if tick.depth else ()
    buys, sells = sum(level.quantity for level in bids), sum(level.quantity for level in asks)
    last = (quote.ltp, min(quote.last_quantity, 32767), stamp, quote.average_price, quote.volume, sells, buys)
    day = (quote.open, quote.prev_close, quote.high, quote.low)
    if mode == "quote":
        return _header(QUOTE, 50, segment, security_id) + struct.pack("<fhifiii", *last) + struct.pack("<ffff", *day)
    levels = b"".join(
        struct.pack(
            "<iihhff",
            bids[index].quantity if index < len(bids) else 0,
            asks[index].quantity if index < len(asks) else 0,
            bids[index].orders if index < len(bids) else 0,
            asks[index].orders if index < len(asks) else 0,
            bids[index].price if index < len(bids) else 0.0,
            asks[index].price if index < len(asks) else 0.0,
        )
        for index in range(5)
    )
    oi = (quote.oi, quote.oi, quote.oi)
    return (
        _header(FULL, 162, segment, security_id)
        + struct.pack("<fhifiii", *last)
        + struct.pack("<iii", *oi)
        + struct.pack("<ffff", *day)
        + levels
    )


def encode_disconnect(reason: int) -> bytes:
    return HEADER.pack(DISCONNECT, 10, 0, 0) + struct.pack("<h", reason)


Simulator = DhanSimulator

__all__ = [
    "DhanFeedSession",
    "DhanSimulator",
    "Simulator",
    "encode_disconnect",
    "encode_packet",
    "encode_prev_close",
    "rate_class",
]
