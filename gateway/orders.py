"""Order placement through whichever broker serves the caller, exactly once and always on record.

Every request is written to the append-only order audit before the broker sees it, and its outcome
after. A repeated `client_order_id` (or `Idempotency-Key`) returns the first outcome and places
nothing, across restarts too, because the audit is the memory. Baskets and split orders place each
child the same way, so every child is on record; GTTs are recorded as they are placed, changed and
cancelled.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from gateway import emulation
from gateway.accounts import Principal
from gateway.routing import BrokerRouter, Route, with_mode
from gateway.validation import summary
from generated.api import (
    BasketOrderRequest,
    GttOrderRequest,
    ModifyGttOrderRequest,
    ModifyOrderRequest,
    PlaceOrderRequest,
    SmartOrderRequest,
    SplitOrderRequest,
)
from generated.contract import Account, GttRef, OrderRef
from generated.errors import BY_CODE, BrokergateError, IdempotencyConflict, NotSupported, ValidationFailed
from storage import OrderAudit, OrderIntent, session_scope, utcnow
from storage.groupcommit import GroupCommit

_OUTCOMES = ("place.accepted", "place.failed")


def account_for(user: Principal, route: Route) -> Account:
    return route.account(user.user_id)


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


MAX_SPLIT_ORDERS = 100
_ORDER_FIELDS = ("pricetype", "product", "price", "trigger_price", "disclosed_quantity")


def basket_orders(request: BasketOrderRequest) -> list[PlaceOrderRequest]:
    """One normalised order per item, in request order; any bad item fails the whole basket with 400."""
    orders, errors = [], {}
    for index, item in enumerate(request.orders):
        # An item's own `strategy` is ignored: the basket's tags every order, as in OpenAlgo.
        fields = {name: getattr(item, name) for name in _ORDER_FIELDS if getattr(item, name) is not None}
        order = PlaceOrderRequest(
            strategy=request.strategy,
            exchange=item.exchange,
            symbol=item.symbol,
            action=item.action,
            quantity=item.quantity,
            **fields,
        )
        try:
            orders.append(normalized(order))
        except ValidationFailed as e:
            errors |= {f"orders.{index}.{field}": messages for field, messages in e.context["errors"].items()}
    if errors:
        raise ValidationFailed(summary(errors), errors=errors)
    return orders


def split_orders(request: SplitOrderRequest) -> list[PlaceOrderRequest]:
    """`floor(quantity / splitsize)` orders of `splitsize`, then one for the remainder; at most 100."""
    whole = normalized(PlaceOrderRequest(**request.model_dump(exclude={"apikey", "splitsize"}, exclude_none=True)))
    count, remainder = divmod(Decimal(str(whole.quantity)), request.splitsize)
    if count + (1 if remainder else 0) > MAX_SPLIT_ORDERS:
        message = f"Total number of orders would exceed maximum limit of {MAX_SPLIT_ORDERS}"
        raise ValidationFailed(message, errors={"splitsize": [message]})
    sizes = [Decimal(request.splitsize)] * int(count) + ([remainder] if remainder else [])
    return [whole.model_copy(update={"quantity": float(size)}) for size in sizes]


_AUDIT_INSERT = OrderAudit.__table__.insert()
_CLAIM_INSERT = OrderIntent.__table__.insert()
# How long a request waits for the answer of another request (another worker) placing the same key.
CLAIM_WAIT_SECONDS = 15.0


class OrderDesk:
    """Places orders for users, with the audit trail and idempotency around the broker call."""

    def __init__(self, engine: Engine, router: BrokerRouter, market=None, *, admin=None) -> None:
        self._engine = engine
        self._router = router
        self.market = market  # the unified symbol master and prices, for orders named by option offset
        self._admin = admin  # freeze quantities (gateway.admindata.AdminData), when the gateway keeps them
        self._locks: defaultdict[tuple[int, str], asyncio.Lock] = defaultdict(asyncio.Lock)
        # Audit rows and claims are committed off the event loop, a burst of orders sharing commits.
        self._writer = GroupCommit(engine, name="order-audit")

    async def place(
        self, user: Principal, request: PlaceOrderRequest, *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Place `request`; the answer is the wire body, `mode` included in analyzer mode."""
        request = normalized(request)
        self.check_size(request.exchange, request.symbol, request.quantity)

        async def send(route: Route) -> dict:
            placed = await route.plugin.place_order(account_for(user, route), request)
            return {"status": "success", "orderid": placed.orderid}

        return await self._once(user, request, request.client_order_id or idempotency_key, send)

    def check_size(self, exchange: str, symbol: str, quantity: float) -> None:
        """Refuse one order above the exchange's freeze quantity, before anything is recorded or sent."""
        if self._admin is None:
            return
        instrument = self.market.master.get(exchange, symbol) if self.market is not None else None
        self._admin.check_order_size(exchange, symbol, instrument.name if instrument else None, quantity)

    async def place_smart(self, user: Principal, request: SmartOrderRequest, *, idempotency_key: str | None = None):
        """Move the position to `position_size`; answer OpenAlgo's message when nothing was needed."""
        if request.position_size != int(request.position_size):
            raise ValidationFailed(
                "position_size must be a whole number", errors={"position_size": ["Not a valid integer."]}
            )
        request = request.model_copy(update={"action": request.action.upper()})
        self.check_size(request.exchange, request.symbol, request.quantity)

        async def send(route: Route) -> dict:
            placed = await emulation.place_smart_order(
                route.plugin, account_for(user, route), request, int(request.position_size)
            )
            if isinstance(placed, str):
                return {"status": "success", "message": placed}
            return {"status": "success", "orderid": placed.orderid}

        return await self._once(user, request, request.client_order_id or idempotency_key, send)

    async def place_many(
        self, user: Principal, requests: Sequence[PlaceOrderRequest], *, idempotency_key: str | None = None
    ) -> list[dict | BrokergateError]:
        """Place each request in turn; a failure takes its slot in the answer instead of stopping the rest.

        With `idempotency_key`, child n is placed under `<key>/<n>`, so a retried batch replays each
        child's first outcome.
        """
        outcomes: list[dict | BrokergateError] = []
        for number, request in enumerate(requests, start=1):
            key = request.client_order_id or (f"{idempotency_key}/{number}" if idempotency_key else None)
            try:
                outcomes.append(await self.place(user, request, idempotency_key=key))
            except BrokergateError as e:
                outcomes.append(e)
        return outcomes

    async def place_basket(
        self, user: Principal, request: BasketOrderRequest, *, idempotency_key: str | None = None
    ) -> dict:
        """Place a basket, BUY items before SELL items, and report the items in request order."""
        orders = basket_orders(request)
        route = self._router.route(user)  # no broker session fails the basket once, not once per item
        # Long legs first, so a hedge's short legs find their margin benefit already in place.
        sequence = sorted(range(len(orders)), key=lambda index: orders[index].action != "BUY")
        placed = await self.place_many(user, [orders[index] for index in sequence], idempotency_key=idempotency_key)
        outcomes = dict(zip(sequence, placed, strict=True))
        results = [
            {"symbol": order.symbol, "exchange": order.exchange, "product": order.product, **_result(outcomes[index])}
            for index, order in enumerate(orders)
        ]
        return with_mode({"status": "success", "results": results}, route)

    async def place_split(
        self, user: Principal, request: SplitOrderRequest, *, idempotency_key: str | None = None
    ) -> dict:
        """Place the children of a split order one after another, numbered from 1."""
        children = split_orders(request)
        route = self._router.route(user)
        placed = await self.place_many(user, children, idempotency_key=idempotency_key)
        results = [
            {"order_num": number, "quantity": _number(child.quantity), **_result(outcome)}
            for number, (child, outcome) in enumerate(zip(children, placed, strict=True), start=1)
        ]
        body = {
            "status": "success",
            "total_quantity": _number(sum(child.quantity for child in children)),
            "split_size": request.splitsize,
            "results": results,
        }
        return with_mode(body, route)

    async def place_gtt(self, user: Principal, request: GttOrderRequest) -> dict:
        """Place a GTT already checked by `gateway.gtt.normalized_gtt`."""
        route = self._gtt_route(user)
        payload = {"request": request.model_dump(mode="json", exclude={"apikey"}, exclude_none=True)}
        await self._record(user.user_id, route.broker, "gtt.place.requested", None, None, payload)
        try:
            placed = await route.plugin.gtt_place(account_for(user, route), request)
        except BrokergateError as e:
            await self._record(user.user_id, route.broker, "gtt.place.failed", None, None, {"code": e.code})
            raise
        await self._record(user.user_id, route.broker, "gtt.place.accepted", placed.trigger_id, None, {})
        return with_mode({"status": "success", "trigger_id": placed.trigger_id}, route)

    async def modify_gtt(self, user: Principal, request: ModifyGttOrderRequest) -> dict:
        route = self._gtt_route(user)
        payload = {"request": request.model_dump(mode="json", exclude={"apikey"}, exclude_none=True)}
        await self._record(user.user_id, route.broker, "gtt.modify.requested", request.trigger_id, None, payload)
        placed = await route.plugin.gtt_modify(account_for(user, route), request)
        await self._record(user.user_id, route.broker, "gtt.modify.accepted", placed.trigger_id, None, {})
        return with_mode({"status": "success", "trigger_id": placed.trigger_id}, route)

    async def cancel_gtt(self, user: Principal, trigger_id: str) -> dict:
        route = self._gtt_route(user)
        await self._record(user.user_id, route.broker, "gtt.cancel.requested", trigger_id, None, {})
        placed = await route.plugin.gtt_cancel(account_for(user, route), GttRef(trigger_id=trigger_id))
        await self._record(user.user_id, route.broker, "gtt.cancel.accepted", placed.trigger_id, None, {})
        return with_mode({"status": "success", "trigger_id": placed.trigger_id}, route)

    async def gtt_book(self, user: Principal, status: str = "active") -> dict:
        """The caller's GTTs with `status` (`all` for every one), oldest first."""
        route = self._gtt_route(user)
        entries = await route.plugin.gtt_book(account_for(user, route))
        rows = [entry.model_dump(exclude_none=True) for entry in entries if status in ("all", entry.status)]
        return with_mode({"status": "success", "data": rows}, route)

    def _gtt_route(self, user: Principal) -> Route:
        route = self._router.route(user)
        if route.plugin.manifest.capabilities.gtt is None:
            raise NotSupported(f"GTT orders are not supported for broker '{route.broker}'", broker=route.broker)
        return route

    async def modify(self, user: Principal, request: ModifyOrderRequest) -> dict:
        route = self._router.route(user)
        await self._record(
            user.user_id,
            route.broker,
            "modify.requested",
            request.orderid,
            None,
            {"request": request.model_dump(exclude={"apikey"}, exclude_none=True)},
        )
        placed = await route.plugin.modify_order(account_for(user, route), request)
        await self._record(user.user_id, route.broker, "modify.accepted", placed.orderid, None, {})
        return with_mode({"status": "success", "orderid": placed.orderid, "message": placed.message}, route)

    async def cancel(self, user: Principal, reference: OrderRef) -> dict:
        route = self._router.route(user)
        await self._record(user.user_id, route.broker, "cancel.requested", reference.orderid, None, {})
        placed = await route.plugin.cancel_order(account_for(user, route), reference)
        await self._record(user.user_id, route.broker, "cancel.accepted", placed.orderid, None, {})
        return with_mode({"status": "success", "orderid": placed.orderid, "message": placed.message}, route)

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
        intent = {"fingerprint": _fingerprint(request), "request": payload}
        if key is None:
            await self._record(user.user_id, route.broker, "place.requested", None, None, intent)
        elif not await self._claim(user.user_id, route.broker, key, intent):
            return await self._outcome_of_claimed(user.user_id, key, intent["fingerprint"])
        try:
            answer = with_mode(await send(route), route)
        except BrokergateError as e:
            await self._record(
                user.user_id,
                route.broker,
                "place.failed",
                e.context.get("order_id"),
                key,
                {"code": e.code, "message": e.message, "context": _jsonable(e.context)},
            )
            raise
        await self._record(user.user_id, route.broker, "place.accepted", answer.get("orderid"), key, {"answer": answer})
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

    async def _claim(self, user_id: int, broker: str, key: str, intent: dict) -> bool:
        """Store the intent under `key` with the key's claim, in one transaction; False when the key was taken
        (by another worker, or by an attempt that died before its outcome was stored)."""
        claim = {"user_id": user_id, "client_order_id": key, "created_at": utcnow()}
        try:
            await self._writer.write(
                [
                    (_CLAIM_INSERT, claim),
                    (_AUDIT_INSERT, _audit_row(user_id, broker, "place.requested", None, key, intent)),
                ]
            )
        except IntegrityError:
            return False
        return True

    async def _outcome_of_claimed(self, user_id: int, key: str, fingerprint: str) -> dict:
        """The first attempt's answer once it is stored; the claim holder is placing it right now."""
        deadline = time.monotonic() + CLAIM_WAIT_SECONDS
        while time.monotonic() < deadline:
            if (known := self._replay(user_id, key, fingerprint)) is not None:
                return known
            await asyncio.sleep(0.02)
        raise IdempotencyConflict(
            f"client_order_id {key!r} is being placed by another request, or its first attempt stopped before "
            "the broker answered; check the order book before using a new id"
        )

    async def _record(
        self, user_id: int, broker: str, event: str, order_id: str | None, key: str | None, payload: dict
    ) -> None:
        """Append to the audit; returns once the row is committed."""
        await self._writer.write([(_AUDIT_INSERT, _audit_row(user_id, broker, event, order_id, key, payload))])


def _audit_row(user_id: int, broker: str, event: str, order_id: str | None, key: str | None, payload: dict) -> dict:
    return {
        "user_id": user_id,
        "broker": broker,
        "event": event,
        "order_id": order_id,
        "client_order_id": key,
        "payload": json.dumps(payload, sort_keys=True, default=str),
        "created_at": utcnow(),
    }


def _result(outcome: dict | BrokergateError) -> dict:
    """One child's slot in a batch answer: its order id, or why it failed."""
    if isinstance(outcome, BrokergateError):
        return {"status": "error", "message": outcome.message, "code": outcome.code}
    body = {"status": "success", "orderid": outcome.get("orderid")}
    return {key: value for key, value in body.items() if value is not None}


def _number(quantity: float) -> int | float:
    return int(quantity) if quantity == int(quantity) else quantity


def _fingerprint(request) -> str:
    body = request.model_dump(exclude={"apikey", "client_order_id", "strategy"}, exclude_none=True)
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _jsonable(context: dict) -> dict:
    return {key: value for key, value in context.items() if isinstance(value, str | int | float | bool | None)}
