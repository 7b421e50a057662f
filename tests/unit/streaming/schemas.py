"""Validate frames against the JSON Schemas under `components.schemas` of spec/asyncapi.yaml."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SPEC = Path(__file__).resolve().parents[3] / "spec" / "asyncapi.yaml"

# Which schema a server frame must satisfy, by its `type` (errors have none).
SCHEMA_BY_TYPE = {
    "auth": "AuthResponse",
    "subscribe": "SubscribeResponse",
    "unsubscribe": "UnsubscribeResponse",
    "subscribe_orders": "OrdersSubscriptionResponse",
    "unsubscribe_orders": "OrdersSubscriptionResponse",
    "pong": "PongResponse",
    "broker_info": "BrokerInfoResponse",
    "supported_brokers": "SupportedBrokersResponse",
    "market_data": "MarketDataMessage",
    "order_update": "OrderUpdateMessage",
    "subscription_state": "SubscriptionStateMessage",
    None: "ErrorResponse",
}


@cache
def _components() -> dict[str, Any]:
    return yaml.safe_load(SPEC.read_text())["components"]


@cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{name}", "components": _components()}
    return jsonschema.Draft202012Validator(schema)


def validate(name: str, instance: Any) -> None:
    validator(name).validate(instance)


def validate_server_frame(frame: dict[str, Any]) -> None:
    """Fail unless a frame the server sent matches the schema for its type."""
    validate(SCHEMA_BY_TYPE[frame.get("type")], frame)
