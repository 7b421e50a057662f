"""The kit's numbered checks. Each takes a harness and answers a Result; they run in order on one harness.

C01 manifest valid                        C06 error taxonomy
C02 capabilities work, the rest NotSupported C07 outbound rate limits never exceeded
C03 symbol mapping round-trips            C08 session rollover detected and recovered
C04 order lifecycle maps to unified statuses C09 streaming decode, reconnect, resubscribe
C05 books and funds match the truth       C10 outgoing requests match the upstream description
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from brokers.common.pacing import ALL
from brokers.registry import read_yaml
from gateway.gtt import normalized_gtt
from generated.api import (
    Candle,
    Funds,
    GttEntry,
    GttOrderRequest,
    HistoryRequest,
    HoldingsBook,
    InstrumentRecord,
    IntervalGroups,
    MarginRequest,
    MarginResult,
    MarketDepth,
    ModifyGttOrderRequest,
    ModifyOrderRequest,
    OrderBook,
    OrderDetail,
    Position,
    Quote,
    QuoteResult,
    Trade,
)
from generated.contract import GttRef, InstrumentRef, LoginRedirect, LoginStart, Manifest, OrderRef, PlacedOrder
from generated.errors import BrokergateError, NotSupported
from sandbox.market import InstrumentType, parse_expiry, parse_symbol
from tools.conformance.harness import Harness, order_request

CONTRACT = read_yaml(Path(__file__).resolve().parents[2] / "contracts" / "broker-plugin.yaml")
CONTRACT_ERRORS = set(CONTRACT["errors"])
PASS, FAIL, SKIP = "pass", "FAIL", "n/a"
# Request times seen by the simulator may differ from the client's by scheduling jitter.
PACING_TOLERANCE = 0.01


@dataclass(frozen=True)
class Result:
    code: str
    title: str
    outcome: str
    detail: str


class CheckFailed(Exception):
    """A check's finding, phrased so a contributor knows what to fix."""


