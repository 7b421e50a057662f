"""GTT pieces every live plugin shares: a normalized request (gateway.gtt) read as legs of
(trigger, limit), a SINGLE's one leg or an OCO's stoploss leg then its target leg, and a book entry
built from a broker's legs in any order. The simulators' side is in `simulator.py`."""

from __future__ import annotations

from typing import Any

from generated.api import GttEntry, GttLeg
from generated.errors import NotSupported

SINGLE, OCO = "SINGLE", "OCO"
# The unified GTT book's type names (Kite's spelling), by leg count.
ENTRY_TYPES = {1: "single", 2: "two-leg"}


def single_trigger(request: Any) -> float:
    """A SINGLE's trigger: `triggerprice_sl` when set, else `triggerprice_tg` (normalized_gtt clears the other)."""
    return float(request.triggerprice_sl or request.triggerprice_tg)


def is_oco(request: Any) -> bool:
    return request.trigger_type.upper() == OCO


def limit_legs_only(request: Any, broker: str) -> None:
    """Refuse a MARKET GTT where the broker's triggered order is always a LIMIT at the leg's price."""
    if (request.pricetype or "LIMIT") != "LIMIT":
        raise NotSupported(
            f"{broker} GTT legs are LIMIT orders at the leg's price; send pricetype LIMIT",
            field="pricetype",
            broker=broker,
        )


def request_legs(request: Any) -> list[tuple[float, float]]:
    """(trigger, limit) per leg of a normalized GTT request: stoploss first for an OCO."""
    if not is_oco(request):
        return [(single_trigger(request), float(request.price or 0))]
    return [
        (float(request.triggerprice_sl), float(request.stoploss or 0)),
        (float(request.triggerprice_tg), float(request.target or 0)),
    ]


def gtt_entry(*, legs: list[tuple[float, GttLeg]], **fields: Any) -> GttEntry:
    """A unified book entry from its legs, listed lowest trigger first whatever order the broker sends."""
    legs = sorted(legs, key=lambda leg: leg[0])
    return GttEntry(
        trigger_type=ENTRY_TYPES[len(legs)],
        trigger_prices=[trigger for trigger, _ in legs],
        legs=[leg for _, leg in legs],
        **fields,
    )
