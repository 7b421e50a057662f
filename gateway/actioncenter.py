"""Semi-auto mode (OpenAlgo's Action Center): orders wait for their owner's approval before placing.

A user's `order_mode` is `auto` or `semi_auto`. In semi-auto, placeorder, placesmartorder, basketorder,
splitorder and placegttorder are checked exactly as they would be before placing (unlike OpenAlgo, which
queues whatever passes its schema) and then stored as pending. Approving places the stored request through
the order desk; a conditional UPDATE lets one approval through, however many arrive at once, and the
desk's idempotency key `pending:<id>` keeps a retried approval from placing twice. On a live broker,
modifying and cancelling are refused in semi-auto mode, with OpenAlgo's messages.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine, update
from sqlmodel import select

from gateway.accounts import Accounts, Principal
from gateway.gtt import normalized_gtt
from gateway.optionsorders import place_options_multiorder, place_options_order
from gateway.orders import OrderDesk, basket_orders, normalized, split_orders
from gateway.routing import BrokerRouter
from gateway.validation import summary
from generated.api import (
    BasketOrderRequest,
    GttOrderRequest,
    OptionsMultiOrderRequest,
    OptionsOrderRequest,
    PlaceOrderRequest,
    SmartOrderRequest,
    SplitOrderRequest,
)
from generated.errors import (
    BrokergateError,
    Forbidden,
    OrderNotFound,
    OrderNotModifiable,
    SymbolNotFound,
    ValidationFailed,
)
from storage import QueuedOrder, session_scope, utcnow

AUTO, SEMI_AUTO = "auto", "semi_auto"
PENDING, APPROVED, FAILED, REJECTED = "pending", "approved", "failed", "rejected"
QUEUED_MESSAGE = "Order queued for approval in Action Center"

# What OpenAlgo answers when a live account in semi-auto mode tries to change its orders (§5.2).
REFUSALS = {
    "modifyorder": "Modify order operation is not allowed in Semi-Auto mode. "
    "Please switch to Auto mode to modify orders.",
    "cancelorder": "Cancel order operation is not allowed in Semi-Auto mode. "
    "Please switch to Auto mode to cancel orders.",
    "cancelallorder": "Cancel all orders operation is not allowed in Semi-Auto mode. "
    "Please switch to Auto mode to cancel orders.",
    "closeposition": "Close position operation is not allowed in Semi-Auto mode. "
    "Please switch to Auto mode to close positions.",
    "modifygttorder": "Modify GTT order is not allowed in Semi-Auto mode. Switch to Auto mode.",
    "cancelgttorder": "Cancel GTT order is not allowed in Semi-Auto mode. Switch to Auto mode.",
}

Place = Callable[[OrderDesk, Principal, Any, str | None], Awaitable[dict]]


@dataclass(frozen=True, slots=True)
class _Kind:
    model: type[BaseModel]
    check: Callable[[Any], Any]  # the request as it will be placed, or a ValidationFailed
    instruments: Callable[[Any], list[tuple[str, str]]]
    place: Place


def _checked_smart_order(request: SmartOrderRequest) -> SmartOrderRequest:
    # The desk repeats these checks when it places; they are made here so nothing invalid is queued.
    errors = {}
    if request.position_size != int(request.position_size):
        errors["position_size"] = ["Not a valid integer."]
    if request.exchange != "CRYPTO" and request.quantity != int(request.quantity):
        errors["quantity"] = [f"Fractional quantity ({request.quantity}) is not allowed for non-crypto exchanges."]
    if errors:
        raise ValidationFailed(summary(errors), errors=errors)
    return request


def _checked_basket(request: BasketOrderRequest) -> BasketOrderRequest:
    basket_orders(request)
    return request


def _checked_split(request: SplitOrderRequest) -> SplitOrderRequest:
    split_orders(request)
    return request


def _one(request) -> list[tuple[str, str]]:
    return [(request.exchange, request.symbol)]


KINDS: dict[str, _Kind] = {
    "placeorder": _Kind(
        PlaceOrderRequest,
        normalized,
        _one,
        lambda desk, user, request, key: desk.place(user, request, idempotency_key=key),
    ),
    "smartorder": _Kind(
        SmartOrderRequest,
        _checked_smart_order,
        _one,
        lambda desk, user, request, key: desk.place_smart(user, request, idempotency_key=key),
    ),
    "basketorder": _Kind(
        BasketOrderRequest,
        _checked_basket,
        lambda request: [(item.exchange, item.symbol) for item in request.orders],
        lambda desk, user, request, key: desk.place_basket(user, request, idempotency_key=key),
    ),
    "splitorder": _Kind(
        SplitOrderRequest,
        _checked_split,
        _one,
        lambda desk, user, request, key: desk.place_split(user, request, idempotency_key=key),
    ),
    "optionsorder": _Kind(
        OptionsOrderRequest,
        lambda request: request,
        lambda request: [],
        place_options_order,
    ),
    "optionsmultiorder": _Kind(
        OptionsMultiOrderRequest,
        lambda request: request,
        lambda request: [],
        place_options_multiorder,
    ),
    "placegttorder": _Kind(
        GttOrderRequest,
        normalized_gtt,
        _one,
        lambda desk, user, request, key: desk.place_gtt(user, request),
    ),
}


class ActionCenter:
    """Each user's order mode, their queue of pending orders, and its approvals and rejections."""

    def __init__(self, engine: Engine, desk: OrderDesk, router: BrokerRouter, master, accounts: Accounts) -> None:
        self._engine = engine
        self._accounts = accounts
        self._desk = desk
        self._router = router
        self._master = master  # the unified symbol master: a queued order must name a real instrument

    @classmethod
    def of(cls, services) -> ActionCenter:
        """The action center over the gateway's services; it keeps no state of its own outside the database."""
        return cls(services.engine, services.orders, services.router, services.market.master, services.accounts)

    # The mode

    def order_mode(self, user: Principal) -> str:
        return self._accounts.settings(user.user_id).order_mode or AUTO  # cached: read on every order

    def set_order_mode(self, user: Principal, mode: str) -> str:
        self._accounts.set_order_mode(user.user_id, mode)
        return mode

    def refuse_in_semi_auto(self, user: Principal, operation: str) -> None:
        """Refuse a change to live orders while the user approves each order (analyzer mode is exempt)."""
        if self.order_mode(user) == SEMI_AUTO and not self._router.is_analyze(user):
            raise Forbidden(REFUSALS[operation])

    # Placing or queueing

    async def submit(self, user: Principal, kind: str, request: BaseModel, *, idempotency_key: str | None = None):
        """Place `request` at once in auto mode; in semi-auto mode check it and queue it."""
        spec = KINDS[kind]
        checked = spec.check(request)
        if self.order_mode(user) != SEMI_AUTO:
            return await spec.place(self._desk, user, checked, idempotency_key)
        for exchange, symbol in spec.instruments(checked):
            if self._master.get(exchange, symbol) is None:
                raise SymbolNotFound(f"Symbol {symbol} not found on {exchange}")
        payload = checked.model_dump_json(exclude={"apikey"}, exclude_none=True)
        with session_scope(self._engine) as session:
            row = QueuedOrder(user_id=user.user_id, kind=kind, request=payload)
            session.add(row)
            session.flush()
            pending_id = row.id
        return {"status": "success", "message": QUEUED_MESSAGE, "mode": SEMI_AUTO, "pending_order_id": pending_id}

    # The queue

    def pending_orders(self, user: Principal, status: str = PENDING) -> list[dict]:
        query = select(QueuedOrder).where(QueuedOrder.user_id == user.user_id)
        if status != "all":
            query = query.where(QueuedOrder.status == status)
        with session_scope(self._engine) as session:
            rows = session.exec(query.order_by(QueuedOrder.id)).all()
        return [_listed(row) for row in rows]

    async def approve(self, user: Principal, pending_id: int) -> dict:
        """Place a pending order once; its own endpoint's answer comes back with `pending_order_id`."""
        row = self._decide(user, pending_id, APPROVED)
        spec = KINDS[row.kind]
        request = spec.model.model_validate_json(row.request)
        try:
            answer = await spec.place(self._desk, user, request, f"pending:{row.id}")
        except BrokergateError as e:
            self._record_outcome(row.id, FAILED, {"status": "error", "message": e.message, "code": e.code})
            raise
        self._record_outcome(row.id, APPROVED, answer)
        return {**answer, "pending_order_id": row.id}

    def reject(self, user: Principal, pending_id: int) -> dict:
        self._decide(user, pending_id, REJECTED)
        return {"status": "success", "pending_order_id": pending_id, "message": f"Pending order {pending_id} rejected"}

    def _decide(self, user: Principal, pending_id: int, status: str) -> QueuedOrder:
        """Move a pending order to `status`; only one decision ever succeeds, here or in another process."""
        with session_scope(self._engine) as session:
            moved = session.execute(
                update(QueuedOrder)
                .where(
                    QueuedOrder.id == pending_id,
                    QueuedOrder.user_id == user.user_id,
                    QueuedOrder.status == PENDING,
                )
                .values(status=status, decided_at=utcnow())
                .execution_options(synchronize_session=False)
            ).rowcount
            row = session.exec(
                select(QueuedOrder).where(QueuedOrder.id == pending_id, QueuedOrder.user_id == user.user_id)
            ).first()
        if row is None:
            raise OrderNotFound(f"No pending order {pending_id}")
        if moved != 1:
            raise OrderNotModifiable(f"Pending order {pending_id} was already {row.status}")
        return row

    def _record_outcome(self, pending_id: int, status: str, outcome: dict) -> None:
        with session_scope(self._engine) as session:
            session.execute(
                update(QueuedOrder)
                .where(QueuedOrder.id == pending_id)
                .values(status=status, outcome=json.dumps(outcome, default=str))
                .execution_options(synchronize_session=False)
            )


def _listed(row: QueuedOrder) -> dict:
    listed = {
        "pending_order_id": row.id,
        "kind": row.kind,
        "status": row.status,
        "request": json.loads(row.request),
        "outcome": json.loads(row.outcome) if row.outcome else None,
        "created_at": row.created_at.isoformat(),
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
    }
    return {key: value for key, value in listed.items() if value is not None}
