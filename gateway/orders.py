"""Order placement through whichever broker serves the caller, exactly once and always on record.

Every request is written to the append-only order audit before the broker sees it, and its outcome
after. A repeated `client_order_id` (or `Idempotency-Key`) returns the first outcome and places
nothing, across restarts too, because the audit is the memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from gateway.accounts import Principal
from gateway.routing import BrokerRouter, Route
from generated.api import ModifyOrderRequest, PlaceOrderRequest, SmartOrderRequest
from generated.contract import Account, OrderRef
from generated.errors import BY_CODE, BrokergateError, IdempotencyConflict, ValidationFailed
from storage import OrderAudit, session_scope

_OUTCOMES = ("place.accepted", "place.failed")


def account_for(user: Principal, route: Route) -> Account:
    return Account(user_id=user.user_id, broker=route.broker, token=None)


def normalized(request: PlaceOrderRequest) -> PlaceOrderRequest:
    """Uppercase the side, fill OpenAlgo's defaults, and insist on whole quantities outside CRYPTO."""
    if request.exchange != "CRYPTO" and request.quantity != int(request.quantity):
        raise ValidationFailed(
            f"Fractional quantity ({request.quantity}) is not allowed for non-crypto exchanges.",
            errors={"quantity": [f"Fractional quantity ({request.quantity}) is not allowed for non-crypto exchanges."]},
        )
    return request.model_copy(
        update={
            "action": request.action.upper(),
            "pricetype": request.pricetype or "MARKET",
            "product": request.product or "MIS",
            "price": request.price or 0.0,
            "trigger_price": request.trigger_price or 0.0,
            "disclosed_quantity": request.disclosed_quantity or 0,
        }
    )


class OrderDesk:
    """Places orders for users, with the audit trail and idempotency around the broker call."""

    def __init__(self, engine: Engine, router: BrokerRouter) -> None:
        self._engine = engine
        self._router = router
        self._locks: defaultdict[tuple[int, str], asyncio.Lock] = defaultdict(asyncio.Lock)

    async def place(
        self, user: Principal, request: PlaceOrderRequest, *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Place `request`; the answer is the wire body, `mode` included in analyzer mode."""
        request = normalized(request)

        async def send(route: Route) -> dict:
            placed = await route.plugin.place_order(account_for(user, route), request)
            return {"status": "success", "orderid": placed.orderid}

        return await self._once(user, request, request.client_order_id or idempotency_key, send)

    async def place_smart(self, user: Principal, request: SmartOrderRequest, *, idempotency_key: str | None = None):
        """Move the position to `position_size`; answer OpenAlgo's message when nothing was needed."""
        if request.position_size != int(request.position_size):
            raise ValidationFailed(
                "position_size must be a whole number", errors={"position_size": ["Not a valid integer."]}
            )
        request = request.model_copy(update={"action": request.action.upper()})

        async def send(route: Route) -> dict:
            placed = await route.plugin.place_smart_order(account_for(user, route), request, int(request.position_size))
            if isinstance(placed, str):
                return {"status": "success", "message": placed}
            return {"status": "success", "orderid": placed.orderid}

        return await self._once(user, request, request.client_order_id or idempotency_key, send)

    async def modify(self, user: Principal, request: ModifyOrderRequest) -> dict:
        route = self._router.route(user)
        self._record(
            user.user_id,
            route.broker,
            "modify.requested",
            request.orderid,
            None,
            {"request": request.model_dump(exclude={"apikey"}, exclude_none=True)},
        )
        placed = await route.plugin.modify_order(account_for(user, route), request)
        self._record(user.user_id, route.broker, "modify.accepted", placed.orderid, None, {})
        return _with_mode({"status": "success", "orderid": placed.orderid, "message": placed.message}, route)

    async def cancel(self, user: Principal, reference: OrderRef) -> dict:
        route = self._router.route(user)
        self._record(user.user_id, route.broker, "cancel.requested", reference.orderid, None, {})
        placed = await route.plugin.cancel_order(account_for(user, route), reference)
        self._record(user.user_id, route.broker, "cancel.accepted", placed.orderid, None, {})
        return _with_mode({"status": "success", "orderid": placed.orderid, "message": placed.message}, route)

    async def _once(self, user: Principal, request, key: str | None, send: Callable[[Route], Awaitable[dict]]):
        route = self._router.route(user)
        if key is None:
            return await self._send(user, route, request, None, send)
        async with self._locks[(user.user_id, key)]:  # two retries in flight must not both place
            if (known := self._replay(user.user_id, key, _fingerprint(request))) is not None:
                return known
            return await self._send(user, route, request, key, send)

    async def _send(self, user: Principal, route: Route, request, key: str | None, send) -> dict:
        payload = request.model_dump(exclude={"apikey"}, exclude_none=True)
        self._record(
            user.user_id,
            route.broker,
            "place.requested",
            None,
            key,
            {"fingerprint": _fingerprint(request), "request": payload},
        )
        try:
            answer = _with_mode(await send(route), route)
        except BrokergateError as e:
            self._record(
                user.user_id,
                route.broker,
                "place.failed",
                e.context.get("order_id"),
                key,
                {"code": e.code, "message": e.message, "context": _jsonable(e.context)},
            )
            raise
        self._record(user.user_id, route.broker, "place.accepted", answer.get("orderid"), key, {"answer": answer})
        return answer

    def _replay(self, user_id: int, key: str, fingerprint: str) -> dict | None:
        with session_scope(self._engine) as session:
            rows = session.exec(
                select(OrderAudit)
                .where(OrderAudit.user_id == user_id, OrderAudit.client_order_id == key)
                .order_by(OrderAudit.id)
            ).all()
        if not rows:
            return None
        first = json.loads(rows[0].payload)
        if first.get("fingerprint") != fingerprint:
            raise IdempotencyConflict(f"client_order_id {key!r} was already used for a different order")
        outcome = next((row for row in rows if row.event in _OUTCOMES), None)
        if outcome is None:
            return None  # the earlier attempt died before the broker answered; its intent is on record
        recorded = json.loads(outcome.payload)
        if outcome.event == "place.accepted":
            return recorded["answer"]
        raise BY_CODE[recorded["code"]](recorded["message"], **recorded.get("context", {}))

    def _record(self, user_id: int, broker: str, event: str, order_id: str | None, key: str | None, payload: dict):
        with session_scope(self._engine) as session:
            session.add(
                OrderAudit(
                    user_id=user_id,
                    broker=broker,
                    event=event,
                    order_id=order_id,
                    client_order_id=key,
                    payload=json.dumps(payload, sort_keys=True, default=str),
                )
            )


def _with_mode(body: dict, route: Route) -> dict:
    if route.is_analyze:
        body["mode"] = "analyze"
    return {key: value for key, value in body.items() if value is not None}


def _fingerprint(request) -> str:
    body = request.model_dump(exclude={"apikey", "client_order_id", "strategy"}, exclude_none=True)
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _jsonable(context: dict) -> dict:
    return {key: value for key, value in context.items() if isinstance(value, str | int | float | bool | None)}
