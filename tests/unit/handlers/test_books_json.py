"""/orderbook and /tradebook in analyzer mode answer, byte for byte, what the models' path answered."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from connexion.jsonifier import Jsonifier

from gateway.accounts import Principal
from gateway.app import create_app
from gateway.routing import with_mode
from gateway.services import Services
from sandbox.engine import SandboxEngine
from sandbox.market import IST

WEDNESDAY_MORNING = datetime(2026, 12, 2, 10, 30, tzinfo=IST)
ORDER = {
    "strategy": "test",
    "symbol": "SBIN",
    "exchange": "NSE",
    "product": "MIS",
    "pricetype": "MARKET",
    "quantity": "1",
}


@pytest.fixture
def app(settings):
    settings = settings.model_copy(update={"market_start": WEDNESDAY_MORNING})
    return create_app(
        settings, validate_responses=True, services=Services.build(settings, clock=lambda: WEDNESDAY_MORNING)
    )


def models_answer(app, book: str) -> bytes:
    """The body the handlers built before: the plugin's models dumped, wrapped and printed by connexion."""
    user = app.services.accounts.user("trader")
    route = app.services.router.route(Principal(user_id=user.id, username="trader"))
    account = route.account(user.id)
    if book == "orderbook":
        data = asyncio.run(route.plugin.order_book(account)).model_dump(exclude_none=True)
    else:
        data = [trade.model_dump(exclude_none=True) for trade in asyncio.run(route.plugin.trade_book(account))]
    return Jsonifier().dumps(with_mode({"status": "success", "data": data}, route)).encode()


def test_books_answer_the_models_bytes_for_varied_orders(app, client, trader, api_key, monkeypatch):
    quote = app.services.market.quote("NSE", "SBIN")
    orders = [
        {"action": "BUY", "quantity": "5"},
        {"action": "SELL", "quantity": "2", "strategy": 'Straddle ₹ "weekly"'},
        {"action": "BUY", "pricetype": "LIMIT", "price": f"{quote.bid * 0.9:.2f}"},
        {
            "action": "BUY",
            "pricetype": "SL",
            "price": f"{quote.ask * 1.2:.2f}",
            "trigger_price": f"{quote.ask * 1.1:.2f}",
        },
        {"action": "SELL", "pricetype": "SL-M", "trigger_price": f"{quote.bid * 0.8:.2f}", "quantity": "3"},
    ]
    for fields in orders:
        trader("placeorder", **(ORDER | fields))
    trader("placeorder", expect=422, **(ORDER | {"action": "SELL", "product": "CNC"}))  # no shares: rejected, kept

    with monkeypatch.context() as patched:  # the handlers build no views (nor the models after them)
        for views in ("orderbook", "tradebook"):
            patched.setattr(SandboxEngine, views, None)
        answers = {
            book: client.post(f"/api/v1/{book}", json={"apikey": api_key}) for book in ("orderbook", "tradebook")
        }

    for book, response in answers.items():
        assert response.status_code == 200 and response.headers["content-type"] == "application/json"
        assert response.content == models_answer(app, book)
    statistics = answers["orderbook"].json()["data"]["statistics"]
    assert (statistics["total_completed_orders"], statistics["total_rejected_orders"]) == (2, 1)
    assert len(answers["tradebook"].json()["data"]) == 2
