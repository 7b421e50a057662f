"""Good-till-triggered orders: validation, margin reservation, triggering on the LTP, expiry.

A GTT is one row whose status moves `active -> triggered | cancelled | expired | rejected` by a
conditional UPDATE, so the two legs of an OCO can never both fire. The stoploss leg fires when the
LTP falls to its trigger, the target leg when it rises to its trigger (the leg's role decides the
direction, as in OpenAlgo). Firing releases the GTT's reservation and places an ordinary order.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import update
from sqlmodel import select

from generated.errors import (
    BrokergateError,
    InsufficientFunds,
    OrderNotFound,
    OrderRejected,
    ValidationFailed,
)
from sandbox.engine.execution import Venue, signed_quantity
from sandbox.engine.margin import order_margin, underlying_price
from sandbox.engine.matching import is_usable
from sandbox.engine.models import (
    Action,
    GttRequest,
    GttStatus,
    GttType,
    OrderRequest,
    PriceType,
    Product,
    to_decimal,
)
from sandbox.engine.orders import place
from sandbox.engine.rules import product_rejection, tradable_instrument
from sandbox.engine.timekeeping import to_storage
from sandbox.engine.transaction import Transaction
from sandbox.market.types import Instrument, Quote
from storage.sandbox_tables import SandboxGtt

_log = logging.getLogger(__name__)

STOPLOSS = "stoploss"
TARGET = "target"


@dataclass(frozen=True, slots=True)
class Leg:
    name: str  # stoploss fires at or below its trigger, target at or above
    trigger: Decimal
    price: Decimal  # the child order's limit; 0 for MARKET


def legs_of(request: GttRequest) -> list[Leg]:
    """Check a GTT request and return its legs, OpenAlgo's rules and messages."""
    if request.product is Product.MIS:
        raise ValidationFailed(
            "GTT supports only CNC (delivery) or NRML (overnight F&O); MIS is intraday-only.", field="product"
        )
    if request.price_type not in (PriceType.LIMIT, PriceType.MARKET):
        raise ValidationFailed("GTT orders are LIMIT or MARKET", field="pricetype")
    is_limit = request.price_type is PriceType.LIMIT
    if request.trigger_type is GttType.SINGLE:
        if request.stoploss_trigger > 0:
            legs = [Leg(STOPLOSS, request.stoploss_trigger, request.price)]
        elif request.target_trigger > 0:
            legs = [Leg(TARGET, request.target_trigger, request.price)]
        else:
            raise ValidationFailed(
                "SINGLE GTT requires a positive triggerprice_sl or triggerprice_tg.", field="triggerprice_sl"
            )
    else:
        for value, field_name, role in (
            (request.stoploss_trigger, "triggerprice_sl", "stoploss trigger"),
            (request.target_trigger, "triggerprice_tg", "target trigger"),
            (request.stoploss_price if is_limit else 1, "stoploss", "stoploss leg limit"),
            (request.target_price if is_limit else 1, "target", "target leg limit"),
        ):
            if not value:
                raise ValidationFailed(f"Required for OCO ({role}).", field=field_name)
        if request.stoploss_trigger >= request.target_trigger:
            raise ValidationFailed(
                "Stoploss trigger must be less than target trigger (triggerprice_tg).",
                field="triggerprice_sl",
            )
        legs = [
            Leg(STOPLOSS, request.stoploss_trigger, request.stoploss_price or Decimal(0)),
            Leg(TARGET, request.target_trigger, request.target_price or Decimal(0)),
        ]
    if not is_limit:
        return [Leg(leg.name, leg.trigger, Decimal(0)) for leg in legs]
    if any(leg.price <= 0 for leg in legs):
        raise ValidationFailed("LIMIT GTT legs require a price", field="price")
    return legs


def stored_legs(row: SandboxGtt) -> list[Leg]:
    legs = []
    if row.stoploss_trigger is not None:
        legs.append(Leg(STOPLOSS, row.stoploss_trigger, row.stoploss_price or Decimal(0)))
    if row.target_trigger is not None:
        legs.append(Leg(TARGET, row.target_trigger, row.target_price or Decimal(0)))
    return legs


def is_hit(leg: Leg, ltp: Decimal) -> bool:
    return ltp <= leg.trigger if leg.name == STOPLOSS else ltp >= leg.trigger


