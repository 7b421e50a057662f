"""A refused webhook alert, or one whose orders fail, reaches its strategy's owner on Telegram through the
outbox, against the local fake of the Bot API: only the owner's chat, with the reason, never the token."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage import TelegramMessage, session_scope
from tests.conftest import eventually
from tests.unit.telegram.fake_bot_api import TOKEN, FakeBotApi

PASSWORD = "correct horse battery"
TRADER_CHAT, OTHER_CHAT = 4444, 5555


@pytest.fixture
def bot_api():
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def settings(settings, bot_api):
    return settings.model_copy(update={"telegram_api_base": bot_api.url, "telegram_poll_seconds": 1})


@pytest.fixture
def chats(app, client, api_key, bot_api):
    """The bot switched on by an administrator, the trader linked to TRADER_CHAT and another user to OTHER_CHAT."""
    accounts = app.services.accounts
    accounts.create_user("admin", PASSWORD, is_admin=True)
    accounts.create_user("other", PASSWORD)
    admin_key = accounts.create_api_key("admin")
    for path, body in (("telegram/config", {"token": TOKEN}), ("telegram/start", {})):
        response = client.post(f"/api/v1/{path}", json={"apikey": admin_key, **body})
        assert response.status_code == 200, response.text
    for username, chat_id in (("trader", TRADER_CHAT), ("other", OTHER_CHAT)):
        code = app.services.telegram.store.new_link_code(accounts.user(username).id)
        bot_api.push(chat_id, f"/start {code}")
        eventually(lambda chat_id=chat_id: bot_api.texts_to(chat_id))
    return app.services.telegram.store


def notices(bot_api, chat_id) -> list[str]:
    return [text for text in bot_api.texts_to(chat_id) if text.startswith("Strategy ")]


def token_of(created: dict) -> str:
    return created["webhook_url"].rstrip("/").rsplit("/", 1)[1]


def test_a_refused_alert_tells_its_owner_why_and_no_one_else(strategy, deliver, client, chats, bot_api):
    created = strategy(name="Supertrend")
    scanner = strategy(name="Breakouts", platform="chartink", symbols=[])

    not_mapped = deliver(created["webhook_url"], {"symbol": "INFY", "action": "BUY"})
    chartink = deliver(
        scanner["webhook_url"],
        {"stocks": "TCS", "trigger_prices": "1", "scan_name": "Breakouts", "webhook_url": scanner["webhook_url"]},
    )
    unknown = client.post("/strategy/webhook/not-a-token", json={"symbol": "SBIN", "action": "BUY"})

    assert (not_mapped.status_code, chartink.status_code, unknown.status_code) == (422, 400, 404)
    eventually(lambda: len(notices(bot_api, TRADER_CHAT)) == 2)
    first, second = notices(bot_api, TRADER_CHAT)
    assert first.startswith("Strategy Supertrend: alert BUY INFY refused: ")
    assert not_mapped.json()["message"] in first
    assert second.startswith("Strategy Breakouts: Chartink alert 'Breakouts' (TCS) refused: ")
    assert chartink.json()["message"] in second
    assert notices(bot_api, OTHER_CHAT) == []
    for text in bot_api.texts_to(TRADER_CHAT):
        assert token_of(created) not in text and token_of(scanner) not in text and "not-a-token" not in text


def test_an_unsigned_alert_and_an_inactive_strategy_are_told_too(trader, strategy, deliver, client, chats, bot_api):
    signed = trader(
        "strategies/create", name="Signed", platform="amibroker", signed=True,
        symbols=[{"symbol": "SBIN", "exchange": "NSE", "quantity": 1}],
    )["data"]  # fmt: skip
    paused = strategy(name="Paused", is_active=False)

    unsigned = deliver(signed["webhook_url"], {"symbol": "SBIN", "action": "BUY"})
    inactive = deliver(paused["webhook_url"], {"symbol": "SBIN", "action": "BUY"})

    assert unsigned.status_code == 401 and inactive.status_code == 409
    eventually(lambda: len(notices(bot_api, TRADER_CHAT)) == 2)
    told = notices(bot_api, TRADER_CHAT)
    assert told[0].startswith("Strategy Signed: alert refused: ") and "X-Brokergate-Signature" in told[0]
    assert told[1].startswith("Strategy Paused: alert BUY SBIN refused: ")
    assert signed["signing_secret"] not in told[0] and token_of(signed) not in told[0]


def test_failed_orders_are_told_once(strategy, deliver, app, chats, bot_api):
    created = strategy(name="Ghost", symbols=[{"symbol": "NOSUCHSTOCK", "exchange": "NSE", "quantity": 1}])

    failed = deliver(created["webhook_url"], {"symbol": "NOSUCHSTOCK", "action": "BUY"})

    assert failed.status_code >= 400 and failed.json()["orders"][0]["status"] == "error", failed.text
    eventually(lambda: notices(bot_api, TRADER_CHAT))
    (told,) = notices(bot_api, TRADER_CHAT)
    alert_id = failed.json()["alert_id"]
    assert told.startswith(f"Strategy Ghost: alert {alert_id}, orders failed:\nBUY NOSUCHSTOCK NSE: ")
    assert failed.json()["orders"][0]["message"] in told
    # the same alert settled again (by another worker, say) queues nothing more
    strategies = app.services.strategies
    strategies._placement_failed(strategies.inbox.get(alert_id), failed.json())
    with session_scope(app.services.engine) as session:
        queued = session.exec(select(TelegramMessage).where(TelegramMessage.kind == "strategy.refused")).all()
    assert [row.text for row in queued] == [told]


def test_order_notifications_off_means_no_notice(strategy, deliver, api_key, app, chats, bot_api):
    created = strategy(name="Quiet")
    trader_id = app.services.accounts.user("trader").id

    chats.set_preferences(trader_id, order_notifications=False)
    deliver(created["webhook_url"], {"symbol": "INFY", "action": "BUY"})
    chats.set_preferences(trader_id, order_notifications=True)
    deliver(created["webhook_url"], {"symbol": "WIPRO", "action": "BUY"})

    eventually(lambda: notices(bot_api, TRADER_CHAT))
    told = notices(bot_api, TRADER_CHAT)
    assert len(told) == 1 and "WIPRO" in told[0] and "INFY" not in told[0]
