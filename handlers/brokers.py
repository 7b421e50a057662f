"""Handlers of the `brokers` tag."""

from gateway.context import services
from generated.api import BrokerInfo, BrokerListResponse


async def list_brokers(apikey: str | None = None) -> tuple[dict, int]:
    registry = services().registry
    brokers = [BrokerInfo.model_validate(registry.manifest(broker_id).data) for broker_id in registry.ids()]
    return BrokerListResponse(status="success", data=brokers).model_dump(by_alias=True, exclude_none=True), 200