class GttIndex:
    """Active GTTs by (exchange, symbol), so a tick looks only at its own symbol's triggers."""

    def __init__(self) -> None:
        self._by_symbol: dict[tuple[str, str], dict[str, list[Leg]]] = {}
        self._symbol_of: dict[str, tuple[str, str]] = {}
        self.changes = 0  # grows with every add and remove, so an engine can tell its index moved

    def __len__(self) -> int:
        return len(self._symbol_of)

    def symbols(self) -> list[tuple[str, str]]:
        return list(self._by_symbol)

    def add(self, row: SandboxGtt) -> None:
        self.remove(row.gtt_id)
        key = (row.exchange, row.symbol)
        self._by_symbol.setdefault(key, {})[row.gtt_id] = stored_legs(row)
        self._symbol_of[row.gtt_id] = key
        self.changes += 1

    def remove(self, gtt_id: str) -> None:
        key = self._symbol_of.pop(gtt_id, None)
        if key is None:
            return
        self.changes += 1
        entries = self._by_symbol[key]
        del entries[gtt_id]
        if not entries:
            del self._by_symbol[key]

    def hits(self, quote: Quote) -> list[tuple[str, Leg]]:
        entries = self._by_symbol.get((quote.exchange, quote.symbol))
        if not entries or not is_usable(quote):
            return []
        ltp = to_decimal(quote.ltp)
        found = []
        for gtt_id, legs in entries.items():
            hit = next((leg for leg in legs if is_hit(leg, ltp)), None)
            if hit is not None:
                found.append((gtt_id, hit))
        return found


def _margin(
    txn: Transaction, venue: Venue, user_id: int, request: GttRequest, instrument: Instrument
) -> Decimal:
    """The most any one leg could need; only one leg of an OCO can ever fill."""
    position = txn.position(user_id, request.exchange, request.symbol, request.product.value)
    held, held_margin = (position.quantity, position.margin_blocked) if position else (0, Decimal(0))
    signed = signed_quantity(request.action.value, request.quantity)
    underlying = underlying_price(instrument, venue.market) if held + signed < 0 else None
    return max(
        order_margin(
            instrument,
            request.product,
            held,
            held_margin,
            signed,
            leg.price or leg.trigger,
            venue.config,
            underlying,
        )
        for leg in legs_of(request)
    )


def _checked(txn: Transaction, venue: Venue, user_id: int, request: GttRequest) -> tuple[Instrument, Decimal]:
    instrument = tradable_instrument(
        request.exchange, request.symbol, venue.market.master.get(request.exchange, request.symbol)
    )
    legs_of(request)
    reason = product_rejection(instrument, request.product, request.quantity)
    if reason is not None:
        raise OrderRejected(reason, reason=reason)
    return instrument, _margin(txn, venue, user_id, request, instrument)


def _leg_columns(request: GttRequest) -> dict:
    columns = {"stoploss_trigger": None, "stoploss_price": None, "target_trigger": None, "target_price": None}
    for leg in legs_of(request):
        columns[f"{leg.name}_trigger"] = leg.trigger
        columns[f"{leg.name}_price"] = leg.price
    return columns


def _ensure_affordable(txn: Transaction, user_id: int, amount: Decimal) -> None:
    available = txn.ledger.available(user_id)
    if amount > available:
        message = f"Insufficient funds. Required margin: {amount:.2f}, available: {available:.2f}"
        raise InsufficientFunds(message, reason=message)


def place_gtt(
    txn: Transaction, venue: Venue, gtt_index: GttIndex, user_id: int, request: GttRequest
) -> SandboxGtt:
    _instrument, margin = _checked(txn, venue, user_id, request)
    _ensure_affordable(txn, user_id, margin)
    quote = venue.usable_quote(request.exchange, request.symbol)
    expires_at = request.expires_at or txn.now + timedelta(days=venue.config.gtt_expiry_days)
    row = SandboxGtt(
        gtt_id=_new_gtt_id(txn),
        user_id=user_id,
        strategy=request.strategy,
        trigger_type=request.trigger_type.value,
        exchange=request.exchange,
        symbol=request.symbol,
        action=request.action.value,
        product=request.product.value,
        price_type=request.price_type.value,
        quantity=request.quantity,
        last_price=to_decimal(quote.ltp) if quote else Decimal(0),
        status=GttStatus.ACTIVE.value,
        margin_blocked=margin,
        expires_at=to_storage(expires_at),
        created_at=txn.stored_now,
        updated_at=txn.stored_now,
        **_leg_columns(request),
    )
    txn.session.add(row)
    txn.ledger.move(user_id, "block", row.gtt_id, margin_change=margin)
    gtt_index.add(row)
    return row


def _new_gtt_id(txn: Transaction) -> str:
    prefix = f"GTT-{txn.day:%y%m%d}-"
    while True:
        candidate = prefix + secrets.token_hex(4)
        if txn.session.exec(select(SandboxGtt.id).where(SandboxGtt.gtt_id == candidate)).first() is None:
            return candidate


