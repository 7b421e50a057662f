"""Netting fills into positions: averages, realized P&L, reversals; and a conservation property."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from sandbox.engine.positions import net_fill, unrealized_pnl


def test_adding_moves_the_average_and_realizes_nothing():
    netted = net_fill(10, Decimal(100), 10, Decimal(110))

    assert (netted.quantity, netted.average_price, netted.realized) == (20, Decimal(105), 0)


def test_reducing_realizes_at_the_average_and_keeps_it():
    netted = net_fill(-10, Decimal(100), 4, Decimal(90))

    assert (netted.quantity, netted.average_price, netted.realized) == (-6, Decimal(100), Decimal(40))


def test_reversing_realizes_the_old_side_and_opens_at_the_fill():
    netted = net_fill(10, Decimal(100), -15, Decimal(95))

    assert (netted.quantity, netted.average_price, netted.realized) == (-5, Decimal(95), Decimal(-50))


def test_closing_leaves_a_flat_position_with_zero_average():
    assert net_fill(5, Decimal(100), -5, Decimal(101)) == net_fill(5, Decimal(100), -5, Decimal(101))
    assert net_fill(5, Decimal(100), -5, Decimal(101)).average_price == 0


prices = st.integers(1, 1_000_000).map(lambda paise: Decimal(paise) / 100)
fills = st.lists(st.tuples(st.integers(-50, 50).filter(bool), prices), min_size=1, max_size=30)


@given(fills=fills, mark=prices)
def test_realized_plus_unrealized_equals_cash_flow_within_rounding(fills, mark):
    quantity, average, realized, cash = 0, Decimal(0), Decimal(0), Decimal(0)
    for fill_quantity, price in fills:
        netted = net_fill(quantity, average, fill_quantity, price)
        quantity, average, realized = netted.quantity, netted.average_price, realized + netted.realized
        cash -= price * fill_quantity

    total = realized + unrealized_pnl(quantity, average, mark)

    # Averages are kept to four decimals, so each averaging step may shift P&L by half a ten-thousandth per unit.
    tolerance = Decimal("0.00005") * sum(abs(size) for size, _ in fills) * len(fills)
    assert abs(total - (cash + mark * quantity)) <= tolerance
