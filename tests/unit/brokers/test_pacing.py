"""Outbound pacing from a manifest's rate limits: short waits are waited out, long ones refused."""

from __future__ import annotations

import asyncio
import time

import pytest

from brokers.common.pacing import Pacer, rate_limit_item
from generated.contract import RateLimit
from generated.errors import RateLimited


def _limit(rate_class: str, limit: int, window: str) -> RateLimit:
    return RateLimit.model_validate({"class": rate_class, "limit": limit, "window": window})


async def test_the_pacer_waits_out_a_short_window():
    pacer = Pacer([_limit("quotes", 2, "1s")], broker="somebroker")
    started = time.monotonic()

    for _ in range(3):
        async with pacer.slot("quotes", "key"):
            pass

    assert time.monotonic() - started >= 0.9


async def test_a_request_counts_from_its_answer_so_a_late_arrival_never_crowds_a_window():
    # The broker may have seen the first request as late as its answer came back, 0.3 s after it left.
    pacer = Pacer([_limit("quotes", 1, "1s")], broker="somebroker")
    started = time.monotonic()
    async with pacer.slot("quotes", "key"):
        await asyncio.sleep(0.3)

    async with pacer.slot("quotes", "key"):
        assert time.monotonic() - started >= 1.3


async def test_requests_in_flight_hold_their_places_until_they_return():
    pacer = Pacer([_limit("quotes", 2, "1s")], broker="somebroker")
    entered: list[float] = []
    started = time.monotonic()

    async def request(answer_after: float) -> None:
        async with pacer.slot("quotes", "key"):
            entered.append(time.monotonic() - started)
            await asyncio.sleep(answer_after)

    await asyncio.gather(request(0.2), request(0.2), request(0))

    # The third enters a whole window after the first two came back, 0.2 s after they were let in.
    assert entered[2] - max(entered[:2]) >= 1.2


async def test_the_pacer_refuses_when_the_window_is_long_and_says_when_to_return():
    pacer = Pacer([_limit("orders", 1, "1m")], broker="somebroker")
    async with pacer.slot("orders", "key"):
        pass

    with pytest.raises(RateLimited) as raised:
        async with pacer.slot("orders", "key"):
            pass

    assert 55 <= raised.value.context["retry_after"] <= 61
    assert "somebroker allows no more orders requests" in raised.value.message


async def test_keys_and_classes_are_paced_apart():
    pacer = Pacer([_limit("orders", 1, "1m")], broker="somebroker")

    for rate_class, key in [("orders", "one user"), ("orders", "another user"), ("quotes", "one user")]:
        async with pacer.slot(rate_class, key):  # one order each, and no limit declared for quotes
            pass


def test_a_window_in_milliseconds_rounds_up_to_a_second():
    item = rate_limit_item(_limit("orders", 3, "250ms"))

    assert (item.amount, item.get_expiry()) == (3, 1)


async def test_class_all_is_a_budget_every_class_draws_on():
    pacer = Pacer([_limit("all", 1, "1m")], broker="somebroker")
    async with pacer.slot("orders", "key"):
        pass

    with pytest.raises(RateLimited):
        async with pacer.slot("quotes", "key"):
            pass
