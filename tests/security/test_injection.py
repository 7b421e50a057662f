"""SQL-injection strings in every string field of every operation in the spec: never a 500, never damage.

The cases are read from the spec, so each endpoint the lead adds is attacked the day it appears.
"""

from __future__ import annotations

import copy
import itertools

import pytest

from gateway.app import create_app
from gateway.specs import operations
from gateway.specs import spec as spec_document
from tests.security.conftest import PASSWORD

INJECTIONS = (
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    "1; DELETE FROM api_keys WHERE 1=1",
    '" OR ""="',
    "SBIN' UNION SELECT password_hash FROM users --",
)


def resolve(spec: dict, node):
    """Follow `$ref`s (local ones, as the spec uses) until a schema with content."""
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def string_fields(spec: dict, schema, prefix: tuple = ()) -> list[tuple]:
    """Paths (tuples of keys) to every string property of an object schema, nested objects included."""
    schema = resolve(spec, schema)
    found = []
    for name, prop in (schema.get("properties") or {}).items():
        prop = resolve(spec, prop)
        if name == "apikey":
            continue
        if prop.get("type") == "string" or ("enum" in prop and prop.get("type") in (None, "string")):
            found.append((*prefix, name))
        elif prop.get("type") == "object":
            found += string_fields(spec, prop, (*prefix, name))
        elif prop.get("type") == "array" and resolve(spec, prop.get("items", {})).get("type") == "object":
            found += string_fields(spec, prop["items"], (*prefix, name, 0))
    return found


def cases() -> list:
    spec = spec_document("openapi.yaml")
    found = []
    for path, method, operation in operations(spec):
        body = resolve(spec, operation.get("requestBody", {}))
        media = (body.get("content") or {}).get("application/json")
        if media:
            example = media.get("example") or {}
            for field in string_fields(spec, media["schema"]):
                found.append(pytest.param(method, path, field, example, id=f"{path}:{'.'.join(map(str, field))}"))
        for parameter in operation.get("parameters", []):
            parameter = resolve(spec, parameter)
            if resolve(spec, parameter.get("schema", {})).get("type") == "string" and parameter["name"] != "apikey":
                found.append(pytest.param(method, path, ("?", parameter["name"]), {}, id=f"{path}?{parameter['name']}"))
    return found


def with_value(example: dict, field: tuple, value: str) -> dict:
    body = copy.deepcopy(example)
    target = body
    for part, following in itertools.pairwise(field):
        kind = list if isinstance(following, int) else dict
        if isinstance(part, int):
            while len(target) <= part:
                target.append(kind())
        elif part not in target:
            target[part] = kind()
        target = target[part]
    target[field[-1]] = value
    return body


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    from gateway.settings import Settings
    from tests.conftest import APP_KEY, PEPPER

    folder = tmp_path_factory.mktemp("injection")
    settings = Settings(
        app_key=APP_KEY,
        api_key_pepper=PEPPER,
        database_url=f"sqlite:///{folder / 'brokergate.db'}",
        history_database=str(folder / "history.duckdb"),
        api_rate_limit="100000 per second",
        order_rate_limit="100000 per second",
        smart_order_rate_limit="100000 per second",
        greeks_rate_limit="100000 per second",
        websocket_port=0,  # never the ports of a gateway running beside the tests
        zmq_address="tcp://127.0.0.1:*",
        _env_file=None,
    )
    app = create_app(settings)
    app.services.accounts.create_user("trader", PASSWORD)
    api_key = app.services.accounts.create_api_key("trader")
    with app.test_client() as client:
        yield app, client, api_key


def test_every_nested_string_field_is_found():
    spec = {"components": {"schemas": {"Leg": {"type": "object", "properties": {"symbol": {"type": "string"}}}}}}
    schema = {
        "type": "object",
        "properties": {
            "apikey": {"type": "string"},
            "strategy": {"type": "string"},
            "action": {"enum": ["BUY", "SELL"]},
            "quantity": {"type": "integer"},
            "legs": {"type": "array", "items": {"$ref": "#/components/schemas/Leg"}},
            "leg": {"$ref": "#/components/schemas/Leg"},
        },
    }

    assert string_fields(spec, schema) == [("strategy",), ("action",), ("legs", 0, "symbol"), ("leg", "symbol")]


@pytest.mark.parametrize(("method", "path", "field", "example"), cases())
def test_injection_strings_are_answered_without_a_server_error_or_damage(attacked, method, path, field, example):
    app, client, api_key = attacked

    for injection in INJECTIONS:
        if field[0] == "?":
            answer = client.request(method.upper(), f"/api/v1{path}", params={"apikey": api_key, field[1]: injection})
        else:
            body = {**with_value(example, field, injection), "apikey": api_key}
            answer = client.request(method.upper(), f"/api/v1{path}", json=body)
        assert answer.status_code < 500, (field, injection, answer.text)
        assert answer.json()["status"] in ("success", "error")

    assert app.services.accounts.authenticate(api_key).username == "trader"
    assert [record.id for record in app.services.accounts.api_keys("trader")] == [1]
