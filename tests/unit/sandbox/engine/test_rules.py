"""Order validation rules as pure functions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from generated.errors import ValidationFailed
from sandbox.engine import Action, PriceType, Product, SandboxConfig
from sandbox.engine.rules import (
    cnc_sell_rejection,
    mis_window_rejection,
    normalised_prices,
    product_rejection,
)
from sandbox.engine.timekeeping import IST
from tests.unit.sandbox.engine.conftest import INSTRUMENTS

EQUITY, _, _, FUTURE, OPTION, COMMODITY = INSTRUMENTS


def test_market_and_stop_market_orders_drop_the_price_they_ignore():
    assert normalised_prices(PriceType.MARKET, Action.BUY, Decimal(5), Decimal(4)) == (0, 0)
    assert normalised_prices(PriceType.STOP_MARKET, Action.BUY, Decimal(5), Decimal(4)) == (0, Decimal(4))


@pytest.mark.parametrize(
    ("price_type", "action", "price", "trigger", "message"),
    [
        (PriceType.LIMIT, Action.BUY, 0, 0, "LIMIT orders require price"),
        (PriceType.STOP_LIMIT, Action.BUY, 10, 0, "SL orders require trigger_price"),
        (PriceType.STOP_MARKET, Action.SELL, 0, 0, "SL-M orders require trigger_price"),
        (PriceType.STOP_LIMIT, Action.BUY, 9, 10, "at or above"),
        (PriceType.STOP_LIMIT, Action.SELL, 11, 10, "at or below"),
    ],
)
def test_missing_or_inverted_prices_are_refused(price_type, action, price, trigger, message):
    with pytest.raises(ValidationFailed, match=message):
        normalised_prices(price_type, action, Decimal(price), Decimal(trigger))


@pytest.mark.parametrize(
    ("instrument", "product", "quantity", "expected"),
    [
        (EQUITY, Product.NRML, 1, "NRML product not allowed for NSE equity"),
        (EQUITY, Product.CNC, 7, None),
        (FUTURE, Product.CNC, 75, "CNC product not allowed for NFO"),
        (FUTURE, Product.NRML, 100, "multiples of lot size 75"),
        (OPTION, Product.MIS, 150, None),
        (COMMODITY, Product.CNC, 100, "CNC product not allowed for MCX"),
    ],
)
def test_product_and_lot_rules(instrument, product, quantity, expected):
    reason = product_rejection(instrument, product, quantity)

    assert reason == expected if expected is None else expected in reason


def at_ist(hour: int, minute: int = 0, day: int = 6) -> datetime:
    return datetime(2025, 1, day, hour, minute, tzinfo=IST)


@pytest.mark.parametrize(
    ("moment", "reduces", "refused"),
    [
        (at_ist(10), False, False),
        (at_ist(15, 15), False, True),
        (at_ist(15, 15), True, False),
        (at_ist(8, 59), False, True),
        (at_ist(11, day=11), False, True),  # a Saturday
    ],
)
def test_mis_window(moment, reduces, refused):
    reason = mis_window_rejection("NSE", moment, SandboxConfig(), reduces_position=reduces)

    assert (reason is not None) is refused


def test_mis_window_is_open_all_day_when_square_off_is_off():
    assert (
        mis_window_rejection(
            "NSE", at_ist(2), SandboxConfig(square_off_enabled=False), reduces_position=False
        )
        is None
    )


def test_cnc_sell_counts_position_holdings_and_pending_sells():
    assert cnc_sell_rejection("X", 5, position=2, holding=5, pending_sells=2) is None
    assert "Only 5 shares available" in cnc_sell_rejection("X", 6, position=2, holding=5, pending_sells=2)
    assert "No positions or holdings" in cnc_sell_rejection("X", 1, position=0, holding=0, pending_sells=0)
