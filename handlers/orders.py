"""Handlers of the `orders` tag."""

from gateway import emulation
from gateway.actioncenter import ActionCenter
from gateway.context import answer, current_user, idempotency_key, routed, services
from generated.api import (
    BasketOrderRequest,
    CancelOrderRequest,
    ModifyOrderRequest,
    OptionsMultiOrderRequest,
    OptionsOrderRequest,
    PlaceOrderRequest,
    SmartOrderRequest,
    SplitOrderRequest,
    StrategyRequest,
)
from generated.contract import OrderRef


async def _submit(kind: str, request) -> dict:
    return await ActionCenter.of(services()).submit(current_user(), kind, request, idempotency_key=idempotency_key())


def _refuse_in_semi_auto(operation: str) -> None:
    ActionCenter.of(services()).refuse_in_semi_auto(current_user(), operation)


async def placeorder(body: dict) -> tuple[dict, int]:
    return await _submit("placeorder", PlaceOrderRequest.model_validate(body)), 200


async def placesmartorder(body: dict) -> tuple[dict, int]:
    return await _submit("smartorder", SmartOrderRequest.model_validate(body)), 200


async def basketorder(body: dict) -> tuple[dict, int]:
    return await _submit("basketorder", BasketOrderRequest.model_validate(body)), 200


async def splitorder(body: dict) -> tuple[dict, int]:
    return await _submit("splitorder", SplitOrderRequest.model_validate(body)), 200


async def optionsorder(body: dict) -> tuple[dict, int]:
    return await _submit("optionsorder", OptionsOrderRequest.model_validate(body)), 200


async def optionsmultiorder(body: dict) -> tuple[dict, int]:
    return await _submit("optionsmultiorder", OptionsMultiOrderRequest.model_validate(body)), 200


async def modifyorder(body: dict) -> tuple[dict, int]:
    request = ModifyOrderRequest.model_validate(body)
    _refuse_in_semi_auto("modifyorder")
    return await services().orders.modify(current_user(), request), 200


async def cancelorder(body: dict) -> tuple[dict, int]:
    request = CancelOrderRequest.model_validate(body)
    _refuse_in_semi_auto("cancelorder")
    return await services().orders.cancel(current_user(), OrderRef(orderid=request.orderid)), 200


async def cancelallorder(body: dict) -> tuple[dict, int]:
    StrategyRequest.model_validate(body)
    _refuse_in_semi_auto("cancelallorder")
    route, account = routed()
    return answer({"status": "success", **await emulation.cancel_all(route.plugin, account)}, route), 200


async def closeposition(body: dict) -> tuple[dict, int]:
    StrategyRequest.model_validate(body)
    _refuse_in_semi_auto("closeposition")
    route, account = routed()
    return answer({"status": "success", **await emulation.close_positions(route.plugin, account)}, route), 200