class NotApplicable(Exception):
    """The check does not apply to this broker, and says why."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


async def expect_error(codes: set[str], call: Awaitable[Any], doing: str) -> BrokergateError:
    """Await `call`, which must raise a brokergate error with one of `codes`."""
    try:
        answer = await call
    except BrokergateError as e:
        expect(e.code in codes, f"{doing} raised {e.code} ({e.message}); expected {' or '.join(sorted(codes))}")
        return e
    raise CheckFailed(f"{doing} answered {type(answer).__name__} instead of raising {' or '.join(sorted(codes))}")


def _ltp(harness: Harness, exchange: str, symbol: str) -> float:
    return harness.market.quote(exchange, symbol).ltp


def _tick_round(price: float, tick: float = 0.05) -> float:
    return round(round(price / tick) * tick, 2)


# C01


async def c01_manifest(harness: Harness) -> str:
    try:
        manifest = Manifest.model_validate(harness.manifest)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in e.errors())
        raise CheckFailed(f"manifest.yaml does not match the contract's Manifest schema: {problems}") from e
    expect(manifest.id == harness.broker, f"manifest id {manifest.id!r} is not the folder name {harness.broker!r}")
    expect(bool(manifest.exchanges), "manifest.yaml lists no exchanges")
    plugin_manifest = getattr(harness.plugin, "manifest", None)
    expect(plugin_manifest == manifest, "the plugin's `manifest` attribute is not the manifest.yaml beside it")
    if manifest.auth != "none":
        expect(manifest.capabilities.login is not None, f"auth is {manifest.auth}, but the login capability is absent")
        expect(bool(manifest.credentials), "a broker with a login must list the credentials a user enters")
        expect(bool(manifest.rate_limits), "a live broker must declare its outbound rate limits")
    if manifest.auth == "form_totp":
        expect(bool(manifest.login_fields), "a form_totp broker must list its login_fields (what the user types at each login)")
    return f"{len(manifest.capabilities.model_dump(exclude_none=True))} capabilities, {len(manifest.rate_limits)} rate limits"


# C02


def _samples(harness: Harness) -> dict[str, Callable[[], Awaitable[Any]]]:
    """One call per contract operation, with inputs the offline market can serve."""
    plugin, account = harness.plugin, harness.account
    ltp = _ltp(harness, "NSE", "SBIN")
    resting_price = _tick_round(ltp * 0.8)
    state: dict[str, str] = {}

    async def place() -> PlacedOrder:
        placed = await plugin.place_order(account, order_request("NSE", "SBIN", "BUY", 1, pricetype="LIMIT", price=resting_price))
        state["orderid"] = placed.orderid
        return placed

    async def modify() -> PlacedOrder:
        request = ModifyOrderRequest(
            strategy="conformance", orderid=state.get("orderid", "0"), exchange="NSE", symbol="SBIN", action="BUY",
            product="CNC", pricetype="LIMIT", price=_tick_round(resting_price * 0.99), quantity=1,
        )  # fmt: skip
        return await plugin.modify_order(account, request)

    gtt_fields = {"strategy": "conformance", "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "product": "CNC",
                  "quantity": 1, "pricetype": "LIMIT", "price": resting_price, "triggerprice_sl": resting_price}  # fmt: skip

    async def gtt_place() -> GttRef:
        ref = await plugin.gtt_place(account, normalized_gtt(GttOrderRequest(trigger_type="SINGLE", **gtt_fields)))
        state["trigger_id"] = ref.trigger_id
        return ref

    async def gtt_modify() -> GttRef:
        request = ModifyGttOrderRequest(trigger_type="SINGLE", trigger_id=state.get("trigger_id", "0"), **gtt_fields)
        return await plugin.gtt_modify(account, normalized_gtt(request))

    today = datetime.now(UTC).date()
    sbin = InstrumentRef(exchange="NSE", symbol="SBIN")
    history = HistoryRequest(symbol="SBIN", exchange="NSE", interval="D", start_date=today - timedelta(days=10), end_date=today)
    margin = MarginRequest(positions=[{"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": 1,
                                       "product": "CNC", "pricetype": "MARKET"}])  # fmt: skip
    return {
        "place_order": place,
        "modify_order": modify,
        "order_status": lambda: plugin.order_status(account, OrderRef(orderid=state.get("orderid", "0"))),
        "cancel_order": lambda: plugin.cancel_order(account, OrderRef(orderid=state.get("orderid", "0"))),
        "order_book": lambda: plugin.order_book(account),
        "trade_book": lambda: plugin.trade_book(account),
        "positions": lambda: plugin.positions(account),
        "holdings": lambda: plugin.holdings(account),
        "funds": lambda: plugin.funds(account),
        "margin": lambda: plugin.margin(account, margin),
        "quote": lambda: plugin.quote(account, sbin),
        "multi_quotes": lambda: plugin.multi_quotes(account, [sbin, InstrumentRef(exchange="NSE", symbol="RELIANCE")]),
        "depth": lambda: plugin.depth(account, sbin),
        "history": lambda: plugin.history(account, history),
        "intervals": lambda: plugin.intervals(account),
        "symbol_master": lambda: plugin.symbol_master(account),
        "gtt_place": gtt_place,
        "gtt_modify": gtt_modify,
        "gtt_book": lambda: plugin.gtt_book(account),
        "gtt_cancel": lambda: plugin.gtt_cancel(account, GttRef(trigger_id=state.get("trigger_id", "0"))),
        "login_url": lambda: plugin.login_url(account, LoginStart(redirect_url="http://127.0.0.1:5000/cb", state="s")),
        "complete_login": lambda: plugin.complete_login(account, {"params": {}}),
    }


# What each operation must answer: a model, or a list of one.
SHAPES: dict[str, tuple[type, bool]] = {
    "place_order": (PlacedOrder, False), "modify_order": (PlacedOrder, False), "cancel_order": (PlacedOrder, False),
    "order_status": (OrderDetail, False), "order_book": (OrderBook, False), "trade_book": (Trade, True),
    "positions": (Position, True), "holdings": (HoldingsBook, False), "funds": (Funds, False),
    "margin": (MarginResult, False), "quote": (Quote, False), "multi_quotes": (QuoteResult, True),
    "depth": (MarketDepth, False), "history": (Candle, True), "intervals": (IntervalGroups, False),
    "symbol_master": (InstrumentRecord, True), "gtt_place": (GttRef, False), "gtt_modify": (GttRef, False),
    "gtt_cancel": (GttRef, False), "gtt_book": (GttEntry, True), "login_url": (LoginRedirect, False),
}  # fmt: skip
# complete_login needs the broker's redirect, so C08 exercises it; the rest run here in this order.
C02_ORDER = [name for name in SHAPES if name not in ("order_status", "cancel_order")]
C02_ORDER[C02_ORDER.index("modify_order") + 1 : C02_ORDER.index("modify_order") + 1] = ["order_status", "cancel_order"]


def shape_problem(operation: str, answer: Any) -> str | None:
    model, is_list = SHAPES[operation]
    if is_list:
        if not isinstance(answer, list):
            return f"{operation} answered {type(answer).__name__}; the contract says list[{model.__name__}]"
        wrong = next((item for item in answer if not isinstance(item, model)), None)
        if wrong is not None:
            return f"{operation} answered a list holding {type(wrong).__name__}; the contract says list[{model.__name__}]"
        return None
    if not isinstance(answer, model):
        return f"{operation} answered {type(answer).__name__}; the contract says {model.__name__}"
    return None


async def c02_capabilities(harness: Harness) -> str:
    samples = _samples(harness)
    declared = harness.capabilities
    problems, worked, refused = [], 0, 0
    for operation in C02_ORDER:
        if operation == "login_url" and harness.manifest.get("auth") in ("form_totp", "api_secret"):
            continue  # a form or app-key login has no login page; C08 checks that login_url refuses
        capability = CONTRACT["operations"][operation]["capability"]
        if not callable(getattr(harness.plugin, operation, None)):
            problems.append(f"the plugin has no `{operation}` operation (contracts/broker-plugin.yaml requires it)")
            continue
        try:
            answer = await samples[operation]()
        except NotSupported as e:
            if capability in declared:
                problems.append(f"{operation} raised NOT_SUPPORTED, but the manifest declares `{capability}`: {e.message}")
            else:
                refused += 1
            continue
        except BrokergateError as e:
            problems.append(f"{operation} raised {e.code}: {e.message}")
            continue
        if capability not in declared:
            problems.append(f"{operation} answered, but `{capability}` is not in the manifest; declare it or raise NotSupported")
        elif problem := shape_problem(operation, answer):
            problems.append(problem)
        else:
            worked += 1
    expect(not problems, "; ".join(problems))
    return f"{worked} operations answered with the contract's shapes, {refused} refused with NOT_SUPPORTED"


# C03

_TYPES = {"EQ": InstrumentType.EQUITY, "INDEX": InstrumentType.INDEX, "FUT": InstrumentType.FUTURE,
          "CE": InstrumentType.CALL, "PE": InstrumentType.PUT}  # fmt: skip


async def c03_symbols(harness: Harness) -> str:
    if "symbol_master" not in harness.capabilities:
        raise NotApplicable("the manifest does not declare symbol_master")
    rows = await harness.plugin.symbol_master(harness.account)
    problems = []
    for key, label in (((lambda row: (row.exchange, row.symbol)), "unified"), ((lambda row: (row.brexchange, row.brsymbol)), "broker")):
        repeated = [name for name, count in Counter(map(key, rows)).items() if count > 1]
        if repeated:
            problems.append(f"{len(repeated)} {label} names appear twice, e.g. {repeated[0]}")
    by_type: dict[str, list[InstrumentRecord]] = {}
    for row in rows:
        by_type.setdefault(row.instrumenttype, []).append(row)
    truth_types = {instrument.instrument_type.value for instrument in harness.market.master.all()}
    truth_types = {"INDEX" if kind == "INDEX" else kind for kind in truth_types}
    missing = sorted(truth_types - set(by_type))
    if missing:
        problems.append(f"the master has no rows of type {', '.join(missing)}, which the exchange lists")
    samples = []
    for kind, members in sorted(by_type.items()):
        for row in members[:: max(1, len(members) // 5)][:5]:
            samples.append(row)
            problems += _row_problems(harness, kind, row)
    if samples and "quotes" in harness.capabilities:
        quotes = await harness.plugin.multi_quotes(harness.account, [InstrumentRef(exchange=r.exchange, symbol=r.symbol) for r in samples])
        for row, quote in zip(samples, quotes, strict=True):
            if quote.data is None:
                problems.append(f"{row.exchange}:{row.symbol} (broker {row.brexchange}:{row.brsymbol}) has no quote: {quote.error}")
            elif abs(quote.data.ltp - _ltp(harness, row.exchange, row.symbol)) > 0.011:
                problems.append(f"{row.exchange}:{row.symbol} quoted {quote.data.ltp}, the exchange says {_ltp(harness, row.exchange, row.symbol)}")
    expect(not problems, "; ".join(problems[:6]) + (f" (and {len(problems) - 6} more)" if len(problems) > 6 else ""))
    return f"{len(rows)} rows; {len(samples)} samples over {', '.join(sorted(by_type))} map both ways"


def _row_problems(harness: Harness, kind: str, row: InstrumentRecord) -> list[str]:
    name = f"{row.exchange}:{row.symbol}"
    expected = _TYPES.get(kind)
    if expected is None:
        return [f"{name} has instrumenttype {kind!r}, not one of {', '.join(_TYPES)}"]
    try:
        parsed = parse_symbol(row.symbol, row.exchange)
    except ValueError as e:
        return [f"{name} is not a unified symbol: {e}"]
    problems = []
    if parsed.instrument_type is not expected:
        problems.append(f"{name} reads as {parsed.instrument_type.value}, but its row says {kind}")
    if parsed.expiry is not None and (not row.expiry or parse_expiry(row.expiry) != parsed.expiry):
        problems.append(f"{name} expires {parsed.expiry}, but its row says {row.expiry!r}")
    if parsed.strike is not None and abs(parsed.strike - row.strike) > 1e-6:
        problems.append(f"{name} has strike {parsed.strike}, but its row says {row.strike}")
    if harness.market.master.get(row.exchange, row.symbol) is None:
        problems.append(f"{name} (broker {row.brexchange}:{row.brsymbol}) is not an instrument the exchange lists")
    return problems


# C04


async def _status(harness: Harness, order_id: str) -> tuple[str, str]:
    """The plugin's status of an order, and the truth's."""
    seen = await harness.plugin.order_status(harness.account, OrderRef(orderid=order_id))
    truth = await harness.engine.order_status(harness.truth_user, order_id)
    expect(seen.order_status == truth.status, f"order {order_id} is {truth.status!r} at the exchange, the plugin says {seen.order_status!r}")
    return seen.order_status, truth.status


async def c04_lifecycle(harness: Harness) -> str:
    plugin, account = harness.plugin, harness.account
    ltp = _ltp(harness, "NSE", "SBIN")
    steps = []
    bought = await plugin.place_order(account, order_request("NSE", "SBIN", "BUY", 2))
    expect((await _status(harness, bought.orderid))[0] == "complete", "a MARKET buy did not become complete")
    steps.append("market fill -> complete")

    resting = await plugin.place_order(account, order_request("NSE", "SBIN", "BUY", 1, pricetype="LIMIT", price=_tick_round(ltp * 0.8)))
    expect((await _status(harness, resting.orderid))[0] == "open", "a LIMIT buy far below the market did not rest as open")
    new_price = _tick_round(ltp * 0.75)
    modify = ModifyOrderRequest(strategy="conformance", orderid=resting.orderid, exchange="NSE", symbol="SBIN", action="BUY",
                                product="CNC", pricetype="LIMIT", price=new_price, quantity=1)  # fmt: skip
    await plugin.modify_order(account, modify)
    seen = await plugin.order_status(account, OrderRef(orderid=resting.orderid))
    expect(abs(seen.price - new_price) < 0.01, f"after modify the order's price is {seen.price}, expected {new_price}")
    await plugin.cancel_order(account, OrderRef(orderid=resting.orderid))
    expect((await _status(harness, resting.orderid))[0] == "cancelled", "a cancelled order did not read cancelled")
    steps.append("limit -> open -> modified -> cancelled")

    chased = await plugin.place_order(account, order_request("NSE", "SBIN", "BUY", 1, pricetype="LIMIT", price=_tick_round(ltp * 0.8)))
    modify = modify.model_copy(update={"orderid": chased.orderid, "price": _tick_round(ltp * 1.05)})
    await plugin.modify_order(account, modify)
    await harness.engine.process_market()
    expect((await _status(harness, chased.orderid))[0] == "complete", "a LIMIT modified to cross the market did not fill")
    steps.append("limit modified across the market -> complete")

    stop = await plugin.place_order(account, order_request("NSE", "SBIN", "BUY", 1, pricetype="SL-M", trigger_price=_tick_round(ltp * 1.2)))
    expect((await _status(harness, stop.orderid))[0] == "trigger pending", "an SL-M buy above the market is not trigger pending")
    await plugin.cancel_order(account, OrderRef(orderid=stop.orderid))
    steps.append("SL-M -> trigger pending -> cancelled")

    option = next(
        row for row in harness.market.master.all("NFO") if row.instrument_type is InstrumentType.CALL
    )
    placed = await plugin.place_order(account, order_request("NFO", option.symbol, "BUY", option.lot_size, product="NRML"))
    book = await plugin.order_book(account)
    listed = next((order for order in book.orders if order.orderid == placed.orderid), None)
    expect(listed is not None and listed.symbol == option.symbol, f"an order for {option.symbol} is listed as {listed and listed.symbol}")
    steps.append(f"{option.symbol} keeps its name through the book")

    try:
        refused = await plugin.place_order(account, order_request("NSE", "SBIN", "BUY", 10_000_000))
    except BrokergateError as e:
        expect(e.code in ("ORDER_REJECTED", "INSUFFICIENT_FUNDS"), f"an unaffordable order raised {e.code}, not ORDER_REJECTED")
        expect(bool(e.context.get("reason")), "an unaffordable order was refused without a reason")
        steps.append(f"refusal -> {e.code} with reason")
    else:
        seen = await plugin.order_status(account, OrderRef(orderid=refused.orderid))
        expect(seen.order_status == "rejected", f"an unaffordable order reads {seen.order_status!r}, not rejected")
        expect(bool(seen.rejection_reason), "a rejected order carries no rejection_reason")
        steps.append("refusal -> rejected with reason")
    return "; ".join(steps)


# C05


def _close(a: float | None, b: float | None, tolerance: float = 0.011) -> bool:
    return abs(float(a or 0) - float(b or 0)) <= tolerance


async def c05_books(harness: Harness) -> str:
    plugin, account, engine, user = harness.plugin, harness.account, harness.engine, harness.truth_user
    problems = []
    positions = {(p.exchange, p.symbol, p.product): p for p in await plugin.positions(account)}
    truth_positions = await engine.positions(user)
    for truth in truth_positions:
        seen = positions.get((truth.exchange, truth.symbol, truth.product))
        if seen is None:
            problems.append(f"position {truth.exchange}:{truth.symbol} {truth.product} is missing")
        elif seen.quantity != truth.quantity or not _close(seen.average_price, truth.average_price):
            problems.append(f"position {truth.symbol}: {seen.quantity} @ {seen.average_price}, truth {truth.quantity} @ {truth.average_price}")
    if len(positions) != len(truth_positions):
        problems.append(f"{len(positions)} positions listed, the exchange holds {len(truth_positions)}")
    trades, truth_trades = await plugin.trade_book(account), await engine.tradebook(user)
    if sorted(t.quantity for t in trades) != sorted(t.quantity for t in truth_trades):
        problems.append(f"the trade book lists {len(trades)} trades, the exchange {len(truth_trades)}")
    book, truth_orders = await plugin.order_book(account), await engine.orderbook(user)
    counted = Counter(order.order_status for order in book.orders)
    if counted != Counter(order.status for order in truth_orders):
        problems.append(f"order statuses {dict(counted)} differ from the exchange's {dict(Counter(o.status for o in truth_orders))}")
    if book.statistics.total_completed_orders != counted["complete"]:
        problems.append("order book statistics do not count its own orders")
    if "holdings" in harness.capabilities:
        holdings = {(h.exchange, h.symbol): h.quantity for h in (await plugin.holdings(account)).holdings}
        truth_holdings = {(h.exchange, h.symbol): h.quantity for h in await engine.holdings(user)}
        if holdings != truth_holdings:
            problems.append(f"holdings {holdings} differ from the exchange's {truth_holdings}")
    funds, truth_funds = await plugin.funds(account), await engine.funds(user)
    if not _close(funds.availablecash, truth_funds.available_cash) or not _close(funds.utiliseddebits, truth_funds.used_margin):
        problems.append(f"funds {funds.availablecash} available / {funds.utiliseddebits} used, truth "
                        f"{truth_funds.available_cash} / {truth_funds.used_margin}")  # fmt: skip
    expect(not problems, "; ".join(problems))
    return f"{len(truth_positions)} positions, {len(truth_trades)} trades, {len(truth_orders)} orders and funds agree with the exchange"


# C06


async def c06_errors(harness: Harness) -> str:
    plugin, steps = harness.plugin, []
    refusal = await expect_error({"ORDER_REJECTED"}, plugin.place_order(harness.account, harness.arrange_refusal("conformance: refused")),
                                 "a refused order")  # fmt: skip
    expect(bool(refusal.context.get("reason")), "ORDER_REJECTED carries no `reason` with the broker's words")
    steps.append("refused -> ORDER_REJECTED with reason")
    await expect_error({"SYMBOL_NOT_FOUND"}, plugin.quote(harness.account, InstrumentRef(exchange="NSE", symbol="NOSUCHSYMBOL")),
                       "a quote of an unknown symbol")  # fmt: skip
    steps.append("unknown symbol -> SYMBOL_NOT_FOUND")
    if harness.simulator is not None:
        harness.simulator.throttle(retry_after=7)
        throttled = await expect_error({"RATE_LIMITED"}, plugin.funds(harness.account), "a throttled request")
        expect(throttled.context.get("retry_after") == 7, f"RATE_LIMITED carries retry_after={throttled.context.get('retry_after')!r}, the broker said 7")
        steps.append("HTTP 429 -> RATE_LIMITED with retry_after")
        harness.simulator.expire_sessions()
        await expect_error({"BROKER_SESSION_EXPIRED"}, plugin.funds(harness.account), "a call with an expired token")
        steps.append("expired token -> BROKER_SESSION_EXPIRED")
        await harness.relogin()
    return "; ".join(steps)


# C07


def window_seconds(window: str) -> float:
    if window.endswith("ms"):
        return int(window[:-2]) / 1000
    return int(window[:-1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[window[-1]]


def pacing_violations(times: list[float], limit: int, window: float) -> str | None:
    """The first moment more than `limit` requests fell inside one window, described; None if never."""
    times = sorted(times)
    for first, last in zip(times, times[limit:], strict=False):
        if last - first < window - PACING_TOLERANCE:
            return f"{limit + 1} requests within {last - first:.3f} s"
    return None


async def c07_rate_limits(harness: Harness) -> str:
    limits = harness.manifest.get("rate_limits") or []
    if harness.simulator is None or not limits:
        raise NotApplicable("no outbound limits to keep" if not limits else "no upstream to count requests at")
    plugin, account = harness.plugin, harness.account
    today = datetime.now(UTC).date()
    ltp = _ltp(harness, "NSE", "SBIN")
    probes = {
        "quotes": lambda: plugin.quote(account, InstrumentRef(exchange="NSE", symbol="SBIN")),
        "history": lambda: plugin.history(account, HistoryRequest(symbol="SBIN", exchange="NSE", interval="D",
                                                                  start_date=today - timedelta(days=3), end_date=today)),
        "orders": lambda: plugin.place_order(account, order_request("NSE", "SBIN", "BUY", 1, pricetype="LIMIT", price=_tick_round(ltp * 0.7))),
        "other": lambda: plugin.order_book(account),
    }  # fmt: skip
    shortest: dict[str, int] = {}
    for limit in limits:
        if window_seconds(limit["window"]) <= 1:
            shortest[limit["class"]] = min(shortest.get(limit["class"], limit["limit"]), limit["limit"])
    await plugin.order_book(account)  # loads what the plugin caches, so the burst is only the probes
    started = time.monotonic()
    bursts = {name: limit for name, limit in shortest.items() if name != ALL}
    if ALL in shortest:  # enough requests of some class to overrun the shared budget, were it ignored
        bursts["other"] = max(bursts.get("other", 0), shortest[ALL])
    calls = [probes[name]() for name, limit in bursts.items() if name in probes for _ in range(limit + 2)]
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    failures = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    expect(not failures, f"a paced burst failed: {failures[0]!r}" if failures else "")
    recorded = [request for request in harness.simulator.requests if request.at >= started]
    problems = []
    for limit in limits:
        times = [request.at for request in recorded if limit["class"] in (request.rate_class, ALL)]
        found = pacing_violations(times, limit["limit"], window_seconds(limit["window"]))
        if found:
            problems.append(f"{limit['class']}: {found}, but the manifest allows {limit['limit']} per {limit['window']}")
    expect(not problems, "; ".join(problems))
    unprobed = sorted(set(shortest) - set(probes) - {ALL})  # every probe counts against `all`
    note = f"; no probe for class {', '.join(unprobed)}" if unprobed else ""
    return f"{len(calls)} requests in {time.monotonic() - started:.1f} s kept every window{note}"


# C08


async def c08_session(harness: Harness) -> str:
    if harness.manifest.get("auth") == "none" or harness.simulator is None:
        raise NotApplicable("the broker has no login")
    auth = harness.manifest.get("auth")
    if auth not in ("oauth_redirect", "form_totp", "api_secret"):
        raise NotApplicable(f"the kit drives oauth_redirect, form_totp and api_secret logins; {auth} is checked by the plugin's tests")
    if auth == "oauth_redirect":
        state, params = harness.login_state
        expect(params.get("state") == state, f"the login redirect carried state {params.get('state')!r}, not the {state!r} sent")
    elif auth == "api_secret":
        start = LoginStart(redirect_url="http://127.0.0.1:5000/", state="s")
        await expect_error({"NOT_SUPPORTED"}, harness.plugin.login_url(harness.account, start), "login_url of an app-key login")
    else:
        typed, declared = sorted(harness.simulator.login_params()), sorted(harness.manifest.get("login_fields") or [])
        expect(typed == declared, f"the login form is answered with {typed}, but the manifest's login_fields are {declared}")
        start = LoginStart(redirect_url="http://127.0.0.1:5000/", state="s")
        await expect_error({"NOT_SUPPORTED"}, harness.plugin.login_url(harness.account, start), "login_url of a form login")
    now = datetime.now(UTC)
    valid_until = harness.grant.valid_until
    expect(now < valid_until <= now + timedelta(hours=24), f"the session is said to last until {valid_until}, not within the next day")
    old_token = harness.account.token
    harness.simulator.expire_sessions()
    await expect_error({"BROKER_SESSION_EXPIRED"}, harness.plugin.order_book(harness.account), "a call after the session ended")
    account = await harness.relogin()
    expect(account.token != old_token, "logging in again gave the old token back")
    await harness.plugin.order_book(account)
    how = {"oauth_redirect": "state round-trips", "api_secret": "the app-key login works"}.get(auth, "the form login works")
    return f"{how}; session valid until {valid_until:%Y-%m-%d %H:%M} UTC; expiry detected and a new login recovers"


# C09


async def c09_streaming(harness: Harness) -> str:
    if "streaming" not in harness.capabilities:
        raise NotApplicable("the manifest does not declare streaming")
    if harness.simulator is None or not hasattr(harness.plugin, "open_feed"):
        raise NotApplicable("the sandbox streams through the gateway's offline feed (streaming/), tested there")
    ticks: list[Any] = []
    feed = await harness.plugin.open_feed(
        harness.account, [InstrumentRef(exchange="NSE", symbol="SBIN")], ticks.extend, connect=harness.simulator.feed_connector()
    )
    task = asyncio.create_task(feed.run())
    try:
        await _eventually(lambda: len(ticks) > 0, "no tick arrived after subscribing")
        truth = _ltp(harness, "NSE", "SBIN")
        expect(abs(ticks[-1].last_price - truth) < 0.011, f"a tick decoded to {ticks[-1].last_price}, the exchange says {truth}")
        before = len(ticks)
        harness.simulator.drop_feed_connections()
        await _eventually(lambda: feed.connections >= 2, "the feed did not reconnect after the connection dropped")
        await _eventually(lambda: len(ticks) > before + 1, "no ticks after reconnecting: the feed did not resubscribe")
    finally:
        feed.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    quotes = await _unified_stream(harness)
    return f"{len(ticks)} ticks decoded; reconnected and resubscribed after a drop; {quotes}"


async def _unified_stream(harness: Harness) -> str:
    """The feed in unified terms, as the gateway's WebSocket runs it: subscribe by symbol, hear canonical payloads."""
    expect(callable(getattr(harness.plugin, "stream", None)), "the plugin streams but has no `stream` (brokers/common/feed.py UnifiedFeed)")
    heard: list[tuple[str, str, dict]] = []
    stream = await harness.plugin.stream(harness.account, lambda *quote: heard.append(quote), connect=harness.simulator.feed_connector())
    task = asyncio.create_task(stream.run())
    try:
        unknown = await stream.subscribe([InstrumentRef(exchange="NSE", symbol="SBIN"), InstrumentRef(exchange="NSE", symbol="NOSUCH")], "quote")
        expect([item.symbol for item in unknown] == ["NOSUCH"], f"subscribing NSE:NOSUCH answered {unknown!r}, not it as unknown")
        await _eventually(lambda: any(symbol == "SBIN" for _, symbol, _ in heard), "no unified quote for NSE:SBIN after subscribing")
        exchange, symbol, payload = next(quote for quote in reversed(heard) if quote[1] == "SBIN")
        truth = _ltp(harness, "NSE", "SBIN")
        expect(exchange == "NSE" and abs(float(payload.get("ltp", 0)) - truth) < 0.011,
               f"the unified quote said {exchange}:{symbol} ltp {payload.get('ltp')}, the exchange says {truth}")  # fmt: skip
    finally:
        stream.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return f"unified quotes by symbol ({len(heard)} heard)"


