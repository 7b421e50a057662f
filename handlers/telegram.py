"""Handlers of the `telegram` tag: the bot's configuration and switch, linked chats, messages, the
webhook, broadcasts and preferences."""

from connexion import request

from gateway.context import current_user, services
from gateway.telegram.operator import TelegramOperator
from generated.api import (
    ApiKeyRequest,
    TelegramBroadcastFilters,
    TelegramBroadcastRequest,
    TelegramConfigRequest,
    TelegramNotifyRequest,
    TelegramPreferencesRequest,
    TelegramUpdate,
)


def _operator() -> TelegramOperator:
    return TelegramOperator.of(services())


async def get_config(apikey: str | None = None) -> tuple[dict, int]:
    return {"status": "success", "data": _operator().config()}, 200


async def set_config(body: dict) -> tuple[dict, int]:
    request = TelegramConfigRequest.model_validate(body)
    await _operator().configure(
        current_user(),
        token=request.token,
        broadcast_enabled=request.broadcast_enabled,
        rate_limit_per_minute=request.rate_limit_per_minute,
    )
    return {"status": "success", "message": "Bot configuration updated"}, 200


async def start(body: dict) -> tuple[dict, int]:
    ApiKeyRequest.model_validate(body)
    return {"status": "success", "message": await _operator().start(current_user())}, 200


async def stop(body: dict) -> tuple[dict, int]:
    ApiKeyRequest.model_validate(body)
    return {"status": "success", "message": await _operator().stop(current_user())}, 200


async def users(apikey: str | None = None, notifications_enabled: bool | None = None) -> tuple[dict, int]:
    rows = _operator().users(current_user(), notifications_enabled)
    return {"status": "success", "data": rows, "count": len(rows)}, 200


async def notify(body: dict) -> tuple[dict, int]:
    request = TelegramNotifyRequest.model_validate(body)
    _operator().notify(current_user(), request.username, request.message)
    return {"status": "success", "message": "Notification queued for delivery"}, 200


async def stats(apikey: str | None = None, days: int = 7) -> tuple[dict, int]:
    return {"status": "success", "data": _operator().stats(current_user(), days)}, 200


async def webhook(body: dict) -> tuple[str, int, dict]:
    found = services()
    refusal = _operator().webhook_refusal(
        request.headers.get("x-telegram-bot-api-secret-token"),
        found.settings.telegram_webhook_secret.get_secret_value(),
    )
    if refusal is not None:
        return ("Unauthorized" if refusal == 401 else "Forbidden"), refusal, {"Content-Type": "text/plain"}
    TelegramUpdate.model_validate(body)
    await found.telegram.receive(body)
    return "", 200, {"Content-Type": "text/plain"}


async def broadcast(body: dict) -> tuple[dict, int]:
    asked = TelegramBroadcastRequest.model_validate(body)
    filters = asked.filters or TelegramBroadcastFilters()
    result = _operator().broadcast(
        current_user(), asked.message, usernames=filters.usernames, notifications_enabled=filters.notifications_enabled
    )
    return {"status": "success", "message": f"Broadcast queued for {result['queued']} chats", "data": result}, 200


async def get_preferences(telegram_id: int, apikey: str | None = None) -> tuple[dict, int]:
    return {"status": "success", "data": _operator().preferences(current_user(), telegram_id)}, 200


async def set_preferences(body: dict) -> tuple[dict, int]:
    asked = TelegramPreferencesRequest.model_validate(body)
    values = asked.model_dump(exclude={"apikey", "telegram_id"}, exclude_none=True)
    data = _operator().set_preferences(current_user(), asked.telegram_id, **values)
    return {"status": "success", "message": "Preferences updated", "data": data}, 200
