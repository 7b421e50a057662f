"""A fake market, a settable clock and an engine on an in-memory database, shared by the engine tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, create_engine

import storage.sandbox_tables  # noqa: F401  (registers the sandbox tables)
from sandbox.engine import SandboxConfig, SandboxEngine
from sandbox.engine.timekeeping import IST
from sandbox.market.types import Instrument, InstrumentType, Quote

INSTRUMENTS = (
    Instrument("SBIN", "NSE", "SBIN", InstrumentType.EQUITY),
    Instrument("RELIANCE", "NSE", "RELIANCE", InstrumentType.EQUITY),
    Instrument("NIFTY", "NSE_INDEX", "NIFTY", InstrumentType.INDEX),
    Instrument("NIFTY30JAN25FUT", "NFO", "NIFTY", InstrumentType.FUTURE, lot_size=75, underlying="NIFTY"),
    Instrument(
        "NIFTY30JAN2524000CE",
        "NFO",
        "NIFTY",
        InstrumentType.CALL,
        lot_size=75,
        strike=24000.0,
        underlying="NIFTY",
    ),
    Instrument("CRUDEOIL20JAN25FUT", "MCX", "CRUDEOIL", InstrumentType.FUTURE, lot_size=100),
)


class FakeMarket:
    """Instruments and quotes set by the test; a symbol never priced has an LTP of 0 (no market)."""

    def __init__(self) -> None:
        self.instruments = {(item.exchange, item.symbol): item for item in INSTRUMENTS}
        self.quotes: dict[tuple[str, str], Quote] = {}

    @property
    def master(self) -> FakeMarket:
        return self

    def get(self, exchange: str, symbol: str) -> Instrument | None:
        return self.instruments.get((exchange, symbol))

    def quote(self, exchange: str, symbol: str) -> Quote:
        return self.quotes.get((exchange, symbol)) or Quote(exchange, symbol, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    def set_price(
        self, exchange: str, symbol: str, ltp: float, bid: float | None = None, ask: float | None = None
    ) -> Quote:
        quote = Quote(
            exchange,
            symbol,
            ltp,
            ltp if bid is None else bid,
            ltp if ask is None else ask,
            ltp,
            0,
            0,
            ltp,
            0,
            0,
            0,
        )
        self.quotes[(exchange, symbol)] = quote
        return quote


class FakeClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def set_ist(self, day: date, hour: int, minute: int = 0) -> None:
        self.moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=IST).astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


MONDAY = date(2025, 1, 6)


@pytest.fixture
def database(database_backend, request):
    if database_backend == "sqlite":
        engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    else:  # a module marked `databases` also runs on a throw-away PostgreSQL (tests/postgres.py)
        engine = create_engine(request.getfixturevalue("database_url"))
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def market() -> FakeMarket:
    market = FakeMarket()
    market.set_price("NSE", "SBIN", 800, bid=799.95, ask=800.05)
    market.set_price("NSE", "RELIANCE", 1250)
    market.set_price("NSE_INDEX", "NIFTY", 24000)
    market.set_price("NFO", "NIFTY30JAN25FUT", 24050)
    market.set_price("NFO", "NIFTY30JAN2524000CE", 200)
    return market


@pytest.fixture
def clock() -> FakeClock:
    clock = FakeClock(datetime(2025, 1, 6, tzinfo=UTC))
    clock.set_ist(MONDAY, 10, 0)
    return clock


@pytest.fixture
def events() -> list[tuple[int, dict]]:
    return []


@pytest.fixture
def make_engine(database, market, clock, events):
    """Build engines on the shared database (a second one plays the restarted process)."""
    built: list[SandboxEngine] = []

    def build(config: SandboxConfig | None = None) -> SandboxEngine:
        engine = SandboxEngine(
            database,
            market,
            config,
            clock=clock,
            on_order_event=lambda user_id, order: events.append((user_id, order)),
        )
        built.append(engine)
        return engine

    yield build
    for engine in built:
        engine._worker.shutdown(wait=True)


@pytest.fixture
def engine(make_engine) -> SandboxEngine:
    return make_engine()
