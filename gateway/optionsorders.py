"""Option orders by offset: resolve each leg to a listed option, then place it through the order desk.

The resolution is `gateway.options.option_symbol_for`, the same one `optionsymbol` answers with, so
a client can preview exactly what an order will trade.
"""

from __future__ import annotations

from gateway.accounts import Principal
from gateway.options import option_symbol_for
from generated.api import OptionsMultiOrderRequest, OptionsOrderRequest, PlaceOrderRequest, SplitOrderRequest
from generated.errors import BrokergateError

_ORDER_FIELDS = ("pricetype", "product", "price", "trigger_price", "disclosed_quantity")


def _resolve(desk, request, leg) -> dict:
    return option_symbol_for(
        desk.market,
        underlying=request.underlying,
        exchange=request.exchange,
        expiry_date=getattr(leg, "expiry_date", None) or request.expiry_date,
        offset=leg.offset,
        option_type=leg.option_type,
        strike_int=request.strike_int,
    )


async def _place_leg(desk, user: Principal, strategy: str, found: dict, leg, key: str | None) -> dict:
    """Place one resolved leg, split when it asks to be; the answer is the order's or the split's."""
    fields = {name: getattr(leg, name) for name in _ORDER_FIELDS if getattr(leg, name) is not None}
    fields.setdefault("product", "MIS")
    order = {
        "strategy": strategy,
        "exchange": found["exchange"],
        "symbol": found["symbol"],
        "action": leg.action.upper(),
        "quantity": leg.quantity,
        **fields,
    }
    if leg.splitsize:
        return await desk.place_split(user, SplitOrderRequest(**order, splitsize=leg.splitsize), idempotency_key=key)
    client_order_id = getattr(leg, "client_order_id", None)
    return await desk.place(user, PlaceOrderRequest(**order, client_order_id=client_order_id), idempotency_key=key)


async def place_options_order(desk, user: Principal, request: OptionsOrderRequest, key: str | None) -> dict:
    found = _resolve(desk, request, request)
    placed = await _place_leg(desk, user, request.strategy, found, request, key)
    described = {
        "symbol": found["symbol"],
        "exchange": found["exchange"],
        "underlying": request.underlying,
        "underlying_ltp": found["underlying_ltp"],
        "offset": request.offset.upper(),
        "option_type": request.option_type.upper(),
    }
    return {**placed, **described}


async def place_options_multiorder(desk, user: Principal, request: OptionsMultiOrderRequest, key: str | None) -> dict:
    """Resolve every leg first, place BUY legs before SELL legs, report in request order."""
    results: dict[int, dict] = {}
    resolved: dict[int, dict] = {}
    underlying_ltp = None
    for number, leg in enumerate(request.legs, start=1):
        described = {
            "leg": number,
            "offset": leg.offset.upper(),
            "option_type": leg.option_type.upper(),
            "action": leg.action.upper(),
        }
        try:
            resolved[number] = _resolve(desk, request, leg)
        except BrokergateError as e:
            results[number] = {**described, "status": "error", "message": e.message, "code": e.code}
            continue
        underlying_ltp = underlying_ltp or resolved[number]["underlying_ltp"]
    # Long legs first, so a spread's short legs find their hedge in place.
    order = sorted(resolved, key=lambda number: (request.legs[number - 1].action.upper() != "BUY", number))
    mode = None
    for number in order:
        leg, found = request.legs[number - 1], resolved[number]
        described = {
            "leg": number,
            "symbol": found["symbol"],
            "exchange": found["exchange"],
            "product": leg.product or "MIS",
            "offset": leg.offset.upper(),
            "option_type": leg.option_type.upper(),
            "action": leg.action.upper(),
        }
        try:
            placed = await _place_leg(desk, user, request.strategy, found, leg, f"{key}/{number}" if key else None)
        except BrokergateError as e:
            results[number] = {**described, "status": "error", "message": e.message, "code": e.code}
            continue
        mode = placed.get("mode", mode)
        if leg.splitsize:
            results[number] = {
                **described,
                "status": "success",
                "total_quantity": placed["total_quantity"],
                "split_size": placed["split_size"],
                "split_results": placed["results"],
            }
        else:
            results[number] = {**described, "status": "success", "orderid": placed["orderid"]}
        if mode:
            results[number]["mode"] = mode
    body = {
        "status": "success",
        "underlying": request.underlying,
        "underlying_ltp": underlying_ltp or 0.0,
        "results": [results[number] for number in sorted(results)],
    }
    if mode:
        body["mode"] = mode
    return body
