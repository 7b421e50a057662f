"""The base of every broker simulator: one simulated account on its own in-memory sandbox exchange.

A broker's `simulator.py` subclasses `SimulatedBroker` and adds only the protocol layer: its routes,
envelopes, field names, symbol spellings and feed packets. What the conformance kit drives is here,
once: the engine and market that hold the truth, the request log with rate classes, session tokens
and their expiry, throttling, order refusals and dropped feed connections.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, create_engine

import storage.sandbox_tables  # noqa: F401  (registers the sandbox engine's tables)
from sandbox.engine import GttRequest, SandboxConfig, SandboxEngine
from sandbox.market import IST, Instrument, InstrumentType, OfflineMarket


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    at: float  # time.monotonic() when the request arrived
    method: str
    path: str
    rate_class: str


@dataclass(frozen=True, slots=True)
class SimRow:
    """One instrument as the broker lists it, next to the offline market's own instrument."""

    instrument: Instrument
    exchange: str  # the broker's exchange or segment name
    symbol: str  # the broker's trading symbol
    token: int  # fixed for the simulator's life
    is_monthly: bool  # an option on its month's last expiry (brokers spell these differently)


# (instrument, is_monthly) -> the broker's (exchange, symbol) for it
Namer = Callable[[Instrument, bool], tuple[str, str]]


class InstrumentNames:
    """The broker's names and tokens for the offline market's instruments, rebuilt when its master changes."""

    def __init__(self, namer: Namer, first_token: int = 1001) -> None:
        self._namer = namer
        self._tokens: dict[tuple[str, str], int] = {}
        self._next = itertools.count(first_token)
        self._master: object | None = None
        self.rows: list[SimRow] = []
        self._by_upstream: dict[tuple[str, str], SimRow] = {}
        self._by_unified: dict[tuple[str, str], SimRow] = {}
        self._by_token: dict[int, SimRow] = {}

    def refresh(self, market: OfflineMarket) -> None:
        if self._master is market.master:
            return
        instruments = market.master.all()
        rows = []
        for instrument, is_monthly in zip(instruments, _monthly_flags(instruments), strict=True):
            key = (instrument.exchange, instrument.symbol)
            if key not in self._tokens:
                self._tokens[key] = next(self._next)
            exchange, symbol = self._namer(instrument, is_monthly)
            rows.append(SimRow(instrument, exchange, symbol, self._tokens[key], is_monthly))
        self.rows = rows
        self._by_upstream = {(row.exchange, row.symbol): row for row in rows}
        self._by_unified = {(row.instrument.exchange, row.instrument.symbol): row for row in rows}
        self._by_token = {row.token: row for row in rows}
        self._master = market.master

    def upstream(self, exchange: str, symbol: str) -> SimRow | None:
        return self._by_upstream.get((exchange, symbol))

    def unified(self, exchange: str, symbol: str) -> SimRow | None:
        return self._by_unified.get((exchange, symbol))

    def token(self, token: int) -> SimRow | None:
        return self._by_token.get(token)


def _monthly_flags(instruments: Iterable[Instrument]) -> list[bool]:
    """For each instrument, whether it is an option on the last expiry of its month."""
    instruments = list(instruments)
    last: dict[tuple[str, str, int, int], date] = {}
    for item in instruments:
        if item.is_option:
            key = (item.exchange, item.name, item.expiry.year, item.expiry.month)
            last[key] = max(last.get(key, item.expiry), item.expiry)
    return [
        item.is_option and item.expiry == last[(item.exchange, item.name, item.expiry.year, item.expiry.month)]
        for item in instruments
    ]


def is_index(instrument: Instrument) -> bool:
    return instrument.instrument_type is InstrumentType.INDEX


def as_float(value: Decimal | float | None) -> float:
    """An amount the sandbox holds (Decimal, float or None) as the number a JSON answer carries; None is 0."""
    return float(value or 0)


