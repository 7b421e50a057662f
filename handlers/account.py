"""Handlers of the `account` tag: the caller's orders, trades, positions, holdings, funds and margin."""

from gateway import books, emulation
from gateway.context import answer, routed
from generated.api import MarginRequest, OpenPositionRequest, OrderStatusRequest
from generated.contract import OrderRef


def _success(data, route) -> dict:
    return answer({"status": "success", "data": data.model_dump(exclude_none=True)}, route)


async def orderstatus(body: dict) -> tuple[dict, int]:
    request = OrderStatusRequest.model_validate(body)
    route, account = routed()
    return _success(await route.plugin.order_status(account, OrderRef(orderid=request.orderid)), route), 200


async def openposition(body: dict) -> tuple[dict, int]:
    request = OpenPositionRequest.model_validate(body)
    route, account = routed()
    quantity = await emulation.open_position(route.plugin, account, request.exchange, request.symbol, request.product)
    return answer({"status": "success", "quantity": quantity}, route), 200


async def orderbook(body: dict):
    return await books.order_book(*routed())


async def tradebook(body: dict):
    return await books.trade_book(*routed())


async def positionbook(body: dict) -> tuple[dict, int]:
    route, account = routed()
    rows = [position.model_dump(exclude_none=True) for position in await route.plugin.positions(account)]
    body = {"status": "success", "data": rows}
    if all("unrealized_pnl" in row for row in rows):
        unrealized = round(sum(row["unrealized_pnl"] for row in rows), 2)
        realized = round(sum(row.get("today_realized_pnl", 0.0) for row in rows), 2)
        body |= {
            "total_pnl": round(unrealized + realized, 2),
            "total_unrealized_pnl": unrealized,
            "total_today_realized_pnl": realized,
            "total_pnl_today": round(unrealized + realized, 2),
        }
    return answer(body, route), 200


async def holdings(body: dict) -> tuple[dict, int]:
    route, account = routed()
    return _success(await route.plugin.holdings(account), route), 200


async def funds(body: dict) -> tuple[dict, int]:
    route, account = routed()
    return _success(await route.plugin.funds(account), route), 200


async def margin(body: dict) -> tuple[dict, int]:
    request = MarginRequest.model_validate(body)
    route, account = routed()
    return {"status": "success", "data": (await route.plugin.margin(account, request)).model_dump()}, 200
