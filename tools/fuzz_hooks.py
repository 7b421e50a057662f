"""schemathesis hooks for `tools.fuzz`: let some generated orders name instruments that exist.

Random symbols are almost never in the symbol master, so without help nearly every generated order
ends in SYMBOL_NOT_FOUND, placeorder never answers an `orderid`, and the stateful phase cannot follow
the spec's links to modifyorder, cancelorder and orderstatus. For every request body that names a
`symbol` and an `exchange`, this hook also offers a variant with a listed instrument, a product that
segment allows, a small quantity and a MARKET or resting LIMIT price; every other generated field
stays as generated. A wrapper around schemathesis' dependency analysis keeps placeorder a starting
point of stateful scenarios. `tools.fuzz` loads this module through schemathesis'
`SCHEMATHESIS_HOOKS` variable.

For the webhooks (`spec/webhooks.yaml`) part of the cases use the real token `tools.fuzz` created
for the route (a random token only ever answers 404) with a body naming the mapped symbol, so alerts
get past the lookup to validation, the trading mode's rules and order placement.
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis.specs.openapi.stateful import dependencies

# Listed in the offline market on every seed: (symbol, exchange, products allowed there, lot size).
_INSTRUMENTS = [
    ("SBIN", "NSE", ("MIS", "CNC"), 1),
    ("INFY", "NSE", ("MIS", "CNC"), 1),
    ("RELIANCE", "NSE", ("MIS", "CNC"), 1),
    ("TCS", "NSE", ("MIS", "CNC"), 1),
]


def _listed(body: dict[str, Any], instrument: tuple, product: str, quantity: int, limit: bool) -> dict[str, Any]:
    """`body` naming a listed instrument; a LIMIT order's price is far from the market, so it rests."""
    symbol, exchange, _products, lot = instrument
    variant = {**body, "symbol": symbol, "exchange": exchange}
    for name, value in (("product", product), ("quantity", quantity * lot), ("disclosed_quantity", 0)):
        if name in body:
            variant[name] = value
    if "pricetype" in body or "price" in body:
        buying = str(body.get("action", "BUY")).upper() == "BUY"
        variant["pricetype"] = "LIMIT" if limit else "MARKET"
        variant["price"] = (1.0 if buying else 99999.0) if limit else 0
        if "trigger_price" in body:
            variant["trigger_price"] = 0
    variant.pop("client_order_id", None)
    return variant


# The token `tools.fuzz` created for each webhook route; empty in the `/api/v1` runs.
_WEBHOOK_TOKENS: dict[str, str] = json.loads(os.environ.get("BROKERGATE_FUZZ_WEBHOOK_TOKENS") or "{}")
_MAPPED = "SBIN"
# Chartink takes its action from the scan name's words.
_SCAN_NAMES = ["Breakout Buy", "Breakdown Sell", "Gap Short", "Short Cover", "Buy and Sell", "Momentum"]


def _webhook_path(context) -> str | None:
    operation = getattr(context, "operation", None)
    path = getattr(operation, "path", None)
    return path if path in _WEBHOOK_TOKENS else None


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    path = _webhook_path(context)
    if path is None or not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    # Two cases in three take the real token. schemathesis reuses path values that did not answer 404,
    # so once the real token went out it would be the only one left: the random token is drawn here.
    random_token = st.text(st.characters(codec="utf-8"), min_size=1, max_size=128)
    return st.tuples(st.integers(0, 2), random_token).map(
        lambda pick: {**path_parameters, "token": _WEBHOOK_TOKENS[path] if pick[0] else pick[1]}
    )


def _webhook_alert(path: str, body: dict[str, Any]) -> st.SearchStrategy:
    """`body` naming the mapped symbol: a Chartink scan of it, or an alert with or without its exchange."""
    if path.startswith("/chartink/"):
        return st.builds(
            lambda name, price: {**body, "stocks": _MAPPED, "trigger_prices": price, "scan_name": name},
            st.sampled_from(_SCAN_NAMES),
            st.sampled_from(["812.5", "", "x"]),
        )
    return st.builds(
        lambda exchange: {k: v for k, v in {**body, "symbol": _MAPPED, "exchange": exchange}.items() if v is not None},
        st.sampled_from([None, "NSE"]),
    )


@schemathesis.hook
def flatmap_body(context, body):
    path = _webhook_path(context)
    if path is not None:
        return st.one_of(_webhook_alert(path, body), st.just(body)) if isinstance(body, dict) else st.just(body)
    if not (isinstance(body, dict) and "symbol" in body and "exchange" in body):
        return st.just(body)
    variants = st.sampled_from(_INSTRUMENTS).flatmap(
        lambda instrument: st.builds(
            _listed,
            st.just(body),
            st.just(instrument),
            st.sampled_from(instrument[2]),
            st.integers(1, 5),
            st.booleans(),
        )
    )
    return st.one_of(st.just(body), variants)


def _without_client_order_ids(schema):
    # schemathesis reads `client_order_id` as a reference to a "ClientOrder" that no operation
    # creates, and so never starts a stateful scenario at placeorder. It is the caller's own key.
    graph = _analyze(schema)
    for node in graph.operations.values():
        node.inputs[:] = [slot for slot in node.inputs if slot.resource_field != "client_order_id"]
    return graph


# The graph is built lazily after loading, so the analysis itself is wrapped rather than its result
# patched from `after_load_schema` (which runs before the schema knows its base URL).
_analyze = dependencies.analyze
dependencies.analyze = _without_client_order_ids
