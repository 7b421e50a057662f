"""Handlers of the `gtt` tag: good-till-triggered orders."""

from gateway.actioncenter import ActionCenter
from gateway.context import current_user, idempotency_key, services
from gateway.gtt import normalized_gtt
from generated.api import CancelGttOrderRequest, GttOrderBookRequest, GttOrderRequest, ModifyGttOrderRequest


async def placegttorder(body: dict) -> tuple[dict, int]:
    request = GttOrderRequest.model_validate(body)
    center = ActionCenter.of(services())
    return await center.submit(current_user(), "placegttorder", request, idempotency_key=idempotency_key()), 200


async def modifygttorder(body: dict) -> tuple[dict, int]:
    request = normalized_gtt(ModifyGttOrderRequest.model_validate(body))
    ActionCenter.of(services()).refuse_in_semi_auto(current_user(), "modifygttorder")
    return await services().orders.modify_gtt(current_user(), request), 200


async def cancelgttorder(body: dict) -> tuple[dict, int]:
    request = CancelGttOrderRequest.model_validate(body)
    ActionCenter.of(services()).refuse_in_semi_auto(current_user(), "cancelgttorder")
    return await services().orders.cancel_gtt(current_user(), request.trigger_id), 200


async def gttorderbook(body: dict) -> tuple[dict, int]:
    request = GttOrderBookRequest.model_validate(body)
    return await services().orders.gtt_book(current_user(), request.status or "active"), 200
