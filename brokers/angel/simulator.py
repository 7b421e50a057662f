"""A SmartAPI server for offline tests: Angel's REST API, scrip master and SmartStream, backed by the sandbox exchange core.

Orders placed here really fill, on the offline market, through the sandbox engine; answers use
Angel's envelopes (`{"status": true, "message": "SUCCESS", "errorcode": "", "data": ...}`, and the
gateway's `{"success": false, "message": "Invalid Token", "errorCode": "AG8001"}`), Angel's field
names and Angel's trading symbols (`SBIN-EQ`, `Nifty 50`, `NIFTY29DEC26FUT`). The login checks the
client code, the PIN and a real TOTP. Everything the kit drives (expiry, throttling, refusals,
dropped feeds, the request log) is the shared `SimulatedBroker`'s.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import secrets
import struct
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pyotp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from brokers.angel import client as routes
from brokers.angel.plugin import AngelPlugin
from brokers.angel.streaming import EXCHANGE_TYPES
from brokers.common.simulator import (
    FeedSession,
    InstrumentNames,
    SimRow,
    SimulatedBroker,
    decimal_of,
    engine_gtt,
    engine_legs,
)
from generated.contract import Account
from generated.errors import BrokergateError, OrderNotFound
from sandbox.engine import ModifyRequest, OrderRequest, Product
from sandbox.engine.margin import position_margin, underlying_price
from sandbox.market import IST, Instrument, InstrumentType, OfflineMarket

BASE_URL = "http://angel.simulator"
MASTER_PATH = "/OpenAPI_File/files/OpenAPIScripMaster.json"
FEED_URL = "ws://angel.simulator/smart-stream"

# Angel's names for the offline market's indices (the scrip master's `symbol` and `name` columns).
INDEX_SYMBOLS = {
    "NIFTY": ("Nifty 50", "NIFTY"),
    "BANKNIFTY": ("Nifty Bank", "BANKNIFTY"),
    "FINNIFTY": ("Nifty Fin Service", "FINNIFTY"),
    "MIDCPNIFTY": ("NIFTY MID SELECT", "MIDCPNIFTY"),
    "NIFTYNXT50": ("Nifty Next 50", "NIFTY NEXT 50"),
    "INDIAVIX": ("India VIX", "INDIA VIX"),
    "SENSEX": ("SENSEX", "SENSEX"),
    "BANKEX": ("BANKEX", "BANKEX"),
}
_INDEX_EXCHANGES = {"NSE_INDEX": "NSE", "BSE_INDEX": "BSE", "MCX_INDEX": "MCX"}
_PRODUCTS = {"DELIVERY": "CNC", "CARRYFORWARD": "NRML", "INTRADAY": "MIS"}
_PRODUCTS_BACK = {unified: upstream for upstream, unified in _PRODUCTS.items()}
_ORDER_TYPES = {"MARKET": "MARKET", "LIMIT": "LIMIT", "STOPLOSS_LIMIT": "SL", "STOPLOSS_MARKET": "SL-M"}
_ORDER_TYPES_BACK = {unified: upstream for upstream, unified in _ORDER_TYPES.items()}
_VARIETIES = {"MARKET": "NORMAL", "LIMIT": "NORMAL", "SL": "STOPLOSS", "SL-M": "STOPLOSS"}
_INTERVALS = {"ONE_MINUTE": "1m", "THREE_MINUTE": "3m", "FIVE_MINUTE": "5m", "TEN_MINUTE": "10m",
              "FIFTEEN_MINUTE": "15m", "THIRTY_MINUTE": "30m", "ONE_HOUR": "1h", "ONE_DAY": "D"}  # fmt: skip
_INSTRUMENT_TYPES = {
    ("NFO", "FUT"): "FUTIDX", ("NFO", "OPT"): "OPTIDX", ("BFO", "FUT"): "FUTIDX", ("BFO", "OPT"): "OPTIDX",
    ("MCX", "FUT"): "FUTCOM", ("MCX", "OPT"): "OPTFUT", ("CDS", "FUT"): "FUTCUR", ("CDS", "OPT"): "OPTCUR",
}  # fmt: skip
_STRIKE_MULTIPLIERS = {"CDS": 10_000_000}
_PRICE_MULTIPLIERS = {"CDS": 10_000_000}
_RATE_CLASSES = {
    routes.PLACE_ORDER: "orders", routes.MODIFY_ORDER: "orders", routes.CANCEL_ORDER: "orders",
    routes.QUOTE: "quotes", routes.CANDLES: "history", routes.MARGIN: "margin", routes.ORDER_BOOK: "other",
    routes.TRADE_BOOK: "trades", routes.POSITIONS: "positions", routes.HOLDINGS: "holdings", routes.RMS: "funds",
    routes.LOGIN: "login", MASTER_PATH: "master", routes.GTT_CREATE: "orders", routes.GTT_MODIFY: "orders",
    routes.GTT_CANCEL: "orders",
}  # fmt: skip
# GTT rules: the products and exchanges Angel allows, and the engine's statuses as ruleList spells them.
_GTT_PRODUCTS = {"DELIVERY": "CNC", "MARGIN": "NRML"}
_GTT_PRODUCTS_BACK = {unified: upstream for upstream, unified in _GTT_PRODUCTS.items()}
_GTT_STATUSES = {"active": "ACTIVE", "triggered": "SENTTOEXCHANGE", "cancelled": "CANCELLED", "expired": "EXPIRED",
                 "rejected": "REJECTED"}  # fmt: skip

_GETS = {routes.ORDER_BOOK, routes.TRADE_BOOK, routes.POSITIONS, routes.HOLDINGS, routes.RMS}


def angel_name(instrument: Instrument, is_monthly: bool) -> tuple[str, str]:
    """Angel's (exch_seg, symbol): NSE equities as NAME-EQ, indices as the exchange prints them,
    derivatives as NAME + DDMMMYY (+ strike) + FUT/CE/PE."""
    if instrument.instrument_type is InstrumentType.INDEX:
        return _INDEX_EXCHANGES[instrument.exchange], INDEX_SYMBOLS.get(instrument.symbol, (instrument.symbol,))[0]
    if instrument.instrument_type is InstrumentType.EQUITY:
        return instrument.exchange, f"{instrument.symbol}-EQ" if instrument.exchange == "NSE" else instrument.symbol
    return instrument.exchange, instrument.symbol


class AngelError(Exception):
    def __init__(self, code: str, message: str, status: int = 200, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.headers = code, message, status, headers or {}


def _ok(data: Any) -> JSONResponse:
    return JSONResponse({"status": True, "message": "SUCCESS", "errorcode": "", "data": data})


def _money(value: Decimal | float | None) -> str:
    return f"{float(value or 0):.2f}"


def _ist(moment: datetime, fmt: str = "%d-%b-%Y %H:%M:%S") -> str:
    return moment.astimezone(IST).strftime(fmt)


def _jwt(claims: dict[str, Any]) -> str:
    """A token shaped like Angel's JWT (header.claims.signature); only this simulator ever checks it."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS512'})}.{part(claims)}.{secrets.token_urlsafe(16)}"


