"""The Telegram bot against a real local fake of the Bot API: linking, commands, alerts and the outbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

import pytest
from sqlmodel import select

from gateway.accounts import Accounts, Principal
from gateway.app import create_app
from gateway.services import Services
from gateway.telegram import TelegramService, TelegramStore
from generated.api import PlaceOrderRequest
from storage import TelegramBot, TelegramMessage, make_engine, session_scope, upgrade, utcnow
from tests.conftest import eventually
from tests.unit.telegram.fake_bot_api import TOKEN, FakeBotApi

PASSWORD = "correct horse battery"
ALICE_CHAT, BOB_CHAT, STRANGER_CHAT = 1111, 2222, 3333


@pytest.fixture
def bot_api():
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def bot_settings(settings, bot_api):
    return settings.model_copy(update={"telegram_api_base": bot_api.url, "telegram_poll_seconds": 1})


def build_app(settings):
    return create_app(settings, validate_responses=True, services=build_services(settings))


@pytest.fixture
def keys(bot_settings):
    engine = make_engine(bot_settings.database_url)
    upgrade(engine)
    accounts = Accounts(engine, app_key=bot_settings.app_key, api_key_pepper=bot_settings.api_key_pepper)
    accounts.create_user("admin", PASSWORD, is_admin=True)
    accounts.create_user("alice", PASSWORD)
    accounts.create_user("bob", PASSWORD)
    return {name: accounts.create_api_key(name) for name in ("admin", "alice", "bob")}


def post(client, key, path, expect=200, **body):
    response = client.post(f"/api/v1/{path}", json={"apikey": key, **body})
    assert response.status_code == expect, response.text
    return response.json()


def switch_on(client, keys):
    post(client, keys["admin"], "telegram/config", token=TOKEN)
    post(client, keys["admin"], "telegram/start")


def link(app, bot_api, username, chat_id):
    user = app.services.accounts.user(username)
    code = app.services.telegram.store.new_link_code(user.id)
    bot_api.push(chat_id, f"/start {code}", username=f"{username}_tg")
    eventually(lambda: any(f"linked to {username}" in text for text in bot_api.texts_to(chat_id)))


def buy(client, key, symbol="SBIN"):
    order = {
        "strategy": "test",
        "exchange": "NSE",
        "symbol": symbol,
        "action": "BUY",
        "quantity": "1",
        "product": "MIS",
    }
    return post(client, key, "placeorder", **order)["orderid"]


def test_linked_chat_gets_the_fill_alert_and_another_users_chat_gets_nothing_of_it(bot_settings, keys, bot_api):
    app = build_app(bot_settings)
    with app.test_client() as client:
        switch_on(client, keys)
        link(app, bot_api, "alice", ALICE_CHAT)
        link(app, bot_api, "bob", BOB_CHAT)

        order_id = buy(client, keys["alice"])

        eventually(lambda: any("Order filled" in t and order_id in t for t in bot_api.texts_to(ALICE_CHAT)))
        bot_api.push(BOB_CHAT, "/orderbook")
        eventually(lambda: len(bot_api.texts_to(BOB_CHAT)) == 2)
        bot_api.push(ALICE_CHAT, "/orderbook")
        eventually(lambda: any(order_id in t and "Orders (1" in t for t in bot_api.texts_to(ALICE_CHAT)))

    bob_texts = bot_api.texts_to(BOB_CHAT)
    assert all(order_id not in text for text in bob_texts)
    assert bob_texts[1] == "No orders today."
    assert "SBIN" in next(t for t in bot_api.texts_to(ALICE_CHAT) if "Order filled" in t)


def test_a_restart_sends_an_alert_left_unsent_exactly_once(bot_settings, keys, bot_api):
    # Three lives of the gateway's services on one database, without the app's slow spec loading.
    async def scenario() -> None:
        first = build_services(bot_settings)
        store = first.telegram.store
        store.configure(token=TOKEN)
        store.set_active(True)
        alice = first.accounts.user("alice")
        store.link(store.new_link_code(alice.id), ALICE_CHAT, "alice_tg")
        async with running(first):
            bot_api.fail_sends = 10_000  # the Bot API fails until the restart
            order = PlaceOrderRequest(strategy="t", exchange="NSE", symbol="SBIN", action="BUY", quantity=1)
            placed = await first.orders.place(Principal(alice.id, "alice"), order)
            await until(lambda: _outbox(first) and all(row.attempts >= 1 for row in _outbox(first)))
        left = _outbox(first)
        assert left and {row.status for row in left} == {"pending"}

        bot_api.fail_sends = 0
        second = build_services(bot_settings)
        async with running(second):
            await until(lambda: {row.status for row in _outbox(second)} == {"sent"})
        third = build_services(bot_settings)
        async with running(third):
            assert await third.telegram.drain() == 0

        alerts = [text for text in bot_api.texts_to(ALICE_CHAT) if placed["orderid"] in text]
        assert sorted(alerts) == sorted(row.text for row in left) and len(set(alerts)) == len(alerts)

    asyncio.run(scenario())


def test_the_bot_long_polls_telegram_for_the_configured_seconds(bot_settings, bot_api):
    # `timeout` is a getUpdates parameter: without it Telegram answers at once and the loop spins.
    async def scenario() -> None:
        services = build_services(bot_settings)
        services.telegram.store.configure(token=TOKEN)
        services.telegram.store.set_active(True)
        async with running(services):
            await until(lambda: len(bot_api.polls) >= 2)

    asyncio.run(scenario())
    assert [poll.get("timeout") for poll in bot_api.polls[:2]] == [bot_settings.telegram_poll_seconds] * 2


def build_services(settings) -> Services:
    services = Services.build(settings)
    services.telegram = TelegramService(
        TelegramStore(services.engine, app_key=settings.app_key),
        services,
        api_base=settings.telegram_api_base,
        poll_seconds=settings.telegram_poll_seconds,
        quick_retries=2,
        quick_retry_seconds=0.01,
    )
    return services


@contextlib.asynccontextmanager
async def running(services: Services):
    """The bot's part of the app's lifespan: order events in, loops started, and all of it stopped."""
    services.events.subscribe(services.telegram.on_order_event)
    await services.telegram.start()
    try:
        yield
    finally:
        await services.sandbox.flush_events()
        await services.telegram.stop()
        await services.sandbox.close()


async def until(condition, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)


def test_commands_answer_only_a_linked_chat_and_with_its_own_users_books(bot_settings, keys, bot_api):
    app = build_app(bot_settings)
    with app.test_client() as client:
        switch_on(client, keys)
        link(app, bot_api, "alice", ALICE_CHAT)

        bot_api.push(STRANGER_CHAT, "/funds")
        bot_api.push(ALICE_CHAT, "/funds")
        bot_api.push(ALICE_CHAT, "/mode")
        bot_api.push(ALICE_CHAT, "/quote NOSUCHSYMBOL")
        bot_api.push(ALICE_CHAT, "/closeall")
        eventually(lambda: len(bot_api.texts_to(ALICE_CHAT)) == 5 and bot_api.texts_to(STRANGER_CHAT))

    assert "not linked" in bot_api.texts_to(STRANGER_CHAT)[0]
    _linked, funds, mode, quote, closeall = bot_api.texts_to(ALICE_CHAT)
    assert funds.startswith("Available cash 10,000,000.00")
    assert mode.startswith("Analyzer mode: on")
    assert quote.startswith("Refused:")
    assert closeall == "Send /closeall yes to close every open position."


def test_the_token_is_stored_encrypted_and_never_shown_or_logged(bot_settings, keys, bot_api, caplog):
    app = build_app(bot_settings)
    caplog.set_level(logging.DEBUG)
    with app.test_client() as client:
        switch_on(client, keys)
        link(app, bot_api, "alice", ALICE_CHAT)

        config = client.get("/api/v1/telegram/config", headers={"X-API-KEY": keys["alice"]})

    with session_scope(app.services.engine) as session:
        stored = session.exec(select(TelegramBot)).one()
    assert config.status_code == 200 and config.json()["data"]["bot_token"] == "***"
    assert config.json()["data"]["bot_username"] == "brokergate_test_bot"
    secret = TOKEN.split(":")[1]
    assert secret not in config.text and secret not in stored.token_encrypted
    assert "getUpdates" in caplog.text and secret not in caplog.text


def test_only_an_administrator_configures_and_a_user_notifies_only_their_own_chat(bot_settings, keys, bot_api):
    app = build_app(bot_settings)
    with app.test_client() as client:
        refused = post(client, keys["alice"], "telegram/config", expect=403, token=TOKEN)
        not_yet = post(client, keys["admin"], "telegram/start", expect=400)
        malformed = post(client, keys["admin"], "telegram/config", expect=400, token="not a token at all, no")
        switch_on(client, keys)
        link(app, bot_api, "alice", ALICE_CHAT)
        post(client, keys["bob"], "telegram/notify", expect=403, username="alice", message="hi")
        post(client, keys["bob"], "telegram/notify", expect=404, username="bob", message="hi")
        post(client, keys["alice"], "telegram/notify", username="alice", message="strategy up")
        eventually(lambda: "strategy up" in bot_api.texts_to(ALICE_CHAT))
        users = client.get("/api/v1/telegram/users", headers={"X-API-KEY": keys["bob"]}).json()
        everyone = client.get("/api/v1/telegram/users", headers={"X-API-KEY": keys["admin"]}).json()

    assert refused["code"] == "FORBIDDEN" and not_yet["message"] == "Bot token not configured"
    assert malformed["status"] == "error"
    assert users["count"] == 0
    assert [(row["username"], row["telegram_id"]) for row in everyone["data"]] == [("alice", ALICE_CHAT)]


def _outbox(services: Services) -> list[TelegramMessage]:
    with session_scope(services.engine) as session:
        return list(session.exec(select(TelegramMessage).order_by(TelegramMessage.id)).all())


def test_the_nightly_purge_forgets_old_delivered_messages_and_keeps_pending_ones(bot_settings, keys):
    services = build_services(bot_settings)
    store = services.telegram.store
    alice = services.accounts.user("alice")
    store.configure(token=TOKEN)
    store.link(store.new_link_code(alice.id), ALICE_CHAT, "alice_tg")
    for text in ("old sent", "old pending", "new sent"):
        assert store.enqueue(alice.id, "notify", text, alert=False)
    rows = {row.text: row for row in _outbox(services)}
    store.mark_sent(rows["old sent"].id)
    store.mark_sent(rows["new sent"].id)
    with session_scope(services.engine) as session:
        for text in ("old sent", "old pending"):
            row = session.get(TelegramMessage, rows[text].id)
            row.created_at = utcnow() - timedelta(days=31)
            session.add(row)

    purged = services.telegram.purge()

    assert purged == 1
    assert sorted(row.text for row in _outbox(services)) == ["new sent", "old pending"]