async def _eventually(condition: Callable[[], bool], message: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        expect(time.monotonic() < deadline, message)
        await asyncio.sleep(0.02)


# C10


async def c10_upstream(harness: Harness) -> str:
    if harness.transport is None:
        raise NotApplicable("no contracts/upstream description to check requests against")
    violations = sorted(set(harness.transport.violations))
    expect(not violations, "; ".join(violations[:5]) + (f" (and {len(violations) - 5} more)" if len(violations) > 5 else ""))
    return f"{harness.transport.checked} requests match {Path(harness.transport.spec.name).name}"


CHECKS: list[tuple[str, str, Callable[[Harness], Awaitable[str]]]] = [
    ("C01", "manifest valid", c01_manifest),
    ("C02", "capabilities work; undeclared operations raise NOT_SUPPORTED", c02_capabilities),
    ("C03", "symbol mapping round-trips for every instrument type", c03_symbols),
    ("C04", "order lifecycle maps to unified statuses", c04_lifecycle),
    ("C05", "books, positions, holdings and funds match the exchange", c05_books),
    ("C06", "error taxonomy", c06_errors),
    ("C07", "outbound rate limits never exceeded", c07_rate_limits),
    ("C08", "session rollover detected and recovered", c08_session),
    ("C09", "streaming decode, reconnect, resubscribe", c09_streaming),
    ("C10", "outgoing requests match the upstream description", c10_upstream),
]


async def run_checks(harness: Harness, only: set[str] | None = None) -> list[Result]:
    """Every check in order; a failure is reported and the next check still runs."""
    results = []
    for code, title, check in CHECKS:
        if only and code not in only:
            continue
        try:
            detail = await check(harness)
        except NotApplicable as e:
            results.append(Result(code, title, SKIP, str(e)))
        except CheckFailed as e:
            results.append(Result(code, title, FAIL, str(e)))
        except BrokergateError as e:
            results.append(Result(code, title, FAIL, f"raised {e.code}: {e.message}"))
        except Exception as e:  # the kit reports a plugin's crash as that check's failure, with its type
            results.append(Result(code, title, FAIL, f"crashed with {type(e).__name__}: {e}"))
        else:
            results.append(Result(code, title, PASS, detail))
    return results


__all__ = ["CHECKS", "FAIL", "PASS", "SKIP", "Result", "run_checks"]