class AngelSimulator(SimulatedBroker):
    """SmartAPI for one simulated account (engine user 1), on its own in-memory sandbox exchange."""

    broker = "angel"

    def __init__(
        self,
        market: OfflineMarket | None = None,
        *,
        api_key: str = "angel-simulated-key",
        client_code: str = "S1234567",
        pin: str = "1234",
        totp_secret: str = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU",  # a fixed demo secret, so a second process can log in
        feed_interval: float = 0.05,
    ) -> None:
        super().__init__(market, feed_interval=feed_interval)
        self.api_key, self.client_code, self.pin = api_key, client_code, pin
        self.totp_secret = totp_secret
        self.credentials = {"api_key": api_key, "client_code": client_code}
        self.redirect_url = None  # a form login: there is no redirect
        self.names = InstrumentNames(angel_name)
        self._feed_tokens: set[str] = set()
        self._sequence = itertools.count(1)
        secure = [
            (routes.PLACE_ORDER, self._place),
            (routes.MODIFY_ORDER, self._modify),
            (routes.CANCEL_ORDER, self._cancel),
            (routes.ORDER_BOOK, self._orders),
            (routes.TRADE_BOOK, self._trades),
            (routes.POSITIONS, self._positions),
            (routes.HOLDINGS, self._holdings),
            (routes.RMS, self._rms),
            (routes.MARGIN, self._margin),
            (routes.QUOTE, self._quote),
            (routes.CANDLES, self._candles),
            (routes.GTT_CREATE, self._gtt_create),
            (routes.GTT_MODIFY, self._gtt_modify),
            (routes.GTT_CANCEL, self._gtt_cancel),
            (routes.GTT_DETAILS, self._gtt_details),
            (routes.GTT_LIST, self._gtt_list),
        ]
        self.app = Starlette(
            routes=[
                Route(routes.LOGIN, self._guarded(self._login, secure=False), methods=["POST"]),
                Route(MASTER_PATH, self._master, methods=["GET"]),
                *[
                    Route(path, self._guarded(handler), methods=["GET" if path in _GETS else "POST"])
                    for path, handler in secure
                ],
            ]
        )

    # What the kit and tests use

    def plugin(self, transport: httpx.AsyncBaseTransport | None = None, **options: Any) -> AngelPlugin:
        """An AngelPlugin that talks to this simulator (through `transport`, default straight to the app)."""
        return AngelPlugin(
            base_url=BASE_URL,
            master_url=f"{BASE_URL}{MASTER_PATH}",
            feed_url=FEED_URL,
            transport=transport or httpx.ASGITransport(app=self.app),
            **options,
        )

    def login_params(self) -> dict[str, str]:
        """What the user types into brokergate's form (the manifest's login_fields): PIN and the authenticator's code."""
        return {"pin": self.pin, "totp": pyotp.TOTP(self.totp_secret).now()}

    def issue_session(self) -> Account:
        """A logged-in account without the login flow, for tests that are about something else."""
        jwt_token, feed_token = self._open_session()
        token = f"{self.api_key}:{self.client_code}:{jwt_token}:{feed_token}"
        return Account(user_id=self.user_id, broker=self.broker, token=token, credentials=self.credentials)

    def expire_sessions(self) -> None:
        self._feed_tokens.clear()
        super().expire_sessions()

    def feed_connector(self):
        """A SmartStream connector for AngelFeed that reaches this simulator without sockets."""

        @asynccontextmanager
        async def connect(url: str) -> AsyncIterator[StreamSession]:
            async with self.feed_session(StreamSession(self)) as session:
                yield session

        return connect

    # Plumbing

    def _open_session(self) -> tuple[str, str]:
        expires = datetime.now(UTC) + timedelta(hours=26)  # Angel: a fresh token lasts 24-28 hours
        jwt_token = _jwt({"username": self.client_code, "iat": int(time.time()), "exp": int(expires.timestamp())})
        self._tokens.add(jwt_token)
        feed_token = secrets.token_hex(16)
        self._feed_tokens.add(feed_token)
        return jwt_token, feed_token

    def _guarded(self, handler, *, secure: bool = True):
        async def guarded(request: Request) -> Response:
            path = request.url.path
            self.record(request.method, path, _RATE_CLASSES.get(path, "other"))
            try:
                if (retry_after := self.take_throttle()) is not None:
                    raise AngelError(
                        "", "Access denied because of exceeding access rate", 429, {"Retry-After": str(retry_after)}
                    )
                if request.headers.get("x-privatekey") != self.api_key:
                    raise AngelError("AG8004", "Invalid API Key", 401)
                if secure:
                    scheme, _, jwt_token = request.headers.get("authorization", "").partition(" ")
                    if scheme != "Bearer" or not self.is_valid_token(jwt_token):
                        return JSONResponse(
                            {"success": False, "message": "Invalid Token", "errorCode": "AG8001", "data": ""}, 401
                        )
                self.names.refresh(self.market)
                return await handler(await request.json() if request.method == "POST" else {})
            except AngelError as e:
                body = {"status": False, "message": e.message, "errorcode": e.code, "data": None}
                return JSONResponse(body, status_code=e.status, headers=e.headers)

        return guarded

    def _row(self, exchange: str, tradingsymbol: str, token: str | None = None) -> SimRow:
        row = self.names.upstream(exchange, tradingsymbol)
        if row is None:
            raise AngelError("AB1009", "Symbol Not Found")
        if token is not None and str(row.token) != str(token):
            raise AngelError("AB4006", "Invalid symboltoken")
        return row

    @staticmethod
    def _engine_error(error: BrokergateError) -> AngelError:
        if isinstance(error, OrderNotFound):
            return AngelError("AB1013", "Order not found")
        return AngelError("AB1007", error.message)

    # Session

    async def _login(self, body: dict) -> Response:
        if body.get("clientcode") != self.client_code or body.get("password") != self.pin:
            raise AngelError("AB1007", "Invalid clientcode or password")
        if not pyotp.TOTP(self.totp_secret).verify(str(body.get("totp") or ""), valid_window=1):
            raise AngelError("AB1050", "Invalid totp")
        jwt_token, feed_token = self._open_session()
        return _ok({"jwtToken": f"Bearer {jwt_token}", "refreshToken": secrets.token_hex(16), "feedToken": feed_token})

    # Orders

    async def _place(self, body: dict) -> Response:
        if (reason := self.take_refusal()) is not None:
            raise AngelError("AB1007", reason)
        row = self._row(body.get("exchange", ""), body.get("tradingsymbol", ""), body.get("symboltoken"))
        price_type = _ORDER_TYPES.get(body.get("ordertype", ""))
        if price_type is None or _VARIETIES[price_type] != body.get("variety"):
            raise AngelError("AB1008", "Invalid Order Variety")
        if body.get("producttype") not in _PRODUCTS:
            raise AngelError("AB1012", "Invalid Product Type")
        order = OrderRequest(
            exchange=row.instrument.exchange,
            symbol=row.instrument.symbol,
            action=body.get("transactiontype", ""),
            quantity=int(body.get("quantity") or 0),
            price_type=price_type,
            product=_PRODUCTS[body["producttype"]],
            price=Decimal(str(body.get("price") or 0)),
            trigger_price=Decimal(str(body.get("triggerprice") or 0)),
            strategy=str(body.get("ordertag") or ""),
        )
        try:
            order_id = await self.engine.place_order(self.user_id, order)
        except BrokergateError as e:
            # Like Angel's RMS, a refusal after acceptance leaves a rejected order in the book.
            if not e.context.get("order_id"):
                raise self._engine_error(e) from e
            order_id = e.context["order_id"]
        return _ok({"script": row.symbol, "orderid": order_id, "uniqueorderid": f"u-{order_id}"})

    async def _modify(self, body: dict) -> Response:
        order_id = str(body.get("orderid") or "")
        self._row(body.get("exchange", ""), body.get("tradingsymbol", ""), body.get("symboltoken"))
        price_type = _ORDER_TYPES.get(body.get("ordertype", ""))
        changes = ModifyRequest(
            quantity=int(body["quantity"]) if body.get("quantity") else None,
            price_type=price_type,
            price=Decimal(str(body["price"])) if price_type in ("LIMIT", "SL") else None,
            trigger_price=Decimal(str(body["triggerprice"])) if price_type in ("SL", "SL-M") else None,
        )
        try:
            await self.engine.modify_order(self.user_id, order_id, changes)
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return _ok({"orderid": order_id, "uniqueorderid": f"u-{order_id}"})

    async def _cancel(self, body: dict) -> Response:
        order_id = str(body.get("orderid") or "")
        try:
            order = await self.engine.order_status(self.user_id, order_id)
            if _VARIETIES[order.price_type] != body.get("variety"):
                raise AngelError("AB1008", "Invalid Order Variety")
            await self.engine.cancel_order(self.user_id, order_id)
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return _ok({"orderid": order_id, "uniqueorderid": f"u-{order_id}"})

    # GTT rules on the sandbox engine's GTT book, which fires them on the offline market

    def _gtt_request(self, body: dict, row: SimRow, action: str, product: str):
        legs = [(decimal_of(body["triggerprice"]), decimal_of(body.get("price") or 0))]
        if str(body.get("gttType") or "").upper() == "OCO":
            legs.append((decimal_of(body["stoplosstriggerprice"]), decimal_of(body.get("stoplossprice") or 0)))
        ltp = decimal_of(self.market.quote(row.instrument.exchange, row.instrument.symbol).ltp)
        return engine_gtt(ltp, legs, exchange=row.instrument.exchange, symbol=row.instrument.symbol, action=action,
                          product=product, quantity=int(body["qty"]), price_type="LIMIT")  # fmt: skip

    async def _active_rule(self, rule_id: str, *, include_inactive: bool = False):
        rules = await self.engine.gtt_book(self.user_id, include_inactive=include_inactive)
        rule = next((rule for rule in rules if rule.gtt_id == rule_id), None)
        if rule is None:
            raise AngelError("AB9013", "Invalid Rule ID")
        return rule

    async def _gtt_create(self, body: dict) -> Response:
        row = self._row(body.get("exchange", ""), body.get("tradingsymbol", ""), body.get("symboltoken"))
        if row.exchange not in ("NSE", "BSE"):
            raise AngelError("AB9010", "Invalid Exchange Segment")
        if body.get("producttype") not in _GTT_PRODUCTS:
            raise AngelError("AB9015", "Invalid Product Type")
        try:
            request = self._gtt_request(body, row, str(body["transactiontype"]), _GTT_PRODUCTS[body["producttype"]])
            rule_id = await self.engine.place_gtt(self.user_id, request)
        except BrokergateError as e:
            raise self._engine_error(e) from e
        except (KeyError, ValueError, TypeError) as e:
            raise AngelError("AB9001", "Invalid Parameters") from e
        return _ok({"id": rule_id})

    async def _gtt_modify(self, body: dict) -> Response:
        rule = await self._active_rule(str(body.get("id") or ""))
        row = self.names.unified(rule.exchange, rule.symbol)
        if str(body.get("symboltoken")) != str(row.token) or body.get("exchange") != row.exchange:
            raise AngelError("AB9011", "Invalid Symbol Token")
        try:
            await self.engine.modify_gtt(
                self.user_id, rule.gtt_id, self._gtt_request(body, row, rule.action, rule.product)
            )
        except BrokergateError as e:
            raise self._engine_error(e) from e
        except (KeyError, ValueError, TypeError) as e:
            raise AngelError("AB9001", "Invalid Parameters") from e
        return _ok({"id": rule.gtt_id})

    async def _gtt_cancel(self, body: dict) -> Response:
        rule = await self._active_rule(str(body.get("id") or ""))
        row = self.names.unified(rule.exchange, rule.symbol)
        if str(body.get("symboltoken")) != str(row.token) or body.get("exchange") != row.exchange:
            raise AngelError("AB9011", "Invalid Symbol Token")
        try:
            await self.engine.cancel_gtt(self.user_id, rule.gtt_id)
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return _ok({"id": rule.gtt_id})

    async def _gtt_details(self, body: dict) -> Response:
        return _ok(self._rule_row(await self._active_rule(str(body.get("id") or ""), include_inactive=True)))

    async def _gtt_list(self, body: dict) -> Response:
        statuses, page, count = body.get("status"), body.get("page"), body.get("count")
        if not isinstance(statuses, list) or not statuses:
            raise AngelError("AB9004", "Invalid Status Array Size")
        if not isinstance(page, int) or page < 1:
            raise AngelError("AB9017", "Invalid Page Value")
        if not isinstance(count, int) or not 1 <= count <= 100:
            raise AngelError("AB9018", "Invalid Count Value")
        rows = [self._rule_row(rule) for rule in await self.engine.gtt_book(self.user_id, include_inactive=True)]
        rows = [row for row in rows if "FORALL" in statuses or row["status"] in statuses]
        return _ok(rows[(page - 1) * count : page * count])

    def _rule_row(self, rule) -> dict:
        row = self.names.unified(rule.exchange, rule.symbol)
        legs = engine_legs(rule)  # stoploss first; the target (or a SINGLE's one leg) is `price`/`triggerprice`
        (trigger, limit), stamp = legs[-1], "%Y-%m-%dT%H:%M:%SZ"
        answer = {
            "id": rule.gtt_id, "status": _GTT_STATUSES[str(rule.status)], "createddate": rule.created_at.astimezone(UTC).strftime(stamp),
            "updateddate": rule.updated_at.astimezone(UTC).strftime(stamp), "expirydate": rule.expires_at.astimezone(UTC).strftime(stamp),
            "clientid": self.client_code, "tradingsymbol": row.symbol, "symboltoken": str(row.token), "exchange": row.exchange,
            "transactiontype": rule.action, "producttype": _GTT_PRODUCTS_BACK[rule.product], "price": _money(limit),
            "qty": str(rule.quantity), "triggerprice": _money(trigger), "disclosedqty": "0",
        }  # fmt: skip
        if len(legs) == 2:
            (stop, stop_limit) = legs[0]
            answer |= {"gttType": "OCO", "stoplossprice": _money(stop_limit), "stoplosstriggerprice": _money(stop)}
        return answer

    def _order_row(self, order) -> dict:
        row = self.names.unified(order.exchange, order.symbol)
        is_live = order.status in ("open", "trigger pending")
        return {
            "variety": _VARIETIES[order.price_type],
            "ordertype": _ORDER_TYPES_BACK[order.price_type],
            "producttype": _PRODUCTS_BACK[order.product],
            "duration": "DAY",
            "price": float(order.price),
            "triggerprice": float(order.trigger_price),
            "quantity": str(order.quantity),
            "disclosedquantity": "0",
            "tradingsymbol": row.symbol,
            "transactiontype": order.action,
            "exchange": row.exchange,
            "symboltoken": str(row.token),
            "ordertag": order.strategy,
            "averageprice": float(order.average_price),
            "filledshares": str(order.filled_quantity),
            "unfilledshares": str(order.quantity - order.filled_quantity if is_live else 0),
            "cancelsize": str(order.quantity - order.filled_quantity if order.status == "cancelled" else 0),
            "orderid": order.order_id,
            "uniqueorderid": f"u-{order.order_id}",
            "text": order.rejection_reason,
            "status": order.status,
            "orderstatus": order.status,
            "updatetime": _ist(order.updated_at),
            "exchtime": _ist(order.updated_at),
        }

    async def _orders(self, body: dict) -> Response:
        rows = [self._order_row(order) for order in await self.engine.orderbook(self.user_id)]
        return _ok(rows or None)  # Angel answers an empty book with null

    async def _trades(self, body: dict) -> Response:
        rows = []
        for trade in await self.engine.tradebook(self.user_id):
            row = self.names.unified(trade.exchange, trade.symbol)
            rows.append(
                {
                    "exchange": row.exchange,
                    "producttype": _PRODUCTS_BACK[trade.product],
                    "tradingsymbol": row.symbol,
                    "transactiontype": trade.action,
                    "fillprice": _money(trade.price),
                    "fillsize": str(trade.quantity),
                    "tradevalue": _money(trade.price * trade.quantity),
                    "orderid": trade.order_id,
                    "fillid": trade.trade_id,
                    "filltime": _ist(trade.created_at, "%H:%M:%S"),
                }
            )
        return _ok(rows or None)

    # Portfolio and funds

    async def _positions(self, body: dict) -> Response:
        rows = []
        for position in await self.engine.positions(self.user_id):
            row = self.names.unified(position.exchange, position.symbol)
            pnl = position.unrealized_pnl + position.realized_pnl
            rows.append(
                {
                    "exchange": row.exchange,
                    "symboltoken": str(row.token),
                    "producttype": _PRODUCTS_BACK[position.product],
                    "tradingsymbol": row.symbol,
                    "symbolname": row.instrument.name,
                    "buyqty": str(max(position.quantity, 0)),
                    "sellqty": str(max(-position.quantity, 0)),
                    "netqty": str(position.quantity),
                    "avgnetprice": _money(position.average_price),
                    "lotsize": str(position.lot_size),
                    "ltp": _money(position.ltp),
                    "pnl": _money(pnl),
                    "realised": _money(position.realized_pnl),
                    "unrealised": _money(position.unrealized_pnl),
                }
            )
        return _ok(rows or None)

    async def _holdings(self, body: dict) -> Response:
        holdings, value, cost = [], Decimal(0), Decimal(0)
        for holding in await self.engine.holdings(self.user_id):
            row = self.names.unified(holding.exchange, holding.symbol)
            last = holding.ltp or Decimal(0)
            value, cost = value + last * holding.quantity, cost + holding.cost
            pnl = last * holding.quantity - holding.cost
            holdings.append(
                {
                    "tradingsymbol": row.symbol, "exchange": row.exchange, "isin": "", "t1quantity": 0,
                    "realisedquantity": holding.quantity, "quantity": holding.quantity, "product": "DELIVERY",
                    "averageprice": float(holding.average_price), "ltp": float(last), "symboltoken": str(row.token),
                    "profitandloss": float(pnl), "pnlpercentage": float(round(pnl * 100 / holding.cost, 2)) if holding.cost else 0.0,
                }
            )  # fmt: skip
        totals = {"totalholdingvalue": float(value), "totalinvvalue": float(cost), "totalprofitandloss": float(value - cost),
                  "totalpnlpercentage": float(round((value - cost) * 100 / cost, 2)) if cost else 0.0}  # fmt: skip
        return _ok({"holdings": holdings, "totalholding": totals})

    async def _rms(self, body: dict) -> Response:
        funds = await self.engine.funds(self.user_id)
        return _ok(
            {
                "net": _money(funds.available_cash),
                "availablecash": _money(funds.available_cash + funds.used_margin),
                "availableintradaypayin": "0.00",
                "availablelimitmargin": "0.00",
                "collateral": "0.00",
                "m2munrealized": _money(funds.unrealized_pnl),
                "m2mrealized": _money(funds.today_realized_pnl),
                "utiliseddebits": _money(funds.used_margin),
                "utilisedspan": "0.00",
                "utilisedoptionpremium": "0.00",
                "utilisedholdingsales": "0.00",
                "utilisedexposure": "0.00",
                "utilisedturnover": "0.00",
                "utilisedpayout": "0.00",
            }
        )

    async def _margin(self, body: dict) -> Response:
        total = Decimal(0)
        for entry in body.get("positions") or []:
            row = self.names.token(int(entry.get("token") or 0))
            if row is None or row.exchange != entry.get("exchange"):
                raise AngelError("AB4006", "Invalid symboltoken")
            instrument = row.instrument
            price = Decimal(str(entry.get("price") or 0)) or Decimal(
                str(self.market.quote(instrument.exchange, instrument.symbol).ltp)
            )
            sign = 1 if entry.get("tradeType") == "BUY" else -1
            total += position_margin(
                instrument, Product(_PRODUCTS[entry["productType"]]), sign * int(entry["qty"]), price,
                self.engine.config, underlying_price(instrument, self.market),
            )  # fmt: skip
        components = {"netPremium": 0.0, "spanMargin": 0.0, "marginBenefit": 0.0, "deliveryMargin": float(total),
                      "nonNFOMargin": 0.0, "totOptionsPremium": 0.0}  # fmt: skip
        return _ok({"totalMarginRequired": float(total), "marginComponents": components})

    # Market data

    async def _quote(self, body: dict) -> Response:
        mode = body.get("mode")
        if mode not in ("LTP", "OHLC", "FULL"):
            raise AngelError("AB4009", "Invalid mode")
        fetched, unfetched = [], []
        for exchange, tokens in (body.get("exchangeTokens") or {}).items():
            for token in tokens:
                row = self.names.token(int(token)) if str(token).isdigit() else None
                if row is None or row.exchange != exchange:
                    unfetched.append(
                        {"exchange": exchange, "symbolToken": token, "message": "Invalid Token", "errorCode": "AB4006"}
                    )
                    continue
                fetched.append(self._quote_row(row, mode))
        return _ok({"fetched": fetched, "unfetched": unfetched})

    def _quote_row(self, row: SimRow, mode: str) -> dict:
        tick = self.market.tick(row.instrument.exchange, row.instrument.symbol)
        quote = tick.quote
        answer: dict[str, Any] = {
            "exchange": row.exchange,
            "tradingSymbol": row.symbol,
            "symbolToken": str(row.token),
            "ltp": quote.ltp,
        }
        if mode == "LTP":
            return answer
        answer |= {"open": quote.open, "high": quote.high, "low": quote.low, "close": quote.prev_close}
        if mode == "OHLC":
            return answer
        bids = tick.depth.bids if tick.depth else ()
        asks = tick.depth.asks if tick.depth else ()
        stamp = _ist(datetime.fromtimestamp(quote.timestamp, UTC))
        return answer | {
            "lastTradeQty": quote.last_quantity, "exchFeedTime": stamp, "exchTradeTime": stamp,
            "netChange": round(quote.ltp - quote.prev_close, 2),
            "percentChange": round((quote.ltp - quote.prev_close) * 100 / quote.prev_close, 2) if quote.prev_close else 0.0,
            "avgPrice": quote.average_price, "tradeVolume": quote.volume, "opnInterest": quote.oi,
            "totBuyQuan": sum(level.quantity for level in bids), "totSellQuan": sum(level.quantity for level in asks),
            "depth": {
                "buy": [{"price": level.price, "quantity": level.quantity, "orders": level.orders} for level in bids],
                "sell": [{"price": level.price, "quantity": level.quantity, "orders": level.orders} for level in asks],
            },
        }  # fmt: skip

    async def _candles(self, body: dict) -> Response:
        row = (
            self.names.token(int(body.get("symboltoken") or 0))
            if str(body.get("symboltoken") or "").isdigit()
            else None
        )
        interval = _INTERVALS.get(body.get("interval", ""))
        if row is None or row.exchange != body.get("exchange"):
            raise AngelError("AB4006", "Invalid symboltoken")
        if interval is None:
            raise AngelError("AB4009", "Invalid interval")
        try:
            start = date.fromisoformat(str(body["fromdate"])[:10])
            end = date.fromisoformat(str(body["todate"])[:10])
        except (KeyError, ValueError) as e:
            raise AngelError("AB4009", "fromdate and todate must read like 2024-12-01 09:15") from e
        candles = self.market.history(row.instrument.exchange, row.instrument.symbol, interval, start, end)

        def stamp(seconds: int) -> str:
            if interval == "D":  # the sandbox's daily bars carry the date at 00:00 UTC; Angel's, 00:00 IST
                return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT00:00:00+05:30")
            return datetime.fromtimestamp(seconds, IST).isoformat()

        return _ok([[stamp(c.timestamp), c.open, c.high, c.low, c.close, c.volume] for c in candles])

    async def _master(self, request: Request) -> Response:
        self.record("GET", MASTER_PATH, "master")
        self.names.refresh(self.market)
        return JSONResponse([self._master_row(row) for row in self.names.rows])

    @staticmethod
    def _master_row(row: SimRow) -> dict[str, str]:
        instrument = row.instrument
        kind = instrument.instrument_type
        name = instrument.name
        if kind is InstrumentType.INDEX:
            name, instrument_type = (
                INDEX_SYMBOLS.get(instrument.symbol, (instrument.symbol, instrument.symbol))[1],
                "AMXIDX",
            )
        elif kind is InstrumentType.EQUITY:
            instrument_type = ""
        else:
            instrument_type = _INSTRUMENT_TYPES[
                (instrument.exchange, "FUT" if kind is InstrumentType.FUTURE else "OPT")
            ]
        strike = (instrument.strike or 0) * _STRIKE_MULTIPLIERS.get(row.exchange, 100) if instrument.is_option else -1
        return {
            "token": str(row.token),
            "symbol": row.symbol,
            "name": name,
            "expiry": instrument.expiry.strftime("%d%b%Y").upper() if instrument.expiry else "",
            "strike": f"{strike:.6f}",
            "lotsize": str(instrument.lot_size),
            "instrumenttype": instrument_type,
            "exch_seg": row.exchange,
            "tick_size": f"{instrument.tick_size * 100:.6f}",
        }

    def next_sequence(self) -> int:
        return next(self._sequence)


