"""Handlers of the `telegram` tag: the bot's configuration and switch, linked chats, and messages."""

from gateway.context import current_user, services
from gateway.telegram.operator import TelegramOperator
from generated.api import ApiKeyRequest, TelegramConfigRequest, TelegramNotifyRequest


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
