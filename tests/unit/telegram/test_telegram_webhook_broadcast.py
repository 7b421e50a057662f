"""The webhook, broadcasts and preferences, against the local fake Bot API server."""

from __future__ import annotations

import hashlib
import logging

from pydantic import SecretStr
from sqlmodel import select

from storage import TelegramMessage, session_scope
from tests.conftest import eventually
from tests.unit.telegram import test_telegram_bot as base
from tests.unit.telegram.fake_bot_api import TOKEN
from tests.unit.telegram.test_telegram_bot import (
    ALICE_CHAT,
    BOB_CHAT,
    STRANGER_CHAT,
    build_app,
    buy,
    link,
    post,
    switch_on,
)

# The bot tests' fixtures: the fake Bot API server, settings pointing at it, and three users' keys.
bot_api, bot_settings, keys = base.bot_api, base.bot_settings, base.keys

DERIVED_SECRET = hashlib.sha256(TOKEN.encode()).hexdigest()[:32]


def _update(update_id: int, chat_id: int, text: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "username": "alice_tg"},
            "text": text,
        },
    }


def _hook(client, update: dict, secret: str | None):
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    return client.post("/api/v1/telegram/webhook", json=update, headers=headers)


def test_the_webhook_checks_the_secret_header_and_answers_each_update_once(bot_settings, keys, bot_api, caplog):
    app = build_app(bot_settings)
    caplog.set_level(logging.DEBUG)
    with app.test_client() as client:
        post(client, keys["admin"], "telegram/config", token=TOKEN)  # configured, not polling: updates come by webhook
        code = app.services.telegram.store.new_link_code(app.services.accounts.user("alice").id)

        missing = _hook(client, _update(5001, ALICE_CHAT, f"/start {code}"), None)
        wrong = _hook(client, _update(5001, ALICE_CHAT, f"/start {code}"), "0" * 32)
        linked = _hook(client, _update(5001, ALICE_CHAT, f"/start {code}"), DERIVED_SECRET)
        funds = _hook(client, _update(5002, ALICE_CHAT, "/funds"), DERIVED_SECRET)
        again = _hook(client, _update(5002, ALICE_CHAT, "/funds"), DERIVED_SECRET)  # Telegram redelivers
        stranger = _hook(client, _update(5003, STRANGER_CHAT, "/funds"), DERIVED_SECRET)

    assert (missing.status_code, missing.text) == (401, "Unauthorized")
    assert (wrong.status_code, wrong.text) == (403, "Forbidden")
    assert [r.status_code for r in (linked, funds, again, stranger)] == [200] * 4 and linked.text == ""
    texts = bot_api.texts_to(ALICE_CHAT)
    assert len(texts) == 2 and "linked to alice" in texts[0] and texts[1].startswith("Available cash")
    assert "not linked" in bot_api.texts_to(STRANGER_CHAT)[0]
    assert "getUpdates" not in bot_api.calls
    assert TOKEN.split(":")[1] not in caplog.text and DERIVED_SECRET not in caplog.text


def test_the_webhook_takes_the_configured_secret_instead(bot_settings, keys, bot_api):
    settings = bot_settings.model_copy(update={"telegram_webhook_secret": SecretStr("my-own-webhook-secret")})
    app = build_app(settings)
    with app.test_client() as client:
        post(client, keys["admin"], "telegram/config", token=TOKEN)
        accepted = _hook(client, _update(7001, STRANGER_CHAT, "/help"), "my-own-webhook-secret")
        eventually(lambda: bot_api.texts_to(STRANGER_CHAT))
        unconfigured = _hook(client, {"update_id": 7002}, "another")

    assert accepted.status_code == 200 and unconfigured.status_code == 403


def test_a_broadcast_goes_through_the_outbox_to_the_matching_linked_chats_only(bot_settings, keys, bot_api):
    app = build_app(bot_settings)
    with app.test_client() as client:
        switch_on(client, keys)
        link(app, bot_api, "alice", ALICE_CHAT)
        link(app, bot_api, "bob", BOB_CHAT)
        app.services.telegram.store.set_notifications(app.services.accounts.user("bob").id, False)

        refused = post(client, keys["alice"], "telegram/broadcast", expect=403, message="hello all")
        everyone = post(client, keys["admin"], "telegram/broadcast", message="Maintenance at 18:00")
        alerts_on = post(
            client,
            keys["admin"],
            "telegram/broadcast",
            message="Alerts-on only",
            filters={"notifications_enabled": True},
        )
        eventually(
            lambda: (
                "Alerts-on only" in bot_api.texts_to(ALICE_CHAT)
                and "Maintenance at 18:00" in bot_api.texts_to(BOB_CHAT)
            )
        )
        post(client, keys["admin"], "telegram/config", broadcast_enabled=False)
        switched_off = post(client, keys["admin"], "telegram/broadcast", expect=403, message="nope")

    with session_scope(app.services.engine) as session:
        kinds = [row.status for row in session.exec(select(TelegramMessage).where(TelegramMessage.kind == "broadcast"))]
    assert refused["code"] == "FORBIDDEN" and "broadcast_enabled" in switched_off["message"]
    assert everyone["data"] == {"queued": 2, "failed": 0, "recipients": ["alice", "bob"]}
    assert alerts_on["data"]["recipients"] == ["alice"]
    assert "Alerts-on only" not in bot_api.texts_to(BOB_CHAT)
    assert kinds == ["sent"] * 3


