"""Keep a webhook request's exact bytes for its handler: the signature and the duplicate check need
them, and connexion has consumed the stream by the time the handler runs."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from generated.errors import MalformedJson, PayloadTooLarge, ValidationFailed

RAW_BODY = "brokergate.raw_body"
MAX_WEBHOOK_BYTES = 16_384  # an alert is a few hundred bytes; Chartink lists of stocks stay far below this
_PREFIXES = ("/strategy/webhook/", "/chartink/webhook/", "/flow/webhook/")


class RawBody:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(_PREFIXES):
            return await self.app(scope, receive, send)
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if sum(map(len, chunks)) > MAX_WEBHOOK_BYTES:
                raise PayloadTooLarge(f"A webhook body may be at most {MAX_WEBHOOK_BYTES} bytes")
            if not message.get("more_body"):
                break
        raw = b"".join(chunks)
        scope[RAW_BODY] = raw
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": raw, "more_body": False}

        await self.app(scope, replay, send)


def json_object(raw: bytes) -> dict:
    """A webhook body parsed as the JSON object every webhook expects, else a typed 400."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise MalformedJson(f"The webhook body is not valid JSON: {e}") from e
    if not isinstance(body, dict):
        raise ValidationFailed("The webhook body must be a JSON object")
    return body
