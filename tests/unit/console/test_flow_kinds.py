"""The Flow editor's per-kind forms come from the node parameter schemas: refs, unions, nesting, recursion."""

from __future__ import annotations

from pydantic import BaseModel, Field

from gateway.console.flowkinds import node_kinds

RETRY = {"type": "object", "properties": {"times": {"type": "integer", "minimum": 1}}}
SPEC = {
    "components": {
        "schemas": {
            "Exchange": {"type": "string", "enum": ["NSE", "BSE"], "description": "Exchange segment."},
            "Quantity": {"type": "number", "minimum": 0, "maximum": 1000},
            "OrderParams": {
                "type": "object",
                "required": ["symbol", "exchange", "quantity"],
                "properties": {
                    "apikey": {"type": "string"},
                    "symbol": {"type": "string", "maxLength": 64},
                    "exchange": {"$ref": "#/components/schemas/Exchange"},
                    "quantity": {"$ref": "#/components/schemas/Quantity"},
                    "is_amo": {"type": "boolean", "default": False},
                    "legs": {"type": "array", "items": {"type": "object"}},
                },
            },
            "FlowVariableName": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
            "Operand": {"oneOf": [{"type": "number"}, {"type": "string", "maxLength": 200}]},
            "Condition": {
                "type": "object",
                "description": "A comparison, or all/any/not of nested ones.",
                "properties": {
                    "all": {"type": "array", "items": {"$ref": "#/components/schemas/Condition"}},
                    "not": {"$ref": "#/components/schemas/Condition"},
                    "left": {"$ref": "#/components/schemas/Operand"},
                    "operator": {"type": "string", "enum": [">", "<"]},
                },
            },
            "Request": {
                "allOf": [
                    {"$ref": "#/components/schemas/OrderParams"},
                    {"type": "object", "required": ["retry"], "properties": {"retry": RETRY}},
                ]
            },
        }
    }
}


def _by_name(fields: list[dict]) -> dict[str, dict]:
    return {field["name"]: field for field in fields}


def test_a_kind_has_its_models_fields_with_types_enums_bounds_and_required_but_never_the_api_key():
    (kind,) = node_kinds({"placeOrder": "OrderParams"}, spec=SPEC)

    fields = _by_name(kind["fields"])
    assert (kind["kind"], kind["group"]) == ("placeOrder", "action")
    assert "apikey" not in fields
    assert fields["exchange"] == {
        "name": "exchange", "types": ["string"], "required": True, "enum": ["NSE", "BSE"], "description": "Exchange segment."
    }  # fmt: skip
    assert fields["quantity"]["types"] == ["number"] and fields["quantity"]["maximum"] == 1000
    assert fields["is_amo"] == {"name": "is_amo", "types": ["boolean"], "required": False, "default": False}
    assert fields["legs"]["types"] == ["array"] and "fields" not in fields["legs"]


def test_a_kind_without_parameters_has_no_fields_and_an_unknown_kind_is_grouped_as_other():
    kinds = node_kinds({"manualTrigger": None, "teleport": None}, spec=SPEC)

    assert [(kind["kind"], kind["group"], kind["fields"]) for kind in kinds] == [
        ("manualTrigger", "trigger", []),
        ("teleport", "other", []),
    ]


def test_a_union_lists_every_type_and_a_recursive_schema_is_not_expanded_again():
    (kind,) = node_kinds({"condition": "Condition"}, spec=SPEC)

    fields = _by_name(kind["fields"])
    assert kind["description"] == "A comparison, or all/any/not of nested ones."
    assert fields["left"]["types"] == ["number", "string"] and fields["left"]["maxLength"] == 200
    assert fields["not"]["types"] == ["object"] and "fields" not in fields["not"]
    assert fields["operator"]["enum"] == [">", "<"]


def test_all_of_parts_merge_and_a_nested_object_gets_its_own_fields():
    (kind,) = node_kinds({"basketOrder": "Request"}, spec=SPEC)

    fields = _by_name(kind["fields"])
    assert {"symbol", "exchange", "quantity", "retry"} <= set(fields)
    assert fields["retry"]["required"] and fields["symbol"]["required"]
    assert fields["retry"]["fields"] == [{"name": "times", "types": ["integer"], "required": False, "minimum": 1}]


def test_a_model_the_spec_does_not_name_is_read_from_its_own_json_schema():
    class Inner(BaseModel):
        level: float = Field(..., gt=0)

    class QuoteParams(BaseModel):
        symbol: str = Field(..., max_length=64)
        exchange: str | None = None
        output: str = Field(..., pattern="^[A-Za-z_]+$")
        inner: Inner | None = None

    (kind,) = node_kinds({"getQuote": QuoteParams}, spec=SPEC)

    fields = _by_name(kind["fields"])
    assert kind["group"] == "data"
    assert fields["symbol"]["required"] and fields["symbol"]["maxLength"] == 64
    assert fields["exchange"]["types"] == ["string"] and not fields["exchange"]["required"]
    assert fields["output"]["pattern"] == "^[A-Za-z_]+$"
    assert fields["inner"]["fields"][0]["name"] == "level"


def test_an_order_or_data_kind_gets_an_output_variable_field_required_where_the_engine_needs_it():
    kinds = node_kinds(
        {"placeOrder": "OrderParams", "getFunds": None}, {"placeOrder": False, "getFunds": True}, spec=SPEC
    )

    outputs = {kind["kind"]: _by_name(kind["fields"])["output"] for kind in kinds}
    assert outputs["placeOrder"] == {
        "name": "output", "types": ["string"], "required": False, "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"
    }  # fmt: skip
    assert outputs["getFunds"]["required"]
