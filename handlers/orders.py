"""Handlers of the `orders` tag."""

from gateway.context import answer, current_user, idempotency_key, routed, services
from generated.api import CancelOrderRequest, ModifyOrderRequest, PlaceOrderRequest, SmartOrderRequest, StrategyRequest
from generated.contract import OrderRef


async def placeorder(body: dict) -> tuple[dict, int]:
    request = PlaceOrderRequest.model_validate(body)
    return await services().orders.place(current_user(), request, idempotency_key=idempotency_key()), 200


async def placesmartorder(body: dict) -> tuple[dict, int]:
    request = SmartOrderRequest.model_validate(body)
    return await services().orders.place_smart(current_user(), request, idempotency_key=idempotency_key()), 200


async def modifyorder(body: dict) -> tuple[dict, int]:
    request = ModifyOrderRequest.model_validate(body)
    placed = await services().orders.modify(current_user(), request)
    return placed, 200


async def cancelorder(body: dict) -> tuple[dict, int]:
    request = CancelOrderRequest.model_validate(body)
    return await services().orders.cancel(current_user(), OrderRef(orderid=request.orderid)), 200


async def cancelallorder(body: dict) -> tuple[dict, int]:
    StrategyRequest.model_validate(body)
    route, account = routed()
    return answer({"status": "success", **await route.plugin.cancel_all(account)}, route), 200


async def closeposition(body: dict) -> tuple[dict, int]:
    StrategyRequest.model_validate(body)
    route, account = routed()
    return answer({"status": "success", **await route.plugin.close_positions(account)}, route), 200