def test_broadcasts_are_limited_to_five_a_minute(bot_settings, keys, bot_api):
    app = build_app(bot_settings)
    with app.test_client() as client:
        post(client, keys["admin"], "telegram/config", token=TOKEN)
        statuses = [
            client.post("/api/v1/telegram/broadcast", json={"apikey": keys["admin"], "message": f"m{i}"}).status_code
            for i in range(6)
        ]

    assert statuses == [200] * 5 + [429]


def test_preferences_are_stored_and_order_alerts_honour_them(bot_settings, keys, bot_api):
    app = build_app(bot_settings)
    with app.test_client() as client:
        switch_on(client, keys)
        link(app, bot_api, "alice", ALICE_CHAT)
        link(app, bot_api, "bob", BOB_CHAT)
        shown = post(client, keys["alice"], "placeorder", strategy="t", exchange="NSE", symbol="SBIN", action="BUY",
                     quantity="1", product="MIS", pricetype="LIMIT", price="1")["orderid"]  # fmt: skip
        eventually(lambda: any(shown in text and "Order placed" in text for text in bot_api.texts_to(ALICE_CHAT)))
        defaults = client.get(
            "/api/v1/telegram/preferences", params={"telegram_id": ALICE_CHAT}, headers={"X-API-KEY": keys["alice"]}
        ).json()
        changed = post(
            client,
            keys["alice"],
            "telegram/preferences",
            telegram_id=ALICE_CHAT,
            order_notifications=False,
            summary_time="16:05",
            timezone="Asia/Kolkata",
        )
        others = post(
            client, keys["bob"], "telegram/preferences", expect=403, telegram_id=ALICE_CHAT, trade_notifications=False
        )
        unknown_zone = post(
            client, keys["alice"], "telegram/preferences", expect=400, telegram_id=ALICE_CHAT, timezone="Mars/Olympus"
        )
        # Found by the fuzz: a chat id past 64 bits, and odd characters in a language, were 500s.
        post(client, keys["alice"], "telegram/preferences", expect=400, telegram_id=2**63, trade_notifications=False)
        post(client, keys["alice"], "telegram/preferences", expect=400, telegram_id=ALICE_CHAT, language="\u00ffj*")
        missing_id = client.get("/api/v1/telegram/preferences", headers={"X-API-KEY": keys["alice"]})
        not_linked = client.get(
            "/api/v1/telegram/preferences", params={"telegram_id": STRANGER_CHAT}, headers={"X-API-KEY": keys["alice"]}
        )

        resting = post(
            client,
            keys["alice"],
            "placeorder",
            strategy="t",
            exchange="NSE",
            symbol="SBIN",
            action="BUY",
            quantity="1",
            product="MIS",
            pricetype="LIMIT",
            price="1",
        )["orderid"]
        filled = buy(client, keys["alice"])
        eventually(lambda: any(filled in text and "Order filled" in text for text in bot_api.texts_to(ALICE_CHAT)))
        post(client, keys["alice"], "telegram/preferences", telegram_id=ALICE_CHAT, trade_notifications=False)
        quiet = buy(client, keys["alice"])
        post(client, keys["alice"], "telegram/notify", username="alice", message="marker")
        eventually(lambda: "marker" in bot_api.texts_to(ALICE_CHAT))
        stored = client.get(
            "/api/v1/telegram/preferences", params={"telegram_id": ALICE_CHAT}, headers={"X-API-KEY": keys["admin"]}
        ).json()

    texts = bot_api.texts_to(ALICE_CHAT)
    assert defaults["data"]["order_notifications"] is True and defaults["data"]["trade_notifications"] is True
    assert changed["data"]["order_notifications"] is False and changed["data"]["summary_time"] == "16:05"
    assert others["code"] == "FORBIDDEN" and unknown_zone["errors"] == {
        "timezone": ["unknown time zone 'Mars/Olympus'"]
    }
    assert missing_id.status_code == 400 and not_linked.status_code == 404
    assert not any(resting in text for text in texts)  # its "placed" alert is an order notification
    assert [text for text in texts if "Order placed" in text and shown not in text] == []
    assert not any(quiet in text for text in texts)
    assert stored["data"]["trade_notifications"] is False and stored["data"]["username"] == "alice"
