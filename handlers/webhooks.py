"""Handlers of `spec/webhooks.yaml`: alerts from charting platforms and scanners, by webhook token."""

from connexion import request

from gateway.context import services
from gateway.signatures import SIGNATURE_HEADER
from gateway.webhooks.rawbody import RAW_BODY


async def _receive(kind: str, token: str) -> tuple[dict, int]:
    raw = request.scope.get(RAW_BODY, b"")
    return await services().strategies.receive(
        kind,
        token,
        raw,
        idempotency_key=request.headers.get("idempotency-key"),
        signature=request.headers.get(SIGNATURE_HEADER),
    )


async def strategy_webhook(token: str, body: dict) -> tuple[dict, int]:
    return await _receive("alert", token)


async def chartink_webhook(token: str, body: dict) -> tuple[dict, int]:
    return await _receive("chartink", token)


async def flow_webhook(token: str, body: dict) -> tuple[dict, int]:
    return await services().flow.receive(
        token,
        request.scope.get(RAW_BODY, b""),
        idempotency_key=request.headers.get("idempotency-key"),
        signature=request.headers.get(SIGNATURE_HEADER),
    )
