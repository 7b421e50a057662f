"""A Noren server for offline tests: any member's REST API, symbol files and WebSocket feed, on the sandbox exchange.

One simulator serves the whole family: a member's `simulator.py` names its folder (`Simulator =
simulator_for(__package__)`), and its `noren.yaml` says the root path, the wire (jData form or JSON
with the member's field names) and the endpoint names. Orders really fill on the offline market,
through the sandbox engine; answers use Noren's field names and trading symbols (`SBIN-EQ`,
`NIFTY26DEC24F`, `NIFTY26DEC24C26000`). QuickAuth checks the user id, the password's SHA-256, a real
TOTP, the vendor code and the SHA-256 of `uid|api_key`. What the kit drives (expiry, throttling,
refusals, dropped feeds, the request log) is the shared `SimulatedBroker`'s.
"""

from __future__ import annotations

import asyncio
import csv
import importlib
import io
import json
import zipfile
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pyotp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from brokers.common.simulator import FeedSession, InstrumentNames, SimRow, SimulatedBroker, as_float, ist_text
from brokers.common.symbols import MONTHS, strike_text
from brokers.families.noren import wire
from brokers.families.noren.auth import sha256
from brokers.families.noren.plugin import NorenPlugin, build
from brokers.families.noren.profile import NorenProfile
from brokers.families.noren.symbols import MASTER_EXCHANGES
from generated.contract import Account
from generated.errors import BrokergateError, OrderNotFound
from sandbox.engine import ModifyRequest, OrderRequest
from sandbox.market import IST, Instrument, InstrumentType, OfflineMarket

INDEX_NAMES = {"NIFTY": "Nifty 50", "BANKNIFTY": "Nifty Bank", "FINNIFTY": "Nifty Fin Service",
               "MIDCPNIFTY": "NIFTY MID SELECT", "NIFTYNXT50": "Nifty Next 50", "INDIAVIX": "India VIX"}  # fmt: skip
_PRODUCTS = {"C": "CNC", "M": "NRML", "I": "MIS"}
_PRICE_TYPES = {"MKT": "MARKET", "LMT": "LIMIT", "SL-LMT": "SL", "SL-MKT": "SL-M"}
_ACTIONS = {"B": "BUY", "S": "SELL"}
_STATUSES = {"open": "OPEN", "complete": "COMPLETE", "cancelled": "CANCELED", "rejected": "REJECTED",
             "trigger pending": "TRIGGER_PENDING"}  # fmt: skip
_INTERVALS = {"1": "1m", "3": "3m", "5": "5m", "10": "10m", "15": "15m", "30": "30m", "60": "1h"}
_KINDS = {
    "NFO": ("FUTIDX", "OPTIDX"),
    "BFO": ("FUTIDX", "OPTIDX"),
    "MCX": ("FUTCOM", "OPTFUT"),
    "CDS": ("FUTCUR", "OPTCUR"),
}
_RATE_CLASSES = {"PlaceOrder": "orders", "ModifyOrder": "orders", "CancelOrder": "orders", "GetQuotes": "quotes",
                 "TPSeries": "history", "EODChartData": "history", "QuickAuth": "login"}  # fmt: skip
_COLUMNS = [
    "Exchange",
    "Token",
    "LotSize",
    "Symbol",
    "TradingSymbol",
    "Expiry",
    "Instrument",
    "OptionType",
    "StrikePrice",
    "TickSize",
]
EXPIRED = "Session Expired :  Invalid Session Key"


def _short(expiry) -> str:
    return f"{expiry.day:02d}{MONTHS[expiry.month - 1]}{expiry.year % 100:02d}"