class StreamSession(FeedSession):
    """One SmartStream connection: its subscriptions, and the packets it is owed, one per frame."""

    def __init__(self, simulator: AngelSimulator) -> None:
        super().__init__()
        self._simulator = simulator
        self._pending: deque[bytes] = deque()

    async def send(self, message: str | bytes) -> None:
        self.check_open("smartstream")
        if message == "ping":
            self._pending.append(b"pong")
            return
        request = json.loads(message)
        mode = request["params"]["mode"]
        for group in request["params"]["tokenList"]:
            for token in group["tokens"]:
                key = (int(group["exchangeType"]), str(token))
                if request["action"] == 1:
                    self.modes[key] = mode
                else:
                    self.modes.pop(key, None)

    async def recv(self) -> bytes | str:
        while not self._pending:
            await asyncio.sleep(self._simulator.feed_interval)
            self.check_open("smartstream")
            self._simulator.names.refresh(self._simulator.market)
            for (exchange_type, token), mode in list(self.modes.items()):
                row = self._simulator.names.token(int(token))
                if row is not None and EXCHANGE_TYPES.get(row.exchange) == exchange_type:
                    tick = self._simulator.market.tick(row.instrument.exchange, row.instrument.symbol)
                    self._pending.append(encode_packet(row, mode, tick, self._simulator.next_sequence()))
        self.check_open("smartstream")
        frame = self._pending.popleft()
        return "pong" if frame == b"pong" else frame


