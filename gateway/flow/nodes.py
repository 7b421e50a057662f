"""What each node kind does when a run reaches it: through the same desk and brokers as /api/v1.

Order nodes go through the action center and order desk exactly as the user's own API call would
(auto or semi-auto, sandbox in analyzer mode, the live broker otherwise), under the idempotency key
`flow:<run id>/<node id>`, so a node sent again after a crash gets the desk's first answer instead
of a second order. Parameters are filled in and then checked with the /api/v1 request model; an
unresolved reference or a failed check refuses the node before anything is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from gateway import emulation, options
from gateway.accounts import Principal
from gateway.actioncenter import ActionCenter
from gateway.flow.document import DATA, ORDERS, Node, without_output
from gateway.flow.outbound import OutboundHttp, UnsafeTarget
from gateway.flow.variables import Unresolved, calculate, fill, holds
from generated.api import FlowHttpRequestParams
from generated.contract import InstrumentRef, OrderRef
from generated.errors import BrokergateError
from sandbox.market import IST

MAX_DELAY_SECONDS = 3600.0
MAX_WAIT_SECONDS = 8 * 3600.0  # waitUntil never holds a run past a trading day
# Order kinds that go through the action center (semi-auto aware, idempotent) and their kind there.
_SUBMITTED = {
    "placeOrder": "placeorder",
    "smartOrder": "smartorder",
    "optionsOrder": "optionsorder",
    "basketOrder": "basketorder",
}


class NodeFailed(Exception):
    """The node could not do its job; the run stops here and records why."""


@dataclass
class Step:
    """A node about to run: its filled-in parameters (the step's recorded input)."""

    node: Node
    given: Any


class NodeActions:
    def __init__(
        self,
        services,
        *,
        clock: Callable[[], datetime],
        http: OutboundHttp | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._services = services
        self._clock = clock
        self.http = http or OutboundHttp()
        self._sleep = sleep

    def prepare(self, node: Node, variables: dict[str, Any]) -> Step:
        """Fill the node's references in; conditions and math read theirs as they evaluate."""
        if node.type in ("condition", "math"):
            return Step(node, node.data)
        try:
            given = fill(without_output(node.data), variables)
        except Unresolved as e:
            what = "order not sent" if node.type in ORDERS else "node not run"
            raise NodeFailed(f"{e}; {what}") from e
        return Step(node, given)

    async def run(self, step: Step, user: Principal, variables: dict[str, Any], key: str) -> Any:
        node, given = step.node, step.given
        try:
            if node.type in ORDERS:
                return await self._order(node.type, given, user, key)
            if node.type in DATA:
                return await self._data(node.type, given, user)
            return await self._step(node, given, user, variables, key)
        except BrokergateError as e:
            raise NodeFailed(f"{e.code}: {e.message}") from e
        except PydanticValidationError as e:
            problem = e.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            raise NodeFailed(f"{where}: {problem['msg']} (after filling in references); nothing sent") from e
        except (Unresolved, ValueError, UnsafeTarget) as e:
            raise NodeFailed(str(e)) from e

    async def _order(self, kind: str, given: dict, user: Principal, key: str) -> dict:
        services = self._services
        model = ORDERS[kind].model_validate(given)
        center = ActionCenter.of(services)
        if kind in _SUBMITTED:
            return await center.submit(user, _SUBMITTED[kind], model, idempotency_key=key)
        operation = {"modifyOrder": "modifyorder", "cancelOrder": "cancelorder", "closePosition": "closeposition"}
        center.refuse_in_semi_auto(user, operation.get(kind, "cancelallorder"))
        if kind == "modifyOrder":
            return await services.orders.modify(user, model)
        if kind == "cancelOrder":
            return await services.orders.cancel(user, OrderRef(orderid=model.orderid))
        route = services.router.route(user)
        account = route.account(user.user_id)
        if kind == "closePosition":
            return {"status": "success", **await emulation.close_positions(route.plugin, account)}
        return {"status": "success", **await emulation.cancel_all(route.plugin, account)}

    async def _data(self, kind: str, given: dict, user: Principal) -> Any:
        services = self._services
        request = DATA[kind].model_validate(given)
        if kind == "optionChain":
            return options.option_chain(
                services.market,
                underlying=request.underlying,
                exchange=request.exchange,
                expiry_date=request.expiry_date,
                strike_count=request.strike_count,
                with_greeks=bool(request.with_greeks),
                interest_rate=request.interest_rate,
            )
        route = services.router.route(user)
        account = route.account(user.user_id)
        if kind == "getQuote":
            return (
                await route.plugin.quote(account, InstrumentRef(symbol=request.symbol, exchange=request.exchange))
            ).model_dump()
        if kind == "getDepth":
            return (
                await route.plugin.depth(account, InstrumentRef(symbol=request.symbol, exchange=request.exchange))
            ).model_dump()
        if kind == "getPosition":
            quantity = await emulation.open_position(
                route.plugin, account, request.exchange, request.symbol, request.product
            )
            return {"quantity": quantity}
        if kind == "getFunds":
            return (await route.plugin.funds(account)).model_dump(exclude_none=True)
        if request.source == "db":
            return await services.historify.history(request)
        return [candle.model_dump() for candle in await route.plugin.history(account, request)]

    async def _step(self, node: Node, given: Any, user: Principal, variables: dict[str, Any], key: str) -> Any:
        kind = node.type
        if kind == "condition":
            return {"result": holds(given, variables)}
        if kind == "math":
            return calculate(given["expression"], variables)
        if kind == "setVariable":
            return given["value"]
        if kind == "delay":
            await self._sleep(min(float(given["seconds"]), MAX_DELAY_SECONDS))
            return {"waited_seconds": float(given["seconds"])}
        if kind == "waitUntil":
            seconds = self._seconds_until(given["time"])
            await self._sleep(seconds)
            return {"waited_seconds": round(seconds, 3)}
        if kind == "telegram":
            telegram = self._services.telegram
            queued = telegram is not None and telegram.notify(user.user_id, str(given["message"])[:2000], key=key)
            return {"queued": bool(queued)}
        if kind == "httpRequest":
            params = FlowHttpRequestParams.model_validate(given)
            return await self.http.request(
                params.method or "POST",
                params.url,
                headers={name: header.root for name, header in (params.headers or {}).items()},
                body=params.body,
                timeout=params.timeout_seconds or 10.0,
            )
        if node.is_trigger:
            return variables.get("trigger", {})
        raise NodeFailed(f"node kind {kind} cannot run")

    def _seconds_until(self, clock_time: str) -> float:
        now = self._clock().astimezone(IST)
        hour, minute = (int(part) for part in clock_time.split(":"))
        target = datetime.combine(now.date(), time(hour, minute), IST)
        return min(max((target - now) / timedelta(seconds=1), 0.0), MAX_WAIT_SECONDS)
