"""Request-body validation against the spec, tolerant of what OpenAlgo clients send.

The `openalgo` SDK sends every number as a string, so a copy of the body has numeric strings
(and "true"/"false") turned into numbers and booleans where the schema asks for them before the
JSON Schema check. Every failure is collected into `{field: [messages]}`, worded like OpenAlgo's.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from connexion.json_schema import Draft4RequestValidator
from connexion.validators import JSONRequestBodyValidator
from jsonschema import Draft4Validator, FormatChecker
from pydantic import ValidationError as PydanticValidationError

from generated.errors import MalformedJson, ValidationFailed

_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
_REQUIRED = re.compile(r"^'(?P<name>.+)' is a required property$")
_UNEXPECTED = re.compile(r"'([^']+)'")
_compiled: dict[int, Draft4Validator] = {}
_FORMATS = FormatChecker()  # every format jsonschema knows, `date` included (Draft 4's own list lacks it)


def coerce(schema: dict, value: Any) -> Any:
    """Return `value` with numeric and boolean strings converted where `schema` wants numbers."""
    kind = schema.get("type")
    if isinstance(value, str):
        if kind == "integer" and _INTEGER.match(value):
            return int(value)
        if kind == "number":
            try:
                number = float(value)
            except ValueError:
                return value
            return number if math.isfinite(number) else value
        if kind == "boolean" and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return value
    if isinstance(value, dict) and "properties" in schema:
        properties = schema["properties"]
        return {key: coerce(properties[key], item) if key in properties else item for key, item in value.items()}
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [coerce(schema["items"], item) for item in value]
    return value


def _message(error) -> tuple[str, str]:
    path = ".".join(str(part) for part in error.absolute_path)
    where = f"{path}." if path else ""
    if error.validator == "required" and (match := _REQUIRED.match(error.message)):
        return f"{where}{match['name']}", "Missing data for required field."
    if error.validator == "additionalProperties":
        names = _UNEXPECTED.findall(error.message.split("(", 1)[-1])
        return f"{where}{names[0] if names else '_schema'}", "Unknown field."
    if error.validator == "enum":
        return path or "_schema", "Must be one of: " + ", ".join(map(str, error.validator_value)) + "."
    if error.validator == "format":
        return path or "_schema", f"Not a valid {error.validator_value}."
    if error.validator == "type":
        wanted = {
            "number": "number",
            "integer": "integer",
            "string": "string",
            "boolean": "boolean",
            "object": "object",
            "array": "list",
        }.get(str(error.validator_value), str(error.validator_value))
        return path or "_schema", f"Not a valid {wanted}."
    return path or "_schema", error.message[0].upper() + error.message[1:] + "."


def errors_of(validator: Draft4Validator, body: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in validator.iter_errors(body):
        field, message = _message(error)
        found.setdefault(field, []).append(message)
    return found


def summary(errors: dict[str, list[str]]) -> str:
    return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in sorted(errors.items()))


class TolerantJSONBodyValidator(JSONRequestBodyValidator):
    """connexion's JSON body validator with OpenAlgo's coercions and field-by-field errors."""

    @property
    def _validator(self) -> Draft4Validator:
        key = id(self._schema)
        if key not in _compiled:
            _compiled[key] = Draft4RequestValidator(self._schema, format_checker=_FORMATS)
        return _compiled[key]

    async def _parse(self, stream, scope) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise MalformedJson(f"The request body is not valid JSON: {e}") from e

    def _validate(self, body: Any) -> None:
        if body is None:
            raise ValidationFailed(
                "The request body must be a JSON object", errors={"_schema": ["Invalid input type."]}
            )
        errors = errors_of(self._validator, coerce(self._schema, body))
        if errors:
            raise ValidationFailed(summary(errors), errors=errors)


def from_pydantic(error: PydanticValidationError) -> ValidationFailed:
    """A handler's model check that the spec let through is still the client's mistake: a 400, not a 500."""
    errors: dict[str, list[str]] = {}
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"]) or "_schema"
        errors.setdefault(field, []).append(problem["msg"] + ".")
    return ValidationFailed(summary(errors), errors=errors)
