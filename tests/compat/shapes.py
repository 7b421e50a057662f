"""OpenAlgo's documented response shapes (analyzer mode), as field names and JSON types.

A shape is a dict of the fields a response must have (more are allowed), a one-item list for "a
list whose every item has this shape", a type (`str`, `int`, `bool`, `NUMBER`, `dict`, `list`) or a
literal value that must match exactly. Written from OpenAlgo's API reference, not from our spec, so
that the spec is checked against something it did not write.
"""

from __future__ import annotations

from typing import Any

NUMBER = (int, float)


def mismatches(value: Any, shape: Any, where: str = "$") -> list[str]:
    """Every way `value` differs from `shape`, as `path: problem` lines; empty when it conforms."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {type(value).__name__}"]
        found = []
        for key, inner in shape.items():
            if key not in value:
                found.append(f"{where}.{key}: missing")
            else:
                found += mismatches(value[key], inner, f"{where}.{key}")
        return found
    if isinstance(shape, list):
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        return [problem for i, item in enumerate(value) for problem in mismatches(item, shape[0], f"{where}[{i}]")]
    if isinstance(shape, type | tuple):
        wanted = shape if isinstance(shape, tuple) else (shape,)
        if isinstance(value, bool) and bool not in wanted:
            return [f"{where}: expected {shape}, got a boolean"]
        return [] if isinstance(value, wanted) else [f"{where}: expected {shape}, got {type(value).__name__}"]
    return [] if value == shape else [f"{where}: expected {shape!r}, got {value!r}"]


ANALYZE = {"status": "success", "mode": "analyze"}
ORDER_ID = ANALYZE | {"orderid": str}
ORDER_ID_MESSAGE = ORDER_ID | {"message": str}
ORDER = {
    "orderid": str,
    "symbol": str,
    "exchange": str,
    "action": str,
    "quantity": int,
    "price": NUMBER,
    "trigger_price": NUMBER,
    "pricetype": str,
    "product": str,
    "order_status": str,
    "timestamp": str,
    "average_price": NUMBER,
    "filled_quantity": int,
    "pending_quantity": int,
    "strategy": str,
}
ORDER_STATUS = ANALYZE | {"data": {**ORDER, "price_type": str}}
ORDER_BOOK = ANALYZE | {
    "data": {
        "orders": [ORDER],
        "statistics": {
            "total_buy_orders": int,
            "total_sell_orders": int,
            "total_completed_orders": int,
            "total_open_orders": int,
            "total_rejected_orders": int,
            "total_trigger_pending_orders": int,
        },
    }
}
TRADE_BOOK = ANALYZE | {
    "data": [
        {
            "symbol": str,
            "exchange": str,
            "product": str,
            "action": str,
            "quantity": int,
            "average_price": NUMBER,
            "trade_value": NUMBER,
            "orderid": str,
            "timestamp": str,
            "tradeid": str,
            "price": NUMBER,
            "strategy": str,
        }
    ]
}
POSITION_BOOK = ANALYZE | {
    "data": [
        {
            "symbol": str,
            "exchange": str,
            "product": str,
            "quantity": int,
            "average_price": NUMBER,
            "ltp": NUMBER,
            "pnl": NUMBER,
            "unrealized_pnl": NUMBER,
            "today_realized_pnl": NUMBER,
            "total_pnl_today": NUMBER,
        }
    ],
    "total_pnl": NUMBER,
    "total_unrealized_pnl": NUMBER,
    "total_today_realized_pnl": NUMBER,
    "total_pnl_today": NUMBER,
}
HOLDINGS = ANALYZE | {
    "data": {
        "holdings": [
            {"symbol": str, "exchange": str, "quantity": int, "product": str, "average_price": NUMBER, "pnl": NUMBER}
        ],
        "statistics": {
            "totalholdingvalue": NUMBER,
            "totalinvvalue": NUMBER,
            "totalprofitandloss": NUMBER,
            "totalpnlpercentage": NUMBER,
        },
    }
}
FUNDS = ANALYZE | {
    "data": {
        "availablecash": NUMBER,
        "collateral": NUMBER,
        "m2mrealized": NUMBER,
        "m2munrealized": NUMBER,
        "utiliseddebits": NUMBER,
    }
}
CANCEL_ALL = ANALYZE | {"message": str, "canceled_orders": [str], "failed_cancellations": list}
CLOSE_POSITION = ANALYZE | {"message": str}
BASKET = ANALYZE | {"results": [{"symbol": str, "status": str}]}
SPLIT = ANALYZE | {
    "total_quantity": int,
    "split_size": int,
    "results": [{"order_num": int, "quantity": int, "status": str}],
}
SMART = ANALYZE
OPEN_POSITION = ANALYZE | {"quantity": int}
GTT_ID = ANALYZE | {"trigger_id": str}
GTT_BOOK = ANALYZE | {
    "data": [
        {
            "trigger_id": str,
            "trigger_type": str,
            "status": str,
            "symbol": str,
            "exchange": str,
            "trigger_prices": [NUMBER],
            "legs": [{"action": str, "quantity": int, "price": NUMBER, "pricetype": str, "product": str}],
        }
    ]
}
QUOTE = {
    "ask": NUMBER,
    "bid": NUMBER,
    "high": NUMBER,
    "low": NUMBER,
    "ltp": NUMBER,
    "open": NUMBER,
    "prev_close": NUMBER,
    "volume": int,
    "oi": int,
}
QUOTES = {"status": "success", "data": QUOTE}
MULTI_QUOTES = {"status": "success", "results": [{"symbol": str, "exchange": str, "data": QUOTE}]}
LEVEL = {"price": NUMBER, "quantity": int}
DEPTH = {
    "status": "success",
    "data": {
        "asks": [LEVEL],
        "bids": [LEVEL],
        "high": NUMBER,
        "low": NUMBER,
        "ltp": NUMBER,
        "ltq": int,
        "oi": int,
        "open": NUMBER,
        "prev_close": NUMBER,
        "totalbuyqty": int,
        "totalsellqty": int,
        "volume": int,
    },
}
HISTORY = {
    "status": "success",
    "data": [
        {"timestamp": int, "open": NUMBER, "high": NUMBER, "low": NUMBER, "close": NUMBER, "volume": int, "oi": int}
    ],
}
INTERVALS = {
    "status": "success",
    "data": {"seconds": [str], "minutes": [str], "hours": [str], "days": [str], "weeks": [str], "months": [str]},
}
INSTRUMENT = {
    "symbol": str,
    "brsymbol": str,
    "name": str,
    "exchange": str,
    "brexchange": str,
    "token": str,
    "expiry": str,
    "strike": NUMBER,
    "lotsize": int,
    "instrumenttype": str,
    "tick_size": NUMBER,
}
SYMBOL = {"status": "success", "data": INSTRUMENT}
INSTRUMENT_LIST = {"status": "success", "data": [INSTRUMENT]}
EXPIRY = {"status": "success", "message": str, "data": [str]}
SYNTHETIC_FUTURE = {
    "status": "success",
    "underlying": str,
    "underlying_ltp": NUMBER,
    "expiry": str,
    "atm_strike": NUMBER,
    "synthetic_future_price": NUMBER,
}
ANALYZER = {"status": "success", "data": {"mode": str, "analyze_mode": bool, "total_logs": int}}
MARGIN = {
    "status": "success",
    "data": {"total_margin_required": NUMBER, "span_margin": NUMBER, "exposure_margin": NUMBER},
}
GREEKS = {
    "status": "success",
    "symbol": str,
    "exchange": str,
    "underlying": str,
    "strike": NUMBER,
    "option_type": str,
    "expiry_date": str,
    "days_to_expiry": NUMBER,
    "spot_price": NUMBER,
    "option_price": NUMBER,
    "interest_rate": NUMBER,
    "implied_volatility": NUMBER,
    "greeks": {"delta": NUMBER, "gamma": NUMBER, "theta": NUMBER, "vega": NUMBER, "rho": NUMBER},
}
OPTION_SYMBOL = {
    "status": "success",
    "symbol": str,
    "exchange": str,
    "lotsize": int,
    "tick_size": NUMBER,
    "freeze_qty": int,
    "underlying_ltp": NUMBER,
}
OPTIONS_ORDER = ANALYZE | {
    "orderid": str,
    "symbol": str,
    "exchange": str,
    "underlying": str,
    "underlying_ltp": NUMBER,
    "offset": str,
    "option_type": str,
}
OPTIONS_MULTI_ORDER = ANALYZE | {
    "underlying": str,
    "underlying_ltp": NUMBER,
    "results": [{"leg": int, "offset": str, "option_type": str, "action": str, "status": str}],
}
OPTION_LEG = {"symbol": str, "label": str, "ltp": NUMBER, "bid": NUMBER, "ask": NUMBER, "lotsize": int}
OPTION_CHAIN = {
    "status": "success",
    "underlying": str,
    "underlying_ltp": NUMBER,
    "expiry_date": str,
    "atm_strike": NUMBER,
    "chain": [{"strike": NUMBER, "ce": OPTION_LEG, "pe": OPTION_LEG}],
}
SESSION = {"exchange": str, "start_time": int, "end_time": int}
HOLIDAYS = {
    "status": "success",
    "data": [
        {"date": str, "description": str, "holiday_type": str, "closed_exchanges": [str], "open_exchanges": [SESSION]}
    ],
}
TIMINGS = {"status": "success", "data": [SESSION]}
NOTIFY = {"status": "success"}