def encode_packet(row: SimRow, mode: int, tick, sequence: int = 0) -> bytes:
    """One SmartStream packet as Angel writes it (little-endian, prices in paise or 10^-7 rupee)."""
    quote = tick.quote
    multiplier = _PRICE_MULTIPLIERS.get(row.exchange, 100)

    def money(value: float) -> int:
        return round(value * multiplier)

    exchange_type = EXCHANGE_TYPES[row.exchange]
    token = str(row.token).encode().ljust(25, b"\x00")
    packet = struct.pack(
        "<BB25sqqq", mode, exchange_type, token, sequence, int(quote.timestamp * 1000), money(quote.ltp)
    )
    if mode == 1:
        return packet
    bids = tick.depth.bids if tick.depth else ()
    asks = tick.depth.asks if tick.depth else ()
    packet += struct.pack(
        "<qqqddqqqq", quote.last_quantity, money(quote.average_price), quote.volume,
        float(sum(level.quantity for level in bids)), float(sum(level.quantity for level in asks)),
        money(quote.open), money(quote.high), money(quote.low), money(quote.prev_close),
    )  # fmt: skip
    if mode == 2:
        return packet
    packet += struct.pack("<qqq", int(quote.timestamp), quote.oi, 0)
    levels = [(0, level) for level in bids[:5]] + [(1, level) for level in asks[:5]]
    depth = b"".join(
        struct.pack("<HqqH", flag, level.quantity, money(level.price), level.orders) for flag, level in levels
    )
    packet += depth.ljust(200, b"\x00")
    high, low = money(quote.high), money(quote.low)
    packet += struct.pack("<qqqq", round(high * 1.2), round(low * 0.8), high, low)
    return packet


Simulator = AngelSimulator

__all__ = ["AngelSimulator", "Simulator", "StreamSession", "angel_name", "encode_packet"]
