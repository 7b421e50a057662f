"""The Flow editor's per-kind forms, read from the node parameter schemas in `spec/openapi.yaml`.

The engine's table of kinds names the generated model that checks each kind's `data`; each kind
becomes `{kind, group, description, fields}`, where a field says its name, JSON types, allowed values,
bounds and whether it is required, and an object field with known properties carries its own `fields`.
The page builds its forms from this list only, so a kind or parameter added to the spec and the
engine appears in the editor with no change here.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from gateway.specs import spec as openapi_spec

# Only for grouping the kind picker; a kind the spec adds and this table lacks is listed under "other".
GROUPS = {
    "trigger": ("schedule", "webhookTrigger", "priceAlert", "orderUpdateTrigger", "manualTrigger"),
    "action": (
        "placeOrder", "smartOrder", "optionsOrder", "basketOrder", "modifyOrder", "cancelOrder", "closePosition",
        "cancelAllOrders",
    ),
    "data": ("getQuote", "getDepth", "getPosition", "getFunds", "optionChain", "history"),
    "logic": ("condition", "math", "setVariable", "delay", "waitUntil"),
    "notify": ("telegram", "httpRequest"),
}  # fmt: skip
VARIABLE_NAME = "FlowVariableName"  # the spec's schema of a variable name, which `output` is
_HIDDEN = frozenset({"apikey"})  # the engine acts with the workflow owner's key; a node never carries one
_KEPT = ("enum", "default", "description", "minimum", "maximum", "minLength", "maxLength", "pattern", "format")


def node_kinds(
    params: Mapping[str, Any], outputs: Mapping[str, bool] | None = None, spec: dict | None = None
) -> list[dict]:
    """The form of each node kind.

    `params` maps a kind to the generated model of its `data` (or None); `outputs` names the kinds
    whose `data` also takes an `output` variable beside the model's fields (True where it is required),
    as an order or data node stores the API's answer under that name.
    """
    spec = spec if spec is not None else openapi_spec()
    components = spec["components"]["schemas"]
    kinds = []
    for kind, model in params.items():
        schemas, schema = _schema_of(components, model)
        seen = () if model is None else (model if isinstance(model, str) else model.__name__,)
        fields = [field for field in _fields(schemas, schema, seen) if field["name"] not in _HIDDEN]
        if kind in (outputs or {}) and not any(field["name"] == "output" for field in fields):
            fields.append(_output_field(components, is_required=outputs[kind]))
        kinds.append(
            {
                "kind": kind,
                "group": next((group for group, members in GROUPS.items() if kind in members), "other"),
                "description": schema.get("description", ""),
                "fields": fields,
            }
        )
    return kinds


def _output_field(components: dict, *, is_required: bool) -> dict:
    field: dict[str, Any] = {"name": "output", "types": ["string"], "required": is_required}
    variable = components.get(VARIABLE_NAME, {})
    return field | {key: variable[key] for key in _KEPT if key in variable}


def _schema_of(components: dict, model: Any) -> tuple[dict, dict]:
    """The spec's component for a generated model (same name), else the model's own JSON schema."""
    if model is None:
        return components, {}
    name = model if isinstance(model, str) else model.__name__
    if name in components:
        return components, _resolve(components, components[name])
    generated = model.model_json_schema(by_alias=True)
    return generated.get("$defs", {}), generated


def _resolve(schemas: dict, schema: dict) -> dict:
    """Follow `$ref`s and merge `allOf` parts into one schema."""
    while "$ref" in schema:
        schema = {**schemas[schema["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in schema.items() if k != "$ref"}}
    if "allOf" in schema:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        properties: dict = dict(merged.get("properties", {}))
        required: list = list(merged.get("required", []))
        for part in schema["allOf"]:
            part = _resolve(schemas, part)
            properties |= part.get("properties", {})
            required += part.get("required", [])
            merged = {**part, **merged}
        merged["properties"], merged["required"] = properties, required
        return merged
    return schema


def _types(schemas: dict, schema: dict) -> list[str]:
    """The JSON types a value may have; "any" where the schema does not say."""
    choices = schema.get("oneOf") or schema.get("anyOf")
    if choices:
        found: list[str] = []
        for choice in choices:
            found += [kind for kind in _types(schemas, _resolve(schemas, choice)) if kind not in found]
        return [kind for kind in found if kind != "null"] or ["any"]
    if "type" in schema:
        return [schema["type"]]
    if "enum" in schema:
        return ["string"]
    return ["object"] if "properties" in schema else ["any"]


def _fields(schemas: dict, schema: dict, seen: tuple[str, ...]) -> list[dict]:
    required = set(schema.get("required", []))
    fields = []
    for name, raw in schema.get("properties", {}).items():
        field_schema = _resolve(schemas, raw)
        field: dict[str, Any] = {"name": name, "types": _types(schemas, field_schema), "required": name in required}
        for choice in (field_schema, *map(partial(_resolve, schemas), _choices(field_schema))):
            field |= {key: choice[key] for key in _KEPT if key in choice and key not in field}
        reference = _reference(raw)
        nested = _resolve(schemas, {"$ref": reference}) if reference else field_schema
        # A nested object gets its own form, unless it is the schema being expanded (a condition's `not`).
        if field["types"] == ["object"] and nested.get("properties") and reference not in seen:
            field["fields"] = _fields(schemas, nested, (*seen, reference or name))
        fields.append(field)
    return fields


def _choices(schema: dict) -> list[dict]:
    return schema.get("oneOf") or schema.get("anyOf") or []


def _reference(schema: dict) -> str | None:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    return next((_reference(choice) for choice in _choices(schema) if _reference(choice)), None)
