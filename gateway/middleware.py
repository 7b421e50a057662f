"""ASGI middleware of the API: path tidying and body limits before routing, API keys after it.

Both raise brokergate errors; connexion's exception middleware, which wraps them, renders them
through `gateway.envelope`.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.context import SERVICES, USER
from generated.errors import MalformedJson, MissingApiKey, PayloadTooLarge

API_PREFIX = "/api/v1"


class RequestShape:
    """Accept OpenAlgo's trailing slashes and refuse bodies over the configured size."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        if path.startswith(API_PREFIX + "/") and len(path) > len(API_PREFIX) + 1 and path.endswith("/"):
            trimmed = path.rstrip("/")
            scope = {**scope, "path": trimmed, "raw_path": trimmed.encode()}
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body_bytes:
                raise PayloadTooLarge(f"The request body is larger than {self.max_body_bytes} bytes")
        await self.app(scope, self._limited(receive), send)

    def _limited(self, receive: Receive) -> Receive:
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:  # a chunked body that never declared its length
                raise PayloadTooLarge(f"The request body is larger than {self.max_body_bytes} bytes")
            return message

        return limited_receive


class ApiKeys:
    """Find the caller of every protected operation from `X-API-KEY`, the body's `apikey`, or (GET) the query."""

    def __init__(self, app: ASGIApp, services, protected: frozenset[str]) -> None:
        self.app = app
        self.services = services
        self.protected = protected

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        scope[SERVICES] = self.services
        operation_id = scope.get("extensions", {}).get("connexion_routing", {}).get("operation_id")
        if operation_id in self.protected:
            api_key, receive = await self._api_key(scope, receive)
            if not api_key:
                raise MissingApiKey()
            scope[USER] = self.services.accounts.authenticate(api_key)
        await self.app(scope, receive, send)

    async def _api_key(self, scope: Scope, receive: Receive) -> tuple[str | None, Receive]:
        for name, value in scope["headers"]:
            if name == b"x-api-key":
                return value.decode("latin-1"), receive
        if scope["method"] == "GET":
            values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("apikey")
            return (values[0] if values else None), receive
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        raw = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": raw, "more_body": False}

        if not raw.strip():
            return None, replay
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise MalformedJson(f"The request body is not valid JSON: {e}") from e
        api_key = body.get("apikey") if isinstance(body, dict) else None
        return (api_key if isinstance(api_key, str) else None), replay
