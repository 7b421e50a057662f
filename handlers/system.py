"""Handlers of the `system` tag."""

from gateway.context import current_user, services
from generated.api import PingData, PingResponse


async def ping(body: dict) -> tuple[dict, int]:
    route = services().router.route(current_user())
    return PingResponse(status="success", data=PingData(broker=route.broker, message="pong")).model_dump(), 200
