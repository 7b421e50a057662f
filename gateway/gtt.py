"""The rules a good-till-triggered order must meet before any broker sees it (OpenAlgo's, and its words).

A SINGLE trigger uses `triggerprice_sl` when it is set and `triggerprice_tg` otherwise, and the unused
fields are cleared; an OCO needs both triggers, the stoploss one below the target one, and with LIMIT
legs both leg prices. Only CNC and NRML are allowed: a GTT may wait for days and MIS ends today.
"""

from __future__ import annotations

from typing import TypeVar

from gateway.validation import summary
from generated.api import GttOrderRequest, ModifyGttOrderRequest
from generated.errors import ValidationFailed

Request = TypeVar("Request", GttOrderRequest, ModifyGttOrderRequest)

MIS_REFUSAL = "GTT supports only CNC (delivery) or NRML (overnight F&O); MIS is intraday-only."
SINGLE_NEEDS_TRIGGER = "SINGLE GTT requires a positive triggerprice_sl or triggerprice_tg."
TRIGGERS_OUT_OF_ORDER = "Stoploss trigger must be less than target trigger (triggerprice_tg)."


def normalized_gtt(request: Request) -> Request:
    """Check `request` against the SINGLE/OCO rules; return it uppercased, with defaults and unused fields cleared."""
    errors: dict[str, list[str]] = {}
    trigger_type, pricetype = request.trigger_type.upper(), request.pricetype or "LIMIT"
    stoploss_trigger, target_trigger = request.triggerprice_sl or 0.0, request.triggerprice_tg or 0.0
    if request.product == "MIS":
        errors["product"] = [MIS_REFUSAL]
    if request.exchange != "CRYPTO" and request.quantity != int(request.quantity):
        errors["quantity"] = [f"Fractional quantity ({request.quantity}) is not allowed for non-crypto exchanges."]
    if trigger_type == "SINGLE":
        if stoploss_trigger <= 0 and target_trigger <= 0:
            errors["triggerprice_sl"] = [SINGLE_NEEDS_TRIGGER]
        elif pricetype == "LIMIT" and not request.price:
            errors["price"] = ["A LIMIT GTT needs a positive price."]
        legs = {"stoploss": None, "target": None}
        legs |= {"triggerprice_tg": 0.0} if stoploss_trigger > 0 else {"triggerprice_sl": 0.0}
    else:
        required = [
            ("triggerprice_sl", stoploss_trigger, "stoploss trigger"),
            ("triggerprice_tg", target_trigger, "target trigger"),
        ]
        if pricetype == "LIMIT":  # a MARKET leg has no limit price to give
            required += [
                ("stoploss", request.stoploss, "stoploss leg limit"),
                ("target", request.target, "target leg limit"),
            ]
        for field, value, role in required:
            if not value:
                errors[field] = [f"Required for OCO ({role})."]
        if stoploss_trigger and target_trigger and stoploss_trigger >= target_trigger:
            errors.setdefault("triggerprice_sl", []).append(TRIGGERS_OUT_OF_ORDER)
        legs = {"stoploss": request.stoploss or None, "target": request.target or None}
    if errors:
        raise ValidationFailed(summary(errors), errors=errors)
    return request.model_copy(
        update={
            "trigger_type": trigger_type,
            "action": request.action.upper(),
            "pricetype": pricetype,
            "quantity": float(request.quantity),
            "triggerprice_sl": stoploss_trigger,
            "triggerprice_tg": target_trigger,
            **legs,
        }
    )