def ist_text(moment: datetime, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """`moment` in Indian time, written with `fmt` (by default `2024-12-01 09:15:00`)."""
    return moment.astimezone(IST).strftime(fmt)


# GTT: a broker's legs of (trigger, limit) on the engine's GTT book, which fires them on the market.
# A lone trigger below the last price waits for a fall (a stoploss), one above it for a rise (a
# target); of two triggers the lower is the stoploss.


def engine_gtt(ltp: Decimal, legs: list[tuple[Decimal, Decimal]], **fields: Any) -> GttRequest:
    """The engine's GTT for a broker's legs of (trigger, limit) on an instrument last traded at `ltp`."""
    if len(legs) == 1:
        ((trigger, limit),) = legs
        side = "stoploss_trigger" if trigger < ltp else "target_trigger"
        return GttRequest(trigger_type="SINGLE", price=limit, **{side: trigger}, **fields)
    (stop, stop_limit), (target, target_limit) = sorted(legs)
    return GttRequest(trigger_type="OCO", stoploss_trigger=stop, stoploss_price=stop_limit,
                      target_trigger=target, target_price=target_limit, **fields)  # fmt: skip


def engine_legs(gtt: Any) -> list[tuple[Decimal, Decimal]]:
    """An engine GTT's legs as (trigger, limit), stoploss first."""
    legs = [(gtt.stoploss_trigger, gtt.stoploss_price), (gtt.target_trigger, gtt.target_price)]
    return [(trigger, limit or Decimal(0)) for trigger, limit in legs if trigger is not None]


def decimal_of(value: Any) -> Decimal:
    """A number from a broker's JSON (number or numeric text) as the engine's Decimal; ValueError if it is
    none, or not finite (NaN would fail every comparison)."""
    try:
        number = Decimal(str(value))
    except ArithmeticError as e:
        raise ValueError(f"not a number: {value!r}") from e
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return number


class FeedSession:
    """One feed connection's subscriptions; `close()` plays a dropped connection."""

    def __init__(self) -> None:
        self.modes: dict[object, str] = {}
        self.is_closed = False

    def close(self) -> None:
        self.is_closed = True

    def check_open(self, broker: str) -> None:
        if self.is_closed:
            raise ConnectionResetError(f"the {broker} feed connection was closed")


Session = TypeVar("Session", bound=FeedSession)


class SimulatedBroker:
    """Engine user `user_id` on a fresh in-memory exchange; subclasses set `broker` and build `app`."""

    broker = "simulated"
    user_id = 1

    def __init__(self, market: OfflineMarket | None = None, *, feed_interval: float = 0.05) -> None:
        self.market = market or OfflineMarket(7)
        database = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
        SQLModel.metadata.create_all(database)
        self.engine = SandboxEngine(
            database,
            self.market,
            SandboxConfig(square_off_enabled=False, is_trading_day=self.market.calendar.is_trading_day),
        )
        self.feed_interval = feed_interval
        self.requests: list[RecordedRequest] = []
        self.feeds: set[FeedSession] = set()
        self._tokens: set[str] = set()
        self._throttled = 0
        self._retry_after = 1
        self._refusal: str | None = None

    # Controls the kit and tests use

    def expire_sessions(self) -> None:
        """Every session token stops working, as at the broker's daily rollover; feeds drop too."""
        self._tokens.clear()
        self.drop_feed_connections()

    def throttle(self, retry_after: int = 1, count: int = 1) -> None:
        """Answer the next `count` API requests as throttled."""
        self._throttled, self._retry_after = count, retry_after

    def refuse_next_order(self, reason: str) -> None:
        self._refusal = reason

    def drop_feed_connections(self) -> None:
        for feed in list(self.feeds):
            feed.close()

    async def close(self) -> None:
        self.drop_feed_connections()
        await self.engine.close()

    # For the protocol layer

    def record(self, method: str, path: str, rate_class: str) -> None:
        self.requests.append(RecordedRequest(time.monotonic(), method, path, rate_class))

    def new_token(self, nbytes: int = 16) -> str:
        token = secrets.token_hex(nbytes)
        self._tokens.add(token)
        return token

    def is_valid_token(self, token: str | None) -> bool:
        return bool(token) and token in self._tokens

    def take_throttle(self) -> int | None:
        """The Retry-After seconds when this request is to be throttled, else None."""
        if self._throttled <= 0:
            return None
        self._throttled -= 1
        return self._retry_after

    def take_refusal(self) -> str | None:
        """The reason to refuse this order with, once, else None."""
        reason, self._refusal = self._refusal, None
        return reason

    @asynccontextmanager
    async def feed_session(self, session: Session) -> AsyncIterator[Session]:
        """`session` counted among the open feeds while the caller uses it; closed and forgotten after."""
        self.feeds.add(session)
        try:
            yield session
        finally:
            session.close()
            self.feeds.discard(session)
