"""Outbound pacing from a manifest's rate limits: short waits are waited out, long ones refused."""

from __future__ import annotations

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
        await pacer.acquire("quotes", "key")

    assert time.monotonic() - started >= 0.9


async def test_the_pacer_refuses_when_the_window_is_long_and_says_when_to_return():
    pacer = Pacer([_limit("orders", 1, "1m")], broker="somebroker")
    await pacer.acquire("orders", "key")

    with pytest.raises(RateLimited) as raised:
        await pacer.acquire("orders", "key")

    assert 55 <= raised.value.context["retry_after"] <= 61
    assert "somebroker allows no more orders requests" in raised.value.message


async def test_keys_and_classes_are_paced_apart():
    pacer = Pacer([_limit("orders", 1, "1m")], broker="somebroker")

    await pacer.acquire("orders", "one user")
    await pacer.acquire("orders", "another user")
    await pacer.acquire("quotes", "one user")  # no limit declared for quotes


def test_a_window_in_milliseconds_rounds_up_to_a_second():
    item = rate_limit_item(_limit("orders", 3, "250ms"))

    assert (item.amount, item.get_expiry()) == (3, 1)


async def test_class_all_is_a_budget_every_class_draws_on():
    pacer = Pacer([_limit("all", 1, "1m")], broker="somebroker")
    await pacer.acquire("orders", "key")

    with pytest.raises(RateLimited):
        await pacer.acquire("quotes", "key")