def active_gtt(txn: Transaction, user_id: int, gtt_id: str) -> SandboxGtt:
    row = txn.session.exec(
        select(SandboxGtt).where(
            SandboxGtt.gtt_id == gtt_id,
            SandboxGtt.user_id == user_id,
            SandboxGtt.status == GttStatus.ACTIVE.value,
        )
    ).first()
    if row is None:
        raise OrderNotFound(f"No active GTT with trigger_id '{gtt_id}'", trigger_id=gtt_id)
    return row


def modify_gtt(
    txn: Transaction, venue: Venue, gtt_index: GttIndex, user_id: int, gtt_id: str, request: GttRequest
) -> SandboxGtt:
    """Replace an active GTT's legs, quantity and product; its type, instrument and side stay."""
    row = active_gtt(txn, user_id, gtt_id)
    for name, new in (
        ("trigger_type", request.trigger_type.value),
        ("exchange", request.exchange),
        ("symbol", request.symbol),
        ("action", request.action.value),
    ):
        if getattr(row, name) != new:
            raise ValidationFailed(f"{name} of a GTT cannot be changed (was {getattr(row, name)}, got {new})")
    _instrument, margin = _checked(txn, venue, user_id, request)
    growth = margin - row.margin_blocked
    _ensure_affordable(txn, user_id, growth)
    values = {
        "product": request.product.value,
        "price_type": request.price_type.value,
        "quantity": request.quantity,
        "strategy": request.strategy,
        "margin_blocked": margin,
        **_leg_columns(request),
    }
    if not _transition(txn, row, GttStatus.ACTIVE, values):
        raise OrderNotFound(f"No active GTT with trigger_id '{gtt_id}'", trigger_id=gtt_id)
    txn.ledger.move(user_id, "reprice", gtt_id, margin_change=growth)
    gtt_index.add(row)
    return row


def _transition(txn: Transaction, row: SandboxGtt, status: GttStatus, values: dict | None = None) -> bool:
    values = {"status": status.value, **(values or {}), "updated_at": txn.stored_now}
    result = txn.session.execute(
        update(SandboxGtt)
        .where(SandboxGtt.gtt_id == row.gtt_id, SandboxGtt.status == GttStatus.ACTIVE.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    for name, value in values.items():
        setattr(row, name, value)
    return True


def end_gtt(txn: Transaction, gtt_index: GttIndex, row: SandboxGtt, status: GttStatus) -> bool:
    """Cancel, expire or fire an active GTT, releasing its reservation once."""
    released = row.margin_blocked
    if not _transition(txn, row, status, {"margin_blocked": Decimal(0)}):
        return False
    txn.ledger.move(row.user_id, status.value, row.gtt_id, margin_change=-released)
    gtt_index.remove(row.gtt_id)
    return True


def fire_hits(txn: Transaction, venue: Venue, gtt_index: GttIndex, quote: Quote) -> None:
    for gtt_id, leg in gtt_index.hits(quote):
        row = txn.session.exec(select(SandboxGtt).where(SandboxGtt.gtt_id == gtt_id)).first()
        if row is None or row.status != GttStatus.ACTIVE.value:
            gtt_index.remove(gtt_id)
            continue
        if row.expires_at <= txn.stored_now:
            end_gtt(txn, gtt_index, row, GttStatus.EXPIRED)
            continue
        row.last_price = to_decimal(quote.ltp)
        if not end_gtt(txn, gtt_index, row, GttStatus.TRIGGERED):
            continue
        row.fired_leg = leg.name
        child = OrderRequest(
            exchange=row.exchange,
            symbol=row.symbol,
            action=Action(row.action),
            quantity=row.quantity,
            price_type=PriceType(row.price_type),
            product=Product(row.product),
            price=leg.price,
            strategy=row.strategy,
        )
        try:
            row.order_id = place(
                txn, venue, row.user_id, child, gtt_id=row.gtt_id, quote=quote
            ).order.order_id
        except BrokergateError as e:
            # The instrument left the master since the GTT was placed: mark it, rather than retry each tick.
            row.status = GttStatus.REJECTED.value
            _log.warning("GTT %s fired but its order could not be placed: %s", row.gtt_id, e.message)
        txn.session.add(row)


def expire_due(txn: Transaction, gtt_index: GttIndex) -> None:
    rows = txn.session.exec(
        select(SandboxGtt).where(
            SandboxGtt.status == GttStatus.ACTIVE.value, SandboxGtt.expires_at <= txn.stored_now
        )
    ).all()
    for row in rows:
        end_gtt(txn, gtt_index, row, GttStatus.EXPIRED)
