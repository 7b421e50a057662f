"""Handlers of the `actioncenter` tag: the order mode and the queue of orders awaiting approval."""

from gateway.actioncenter import ActionCenter
from gateway.context import current_user, services
from generated.api import OrderModeRequest, PendingOrderRef, PendingOrdersRequest


async def ordermode(body: dict) -> tuple[dict, int]:
    request = OrderModeRequest.model_validate(body)
    center, user = ActionCenter.of(services()), current_user()
    mode = center.set_order_mode(user, request.mode) if request.mode else center.order_mode(user)
    return {"status": "success", "data": {"order_mode": mode}}, 200


async def pendingorders(body: dict) -> tuple[dict, int]:
    request = PendingOrdersRequest.model_validate(body)
    rows = ActionCenter.of(services()).pending_orders(current_user(), request.status or "pending")
    return {"status": "success", "data": rows}, 200


async def approve(body: dict) -> tuple[dict, int]:
    request = PendingOrderRef.model_validate(body)
    return await ActionCenter.of(services()).approve(current_user(), request.pending_order_id), 200


async def reject(body: dict) -> tuple[dict, int]:
    request = PendingOrderRef.model_validate(body)
    return ActionCenter.of(services()).reject(current_user(), request.pending_order_id), 200
