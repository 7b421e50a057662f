"""Random sequences of orders, modifies, cancels, GTTs, price moves and days never break the books."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, create_engine

from generated.errors import BrokergateError
from sandbox.engine import (
    GttRequest,
    ModifyRequest,
    OrderRequest,
    SandboxConfig,
    SandboxEngine,
    SmartOrderRequest,
)
from tests.unit.sandbox.engine.conftest import MONDAY, FakeClock, FakeMarket

USERS = (1, 2)
# (exchange, symbol, lot size, starting price)
TRADED = (
    ("NSE", "SBIN", 1, 800.0),
    ("NSE", "RELIANCE", 1, 1250.0),
    ("NFO", "NIFTY30JAN25FUT", 75, 24050.0),
    ("NFO", "NIFTY30JAN2524000CE", 75, 200.0),
)
PRODUCTS = ("MIS", "NRML", "CNC")
PRICE_TYPES = ("MARKET", "LIMIT", "SL", "SL-M")


class EngineMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        database = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
        SQLModel.metadata.create_all(database)
        self.market = FakeMarket()
        self.market.set_price("NSE_INDEX", "NIFTY", 24000)
        self.prices = {}
        for exchange, symbol, _lot, price in TRADED:
            self.market.set_price(exchange, symbol, price, bid=price * 0.999, ask=price * 1.001)
            self.prices[(exchange, symbol)] = price
        self.clock = FakeClock(datetime(2025, 1, 6, tzinfo=UTC))
        self.clock.set_ist(MONDAY, 9, 30)
        config = SandboxConfig(starting_capital=Decimal(2_000_000))
        self.engine = SandboxEngine(database, self.market, config, clock=self.clock)
        self.order_ids: list[tuple[int, str]] = []
        self.gtt_ids: list[tuple[int, str]] = []

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def attempt(self, coroutine):
        try:
            return self.run(coroutine)
        except BrokergateError:
            return None  # refusals are part of the game; the books must still agree

    def teardown(self) -> None:
        self.run(self.engine.close())
        self.loop.close()

    @rule(
        user=st.sampled_from(USERS),
        traded=st.sampled_from(TRADED),
        action=st.sampled_from(("BUY", "SELL")),
        lots=st.integers(1, 4),
        product=st.sampled_from(PRODUCTS),
        price_type=st.sampled_from(PRICE_TYPES),
        offset=st.floats(-0.03, 0.03),
        break_rules=st.integers(0, 9).map(lambda draw: draw == 0),
    )
    def place(self, user, traded, action, lots, product, price_type, offset, break_rules):
        exchange, symbol, lot, _ = traded
        if not break_rules:  # mostly valid products, so orders get through to the books
            product = {("NSE", "NRML"): "CNC", ("NFO", "CNC"): "NRML"}.get((exchange, product), product)
        ltp = self.prices[(exchange, symbol)]
        price = round(ltp * (1 + offset), 2)
        trigger = price if price_type != "SL" else round(ltp * (1 + offset / 2), 2)
        if price_type == "SL":
            price, trigger = (
                (max(price, trigger), min(price, trigger))
                if action == "BUY"
                else (min(price, trigger), max(price, trigger))
            )
        request = OrderRequest(
            exchange=exchange,
            symbol=symbol,
            action=action,
            quantity=lots * lot,
            product=product,
            price_type=price_type,
            price=Decimal(str(price)),
            trigger_price=Decimal(str(trigger)),
        )
        order_id = self.attempt(self.engine.place_order(user, request))
        if order_id is not None:
            self.order_ids.append((user, order_id))

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data(), lots=st.integers(1, 6), offset=st.floats(-0.05, 0.05))
    def modify(self, data, lots, offset):
        user, order_id = data.draw(st.sampled_from(self.order_ids))
        current = self.run(self.engine.order_status(user, order_id))
        lot = next(lot for _, symbol, lot, _ in TRADED if symbol == current.symbol)
        price = Decimal(str(round(self.prices[(current.exchange, current.symbol)] * (1 + offset), 2)))
        changes = ModifyRequest(
            quantity=lots * lot, price=price if current.price_type in ("LIMIT", "SL") else None
        )
        self.attempt(self.engine.modify_order(user, order_id, changes))

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data())
    def cancel(self, data):
        user, order_id = data.draw(st.sampled_from(self.order_ids))
        self.attempt(self.engine.cancel_order(user, order_id))

    @rule(user=st.sampled_from(USERS))
    def cancel_all(self, user):
        self.run(self.engine.cancel_all(user))

    @rule(user=st.sampled_from(USERS))
    def close_all(self, user):
        self.run(self.engine.close_all_positions(user))

    @rule(
        user=st.sampled_from(USERS),
        traded=st.sampled_from(TRADED),
        goal=st.integers(-3, 3),
        price_type=st.sampled_from(("MARKET", "LIMIT")),
    )
    def smart(self, user, traded, goal, price_type):
        exchange, symbol, lot, _ = traded
        request = SmartOrderRequest(
            exchange=exchange,
            symbol=symbol,
            action="BUY",
            product="NRML" if lot > 1 else "MIS",
            price_type=price_type,
            price=Decimal(str(round(self.prices[(exchange, symbol)], 2))),
        )
        self.attempt(self.engine.place_smart_order(user, request, goal * lot))

    @rule(
        user=st.sampled_from(USERS),
        oco=st.booleans(),
        action=st.sampled_from(("BUY", "SELL")),
        quantity=st.integers(1, 20),
    )
    def place_gtt(self, user, oco, action, quantity):
        ltp = self.prices[("NSE", "RELIANCE")]
        low, high = Decimal(str(round(ltp * 0.99, 2))), Decimal(str(round(ltp * 1.01, 2)))
        request = GttRequest(
            trigger_type="OCO" if oco else "SINGLE",
            exchange="NSE",
            symbol="RELIANCE",
            action=action,
            product="CNC",
            quantity=quantity,
            price=low,
            stoploss_trigger=low,
            target_trigger=high if oco else Decimal(0),
            stoploss_price=low if oco else None,
            target_price=high if oco else None,
        )
        gtt_id = self.attempt(self.engine.place_gtt(user, request))
        if gtt_id is not None:
            self.gtt_ids.append((user, gtt_id))

    @precondition(lambda self: self.gtt_ids)
    @rule(data=st.data())
    def cancel_gtt(self, data):
        user, gtt_id = data.draw(st.sampled_from(self.gtt_ids))
        self.attempt(self.engine.cancel_gtt(user, gtt_id))

    @rule(traded=st.sampled_from(TRADED), move=st.floats(-0.04, 0.04), spread=st.floats(0, 0.002))
    def move_price(self, traded, move, spread):
        exchange, symbol, _, _ = traded
        ltp = round(self.prices[(exchange, symbol)] * (1 + move), 2)
        self.prices[(exchange, symbol)] = ltp
        quote = self.market.set_price(exchange, symbol, ltp, bid=ltp * (1 - spread), ask=ltp * (1 + spread))
        self.run(self.engine.on_quotes([quote]))

    @rule(hours=st.integers(1, 30))
    def pass_time(self, hours):
        self.clock.advance(hours=hours)
        self.run(self.engine.run_square_off())

    @invariant()
    def books_agree(self):
        for user in USERS:
            assert self.run(self.engine.invariants(user)) == []


EngineMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=40)  # no deadline: tests/conftest.py
TestEngineProperties = EngineMachine.TestCase
