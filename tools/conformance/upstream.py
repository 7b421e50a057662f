"""Checks a plugin's outgoing requests against its broker's own API description (contracts/upstream/<id>.yaml).

`CheckedTransport` wraps any httpx transport and notes, for every request, what the description does
not allow: an unknown path or method, a missing or unknown parameter, a form field or JSON body the
schema refuses, a missing credential header. Tests and the conformance kit then assert the list is empty.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import jsonschema

from brokers.registry import read_yaml
from gateway.specs import operations


def _resolve(node: Any, root: dict) -> Any:
    """The node with every local `$ref` replaced by its target (upstream descriptions are small and acyclic)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = root
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _resolve(target, root)
        return {key: _resolve(value, root) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item, root) for item in node]
    return node


@dataclass(frozen=True)
class _Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    literal_length: int
    spec: dict


class UpstreamSpec:
    """One broker's OpenAPI 3.0 description, ready to judge requests."""

    def __init__(self, document: dict, name: str = "upstream description") -> None:
        self.name = name
        self._document = _resolve(document, document)
        self._security = self._document.get("security", [])
        self._schemes = self._document.get("components", {}).get("securitySchemes", {})
        self._operations: list[_Operation] = []
        for template, method, operation in operations(self._document):
            pattern = re.compile("^" + re.sub(r"\{[^/]+\}", r"(?P<\g<0>>[^/]+)", template).replace("<{", "<").replace("}>", ">") + "$")
            literal = len(re.sub(r"\{[^/]+\}", "", template))
            self._operations.append(_Operation(method.upper(), template, pattern, literal, operation))
        # The most literal template wins: /orders/regular is POST /orders/{variety}, not GET /orders/{order_id}.
        self._operations.sort(key=lambda operation: -operation.literal_length)

    @classmethod
    def load(cls, path: Path) -> UpstreamSpec:
        return cls(read_yaml(path), name=str(path))

    def check(self, request: httpx.Request) -> list[str]:
        """What in `request` the description does not allow; empty when it conforms."""
        label = f"{request.method} {request.url.path}"
        for operation in self._operations:
            match = operation.pattern.match(request.url.path)
            if operation.method == request.method and match:
                return [f"{label}: {problem}" for problem in self._problems(operation, match.groupdict(), request)]
        return [f"{label}: no such operation in {self.name}"]

    def _problems(self, operation: _Operation, path_values: dict[str, str], request: httpx.Request) -> list[str]:
        problems: list[str] = []
        parameters = operation.spec.get("parameters", [])
        query: dict[str, list[str]] = {}
        for key, value in request.url.params.multi_items():
            query.setdefault(key, []).append(value)
        declared_query = set()
        for parameter in parameters:
            name, where, schema = parameter["name"], parameter["in"], parameter.get("schema", {})
            if where == "path":
                problems += _validate(path_values.get(name), schema, f"path parameter {name}")
            elif where == "query":
                declared_query.add(name)
                if name not in query:
                    if parameter.get("required"):
                        problems.append(f"the required query parameter {name} is missing")
                    continue
                value = query[name] if schema.get("type") == "array" else query[name][-1]
                problems += _validate(value, schema, f"query parameter {name}")
        problems += [f"query parameter {name} is not in the description" for name in sorted(set(query) - declared_query)]
        problems += self._credential_problems(operation, request)
        problems += self._body_problems(operation, request)
        return problems

    def _credential_problems(self, operation: _Operation, request: httpx.Request) -> list[str]:
        requirements = operation.spec.get("security", self._security)
        if not requirements:
            return []
        for requirement in requirements:
            headers = [self._schemes[name]["name"] for name in requirement if self._schemes[name].get("in") == "header"]
            if all(header in request.headers for header in headers):
                return []
        return ["the credential header the description requires is missing"]

    def _body_problems(self, operation: _Operation, request: httpx.Request) -> list[str]:
        body = operation.spec.get("requestBody")
        content = request.content
        if body is None:
            return ["a body was sent, but the operation takes none"] if content else []
        if not content:
            return ["the required body is missing"] if body.get("required") else []
        media_type = request.headers.get("content-type", "").split(";")[0].strip()
        if media_type not in body["content"]:
            return [f"the body is {media_type or 'untyped'}; the description accepts {', '.join(body['content'])}"]
        schema = body["content"][media_type].get("schema", {})
        if media_type == "application/json":
            return _validate(json.loads(content), schema, "the JSON body")
        fields = {key: values[-1] for key, values in parse_qs(content.decode(), keep_blank_values=True).items()}
        return _validate(fields, schema, "the form body")


def _validate(value: Any, schema: dict, what: str) -> list[str]:
    if value is None:
        return [f"{what} is missing"]
    validator = jsonschema.Draft4Validator(schema)
    return [f"{what}: {error.message}" for error in validator.iter_errors(value)]


class CheckedTransport(httpx.AsyncBaseTransport):
    """Passes every request on to `inner`, first noting what `spec` finds wrong with it in `violations`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, spec: UpstreamSpec) -> None:
        self._inner = inner
        self.spec = spec
        self.violations: list[str] = []
        self.checked = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.checked += 1
        self.violations += self.spec.check(request)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