def noren_name(instrument: Instrument, is_monthly: bool) -> tuple[str, str]:
    """Noren's (exch, tsym): SBIN-EQ on NSE, indices as the exchange prints them, NAME+DDMMMYY+F for futures
    and NAME+DDMMMYY+C/P+strike for options."""
    kind = instrument.instrument_type
    if kind is InstrumentType.INDEX:
        return instrument.exchange.removesuffix("_INDEX"), INDEX_NAMES.get(instrument.symbol, instrument.symbol)
    if kind is InstrumentType.EQUITY:
        return instrument.exchange, f"{instrument.symbol}-EQ" if instrument.exchange == "NSE" else instrument.symbol
    if kind is InstrumentType.FUTURE:
        return instrument.exchange, f"{instrument.name}{_short(instrument.expiry)}F"
    side = "C" if kind is InstrumentType.CALL else "P"
    return (
        instrument.exchange,
        f"{instrument.name}{_short(instrument.expiry)}{side}{strike_text(instrument.strike or 0)}",
    )


class NorenError(Exception):
    def __init__(self, message: str, status: int = 200, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message, self.status, self.headers = message, status, headers or {}


Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class NorenSimulator(SimulatedBroker):
    """One Noren member for one simulated account (engine user 1), on its own in-memory sandbox exchange."""

    folder: Path  # the member's folder, set by simulator_for
    login_fields = ("password", "totp")

    def __init__(self, market: OfflineMarket | None = None, *, feed_interval: float = 0.05) -> None:
        super().__init__(market, feed_interval=feed_interval)
        self.profile = NorenProfile.read(self.folder)
        self.broker = self.profile.broker
        self.upstream = self.profile.upstream
        self.host = f"http://{self.broker}.simulator"
        self.user_id, self.password, self.vendor_code = 1, "sim pass 123", "FA12345_U"
        self.uid, self.api_key = "FA12345", f"{self.broker}-simulated-key"
        self.totp_secret = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"  # a fixed demo secret, so a second process can log in
        self.credentials = {"user_id": self.uid, "api_key": self.api_key, "vendor_code": self.vendor_code}
        self.redirect_url: str | None = None  # QuickAuth is a form: there is no redirect
        self.names = InstrumentNames(noren_name)
        handlers: dict[str, Handler] = {
            "QuickAuth": self._login, "PlaceOrder": self._place, "ModifyOrder": self._modify,
            "CancelOrder": self._cancel, "OrderBook": self._orders, "TradeBook": self._trades,
            "PositionBook": self._positions, "Holdings": self._holdings, "Limits": self._limits,
            "GetQuotes": self._quote, "TPSeries": self._candles, "EODChartData": self._daily,
        }  # fmt: skip
        self._master_root = urlsplit(self.profile.master_url).path.rstrip("/")
        self.app = Starlette(
            routes=[
                *[
                    Route(self.profile.path(name), self._guarded(name, handler), methods=["POST"])
                    for name, handler in handlers.items()
                ],
                Route(f"{self._master_root}/{{exchange}}_symbols.txt.zip", self._master, methods=["GET"]),
                *self.extra_routes(),
            ]
        )

    # What the kit and tests use

    def extra_routes(self) -> list[Route]:
        """A member's own routes (Flattrade's login page and token exchange)."""
        return []

    def login(self, transport: httpx.AsyncBaseTransport) -> Any:
        """The login the member's plugin uses, reaching this simulator; QuickAuth unless the member says otherwise."""
        return None

    def plugin(self, transport: httpx.AsyncBaseTransport | None = None, **options: Any) -> NorenPlugin:
        transport = transport or httpx.ASGITransport(app=self.app)
        return build(
            self.folder, login=self.login(transport), api_url=f"{self.host}{self.profile.root}",
            master_url=f"{self.host}{self._master_root}", feed_url=f"ws://{self.broker}.simulator/feed",
            transport=transport, **options,
        )  # fmt: skip

    def login_params(self) -> dict[str, str]:
        return {"password": self.password, "totp": pyotp.TOTP(self.totp_secret).now()}

    def issue_session(self) -> Account:
        token = f"{self.uid}:{self.uid}:{self.new_token()}"
        return Account(user_id=self.user_id, broker=self.broker, token=token, credentials=self.credentials)

    def feed_connector(self):
        @asynccontextmanager
        async def connect(url: str) -> AsyncIterator[StreamSession]:
            async with self.feed_session(StreamSession(self)) as session:
                yield session

        return connect

    # Plumbing

    def _guarded(self, name: str, handler: Handler):
        async def guarded(request: Request) -> Response:
            self.record("POST", request.url.path, _RATE_CLASSES.get(name, "other"))
            try:
                if (retry_after := self.take_throttle()) is not None:
                    raise NorenError("Too many requests", 429, {"Retry-After": str(retry_after)})
                try:
                    data, key = wire.parse_request(self.profile, await request.body())
                except ValueError as e:
                    raise NorenError(f"Invalid Input : {e}", 400) from e
                if name != "QuickAuth" and (not self.is_valid_token(key) or data.get("uid") != self.uid):
                    raise NorenError(EXPIRED)
                self.names.refresh(self.market)
                return JSONResponse(wire.answer_body(self.profile, await handler(data)))
            except NorenError as e:
                return JSONResponse(wire.failure_body(self.profile, e.message), status_code=e.status, headers=e.headers)

        return guarded

    def _row(self, exchange: str, tsym: str) -> SimRow:
        row = self.names.upstream(exchange, tsym)
        if row is None:
            raise NorenError("Invalid Symbol : no such trading symbol")
        return row

    def _token_row(self, exchange: str, token: Any) -> SimRow:
        row = self.names.token(int(token)) if str(token).isdigit() else None
        if row is None or row.exchange != exchange:
            raise NorenError("Invalid Token")
        return row

    @staticmethod
    def _engine_error(error: BrokergateError) -> NorenError:
        if isinstance(error, OrderNotFound):
            return NorenError("Invalid Order Number")
        return NorenError(f"RMS:{error.message}")

    # Session

    async def _login(self, data: dict) -> dict:
        expected = {
            "uid": self.uid,
            "pwd": sha256(self.password),
            "vc": self.vendor_code,
            "appkey": sha256(f"{self.uid}|{self.api_key}"),
        }
        if any(data.get(name) != value for name, value in expected.items()):
            raise NorenError("Invalid Input : Wrong Password")
        if not pyotp.TOTP(self.totp_secret).verify(str(data.get("factor2") or ""), valid_window=1):
            raise NorenError("Invalid Input : Invalid OTP")
        return {
            "susertoken": self.new_token(),
            "actid": self.uid,
            "uname": "SIMULATED USER",
            "request_time": ist_text(datetime.now(UTC)),
        }

    # Orders

    async def _place(self, data: dict) -> dict:
        if (reason := self.take_refusal()) is not None:
            raise NorenError(f"RMS:{reason}")
        row = self._row(data.get("exch", ""), data.get("tsym", ""))
        if (
            data.get("prctyp") not in _PRICE_TYPES
            or data.get("prd") not in _PRODUCTS
            or data.get("trantype") not in _ACTIONS
        ):
            raise NorenError("Invalid Input : prctyp, prd or trantype")
        order = OrderRequest(
            exchange=row.instrument.exchange, symbol=row.instrument.symbol, action=_ACTIONS[data["trantype"]],
            quantity=int(data.get("qty") or 0), price_type=_PRICE_TYPES[data["prctyp"]], product=_PRODUCTS[data["prd"]],
            price=Decimal(str(data.get("prc") or 0)), trigger_price=Decimal(str(data.get("trgprc") or 0)),
            strategy=str(data.get("remarks") or ""),
        )  # fmt: skip
        try:
            order_id = await self.engine.place_order(self.user_id, order)
        except BrokergateError as e:
            # Like Noren's RMS, a refusal after acceptance leaves a rejected order in the book.
            if not e.context.get("order_id"):
                raise self._engine_error(e) from e
            order_id = e.context["order_id"]
        return {"norenordno": order_id, "request_time": ist_text(datetime.now(UTC), "%H:%M:%S %d-%m-%Y")}

    async def _modify(self, data: dict) -> dict:
        self._row(data.get("exch", ""), data.get("tsym", ""))
        price_type = _PRICE_TYPES.get(data.get("prctyp", ""))
        changes = ModifyRequest(
            quantity=int(data["qty"]) if data.get("qty") else None, price_type=price_type,
            price=Decimal(str(data.get("prc") or 0)) if price_type in ("LIMIT", "SL") else None,
            trigger_price=Decimal(str(data.get("trgprc") or 0)) if price_type in ("SL", "SL-M") else None,
        )  # fmt: skip
        try:
            await self.engine.modify_order(self.user_id, str(data.get("norenordno") or ""), changes)
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return {"result": str(data.get("norenordno"))}

    async def _cancel(self, data: dict) -> dict:
        try:
            await self.engine.cancel_order(self.user_id, str(data.get("norenordno") or ""))
        except BrokergateError as e:
            raise self._engine_error(e) from e
        return {"result": str(data.get("norenordno"))}

    def _book(self, rows: list[dict]) -> list[dict]:
        if not rows:
            raise NorenError("no data")  # Noren answers an empty book as a failure
        if self.profile.wire != "jdata":
            return rows
        return [{"stat": wire.OK} | row if isinstance(row, dict) else row for row in rows]

    async def _orders(self, data: dict) -> list[dict]:
        back = {value: key for key, value in _PRICE_TYPES.items()}
        rows = []
        for order in await self.engine.orderbook(self.user_id):
            row = self.names.unified(order.exchange, order.symbol)
            rows.append({
                "norenordno": order.order_id, "exch": row.exchange, "tsym": row.symbol, "token": str(row.token),
                "qty": str(order.quantity), "prc": f"{as_float(order.price):.2f}", "trgprc": f"{as_float(order.trigger_price):.2f}",
                "prd": _key(_PRODUCTS, order.product), "trantype": _key(_ACTIONS, order.action), "prctyp": back[order.price_type],
                "ret": "DAY", "status": _STATUSES[order.status], "avgprc": f"{as_float(order.average_price):.2f}",
                "fillshares": str(order.filled_quantity), "rejreason": order.rejection_reason or "", "remarks": order.strategy,
                "norentm": ist_text(order.updated_at, "%H:%M:%S %d-%m-%Y"),
            })  # fmt: skip
        return self._book(rows)

    async def _trades(self, data: dict) -> list[dict]:
        rows = []
        for trade in await self.engine.tradebook(self.user_id):
            row = self.names.unified(trade.exchange, trade.symbol)
            rows.append({
                "norenordno": trade.order_id, "exch": row.exchange, "tsym": row.symbol, "prd": _key(_PRODUCTS, trade.product),
                "trantype": _key(_ACTIONS, trade.action), "flqty": str(trade.quantity), "flprc": f"{as_float(trade.price):.2f}",
                "flid": trade.trade_id, "fltm": ist_text(trade.created_at, "%d-%m-%Y %H:%M:%S"),
            })  # fmt: skip
        return self._book(rows)

    # Portfolio and funds

    async def _positions(self, data: dict) -> list[dict]:
        rows = []
        for position in await self.engine.positions(self.user_id):
            row = self.names.unified(position.exchange, position.symbol)
            rows.append({
                "exch": row.exchange, "tsym": row.symbol, "token": str(row.token), "prd": _key(_PRODUCTS, position.product),
                "netqty": str(position.quantity), "netavgprc": f"{as_float(position.average_price):.2f}",
                "lp": f"{as_float(position.ltp):.2f}", "rpnl": f"{as_float(position.realized_pnl):.2f}",
                "urmtom": f"{as_float(position.unrealized_pnl):.2f}", "ls": str(position.lot_size),
            })  # fmt: skip
        return self._book(rows)

    async def _holdings(self, data: dict) -> list[dict]:
        rows = []
        for holding in await self.engine.holdings(self.user_id):
            row = self.names.unified(holding.exchange, holding.symbol)
            rows.append({
                "exch_tsym": [{"exch": row.exchange, "tsym": row.symbol, "token": str(row.token)}],
                "holdqty": str(holding.quantity), "npoadqty": "0", "upldprc": f"{as_float(holding.average_price):.2f}",
            })  # fmt: skip
        return self._book(rows)

    async def _limits(self, data: dict) -> dict:
        funds = await self.engine.funds(self.user_id)
        return {
            "prfname": "SIMULATED", "cash": f"{as_float(funds.available_cash + funds.used_margin):.2f}", "payin": "0.00",
            "marginused": f"{as_float(funds.used_margin):.2f}", "brkcollamt": "0.00",
            "urmtom": f"{as_float(funds.unrealized_pnl):.2f}", "rpnl": f"{as_float(funds.today_realized_pnl):.2f}",
        }  # fmt: skip

    # Market data

    async def _quote(self, data: dict) -> dict:
        return quote_fields(self._token_row(data.get("exch", ""), data.get("token")), self.market)

    async def _candles(self, data: dict) -> list[dict]:
        row = self._token_row(data.get("exch", ""), data.get("token"))
        interval = _INTERVALS.get(str(data.get("intrv")))
        if interval is None:
            raise NorenError("Invalid Input : intrv")
        start, end = _dates(data.get("st"), data.get("et"))
        candles = self.market.history(row.instrument.exchange, row.instrument.symbol, interval, start, end)
        return self._book([
            {"time": ist_text(datetime.fromtimestamp(c.timestamp, UTC), "%d-%m-%Y %H:%M:%S"), "ssboe": str(c.timestamp),
             "into": f"{c.open:.2f}", "inth": f"{c.high:.2f}", "intl": f"{c.low:.2f}", "intc": f"{c.close:.2f}",
             "intv": str(c.volume), "intoi": "0"}
            for c in reversed(candles)
        ])  # fmt: skip

    async def _daily(self, data: dict) -> list[str]:
        exchange, _, tsym = str(data.get("sym") or "").partition(":")
        row = self._row(exchange, tsym)
        start, end = _dates(data.get("from"), data.get("to"))
        candles = self.market.history(row.instrument.exchange, row.instrument.symbol, "D", start, end)
        return self._book([
            json.dumps({"time": datetime.fromtimestamp(c.timestamp, UTC).strftime("%d-%b-%Y").upper(), "into": f"{c.open:.2f}",
                        "inth": f"{c.high:.2f}", "intl": f"{c.low:.2f}", "intc": f"{c.close:.2f}", "intv": str(c.volume),
                        "ssboe": str(c.timestamp)})
            for c in reversed(candles)
        ])  # fmt: skip

    async def _master(self, request: Request) -> Response:
        exchange = request.path_params["exchange"]
        self.record("GET", request.url.path, "master")
        if exchange not in MASTER_EXCHANGES:
            return Response("Not Found", status_code=404)
        self.names.refresh(self.market)
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(_COLUMNS)
        for row in self.names.rows:
            if row.exchange == exchange:
                writer.writerow(master_row(row))
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as out:
            out.writestr(f"{exchange}_symbols.txt", text.getvalue())
        return Response(archive.getvalue(), media_type="application/zip")


def _key(table: dict[str, str], value: str) -> str:
    return next(key for key, unified in table.items() if unified == value)


def _dates(start: Any, end: Any):
    try:
        first = datetime.fromtimestamp(int(start), IST).date()
        last = (datetime.fromtimestamp(int(end), IST) - timedelta(seconds=1)).date()
    except (TypeError, ValueError) as e:
        raise NorenError("Invalid Input : st and et are epoch seconds") from e
    return first, max(first, last)


def master_row(row: SimRow) -> list[str]:
    instrument = row.instrument
    kind = instrument.instrument_type
    future, option = _KINDS.get(row.exchange, ("", ""))
    instrument_type = {InstrumentType.INDEX: "INDEX", InstrumentType.EQUITY: "EQ", InstrumentType.FUTURE: future}.get(
        kind, option
    )
    return [
        row.exchange, str(row.token), str(instrument.lot_size), instrument.name if kind is not InstrumentType.INDEX else instrument.symbol,
        row.symbol, instrument.expiry.strftime("%d-%b-%Y").upper() if instrument.expiry else "", instrument_type,
        {InstrumentType.CALL: "CE", InstrumentType.PUT: "PE"}.get(kind, "XX"),
        strike_text(instrument.strike) if instrument.is_option else "0", f"{instrument.tick_size:.2f}",
    ]  # fmt: skip


def quote_fields(row: SimRow, market: OfflineMarket) -> dict[str, Any]:
    """GetQuotes' answer, and the feed's full frames, for one instrument."""
    tick = market.tick(row.instrument.exchange, row.instrument.symbol)
    quote = tick.quote
    fields = {"exch": row.exchange, "tsym": row.symbol, "token": str(row.token), "lp": f"{quote.ltp:.2f}",
              "o": f"{quote.open:.2f}", "h": f"{quote.high:.2f}", "l": f"{quote.low:.2f}", "c": f"{quote.prev_close:.2f}",
              "v": str(quote.volume), "oi": str(quote.oi), "ap": f"{quote.average_price:.2f}", "ltq": str(quote.last_quantity),
              "ft": str(int(quote.timestamp))}  # fmt: skip
    bids = tick.depth.bids if tick.depth else ()
    asks = tick.depth.asks if tick.depth else ()
    for side, levels in (("b", bids), ("s", asks)):
        fields[f"t{side}q"] = str(sum(level.quantity for level in levels))
        for n, level in enumerate(levels[:5], start=1):
            fields |= {
                f"{side}p{n}": f"{level.price:.2f}",
                f"{side}q{n}": str(level.quantity),
                f"{side}o{n}": str(level.orders),
            }
    return fields


class StreamSession(FeedSession):
    """One Noren feed connection: authenticated by its first frame, then its touchline and depth subscriptions."""

    def __init__(self, simulator: NorenSimulator) -> None:
        super().__init__()
        self._simulator = simulator
        self._pending: deque[str] = deque()
        self._is_authenticated = False

    async def send(self, message: str | bytes) -> None:
        self.check_open(self._simulator.broker)
        frame = json.loads(message)
        if frame.get("t") == "c":
            self._is_authenticated = (
                self._simulator.is_valid_token(frame.get("susertoken")) and frame.get("uid") == self._simulator.uid
            )
            self._pending.append(
                json.dumps({"t": "ck", "s": "OK" if self._is_authenticated else "NOT_OK", "uid": frame.get("uid")})
            )
            if not self._is_authenticated:
                self.close()
            return
        if frame.get("t") in ("t", "d") and self._is_authenticated:
            for key in str(frame.get("k") or "").split("#"):
                exchange, _, token = key.partition("|")
                self.modes[(exchange, token)] = frame["t"]
                self._pending.append(self._frame((exchange, token), frame["t"] + "k"))

    def _frame(self, key: tuple[str, str], kind: str) -> str:
        row = self._simulator.names.token(int(key[1])) if key[1].isdigit() else None
        if row is None or row.exchange != key[0]:
            return json.dumps({"t": kind, "e": key[0], "tk": key[1], "s": "NOT_OK"})
        fields = quote_fields(row, self._simulator.market)
        if kind.startswith("t"):  # touchline frames carry no depth beyond the best level
            fields = {
                name: value
                for name, value in fields.items()
                if name[:2] not in ("bp", "sp", "bq", "sq", "bo", "so") or name.endswith("1")
            }
        return json.dumps(
            {"t": kind, "e": row.exchange, "tk": str(row.token)}
            | {k: v for k, v in fields.items() if k not in ("exch", "token")}
        )

    async def recv(self) -> str:
        while not self._pending:
            await asyncio.sleep(self._simulator.feed_interval)
            self.check_open(self._simulator.broker)
            self._simulator.names.refresh(self._simulator.market)
            for key, kind in list(self.modes.items()):
                self._pending.append(self._frame(key, kind + "f"))
        self.check_open(self._simulator.broker)
        return self._pending.popleft()


def simulator_for(package: str, base: type[NorenSimulator] = NorenSimulator) -> type[NorenSimulator]:
    """The simulator class of the member `package` (`brokers.shoonya`): the family's, on that member's folder."""
    folder = Path(importlib.import_module(package).__file__).parent
    return type(f"{folder.name.title()}Simulator", (base,), {"folder": folder})


__all__ = ["NorenSimulator", "StreamSession", "master_row", "noren_name", "quote_fields", "simulator_for"]
