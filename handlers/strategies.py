"""Handlers of the `strategies` tag: webhook strategies, their mappings, alerts and alert builder."""

from gateway.context import current_user, services
from gateway.strategies import alertbuilder
from generated.api import (
    ApiKeyRequest,
    WebhookAlertBuilderRequest,
    WebhookStrategyAlertsRequest,
    WebhookStrategyCreateRequest,
    WebhookStrategyIdRequest,
    WebhookStrategyRotateRequest,
    WebhookStrategySymbolsRequest,
    WebhookStrategyUpdateRequest,
)


def _strategies():
    return services().strategies


async def list_strategies(body: dict) -> tuple[dict, int]:
    ApiKeyRequest.model_validate(body)
    return {"status": "success", "data": _strategies().describe_all(current_user())}, 200


async def create(body: dict) -> tuple[dict, int]:
    request = WebhookStrategyCreateRequest.model_validate(body)
    return {"status": "success", "data": _strategies().create(current_user(), request)}, 200


async def get(body: dict) -> tuple[dict, int]:
    request = WebhookStrategyIdRequest.model_validate(body)
    return {"status": "success", "data": _strategies().describe_one(current_user(), request.strategy_id)}, 200


async def update(body: dict) -> tuple[dict, int]:
    request = WebhookStrategyUpdateRequest.model_validate(body)
    changes = request.model_dump(exclude={"apikey", "strategy_id"}, exclude_unset=True)
    return {"status": "success", "data": _strategies().update(current_user(), request.strategy_id, changes)}, 200


async def delete(body: dict) -> tuple[dict, int]:
    request = WebhookStrategyIdRequest.model_validate(body)
    name = _strategies().delete(current_user(), request.strategy_id)
    return {"status": "success", "message": f"Strategy {name} deleted"}, 200


async def rotate(body: dict) -> tuple[dict, int]:
    request = WebhookStrategyRotateRequest.model_validate(body)
    return {"status": "success", "data": _strategies().rotate(current_user(), request.strategy_id, request.signed)}, 200


async def symbols(body: dict) -> tuple[dict, int]:
    request = WebhookStrategySymbolsRequest.model_validate(body)
    items = [item.model_dump(exclude_none=True) for item in request.symbols]
    data = _strategies().set_symbols(current_user(), request.strategy_id, request.action, items)
    return {"status": "success", "data": data}, 200


async def alerts(body: dict) -> tuple[dict, int]:
    request = WebhookStrategyAlertsRequest.model_validate(body)
    data = _strategies().alerts(current_user(), request.strategy_id, request.limit or 100)
    return {"status": "success", "data": data}, 200


async def alert_builder(body: dict) -> tuple[dict, int]:
    request = WebhookAlertBuilderRequest.model_validate(body)
    loaded = _strategies().store.load(current_user().user_id, request.strategy_id)
    data = alertbuilder.build(
        loaded,
        _strategies().store.webhook_url(loaded.strategy),
        symbol=request.symbol,
        exchange=request.exchange,
        mode=request.mode or "strategy",
        action=request.action,
        position_size=request.position_size,
    )
    return {"status": "success", "data": data}, 200
