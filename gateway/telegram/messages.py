"""What the bot says: order alerts from order events, and the answers to a linked user's commands.

Commands go through the same router, plugins and action-center rules the REST API uses, so a chat
sees exactly what the user's API key would, and a semi-auto user cannot close positions from a chat.
"""

from __future__ import annotations

from typing import Any

from gateway import emulation
from gateway.accounts import Principal
from gateway.actioncenter import ActionCenter
from generated.contract import InstrumentRef
from generated.errors import BrokergateError

# Order status on the wire -> the alert it raises; an order alerts once per kind.
ALERT_OF_STATUS = {
    "open": "placed",
    "trigger pending": "placed",
    "complete": "filled",
    "rejected": "rejected",
    "cancelled": "cancelled",
}
SHOWN_ROWS = 10
HELP = (
    "brokergate commands:\n"
    "/status - broker, mode and session\n"
    "/orderbook - latest orders\n"
    "/tradebook - latest trades\n"
    "/positions - open positions\n"
    "/holdings - holdings\n"
    "/funds - cash and margin\n"
    "/pnl - today's profit and loss\n"
    "/quote SYMBOL [EXCHANGE] - last price (NSE when no exchange)\n"
    "/mode - analyzer and order mode\n"
    "/closeall yes - close every open position\n"
    "/help - this list"
)


def order_alert(order: dict[str, Any]) -> tuple[str, str] | None:
    """(kind, text) of the alert for this order event, or None for a status that raises none."""
    kind = ALERT_OF_STATUS.get(str(order.get("order_status", "")))
    if kind is None:
        return None
    side = (
        f"{order.get('action', '')} {order.get('quantity', '')} {order.get('symbol', '')} {order.get('exchange', '')}"
    )
    if kind == "filled":
        detail = f" at {order.get('average_price', 0):.2f}"
    elif kind == "rejected":
        detail = f": {order.get('rejection_reason') or 'no reason given'}"
    elif order.get("pricetype") in ("LIMIT", "SL"):
        detail = f" limit {order.get('price', 0):.2f}"
    else:
        detail = ""
    text = f"Order {kind}: {side.strip()} ({order.get('pricetype', '')} {order.get('product', '')}){detail}\nOrder id {order.get('orderid', '')}"
    return kind, text


def _money(value: float | None) -> str:
    return f"{value or 0:,.2f}"


class Commands:
    def __init__(self, services) -> None:
        self._services = services

    async def answer(self, user: Principal, command: str, arguments: list[str]) -> str:
        handler = getattr(self, f"_{command}", None) if command in _COMMANDS else None
        if handler is None:
            return f"Unknown command /{command}. Send /help for the list."
        try:
            return await handler(user, arguments)
        except BrokergateError as e:
            return f"Refused: {e.message}"

    def _routed(self, user: Principal):
        route = self._services.router.route(user)
        return route, route.account(user.user_id)

    async def _help(self, user, arguments) -> str:
        return HELP

    async def _start(self, user, arguments) -> str:
        return f"This chat is linked to {user.username}.\n\n{HELP}"

    async def _status(self, user, arguments) -> str:
        route, _account = self._routed(user)
        session = self._services.sessions.latest(user.user_id)
        broker = (
            f"{session.broker} session until {session.valid_until:%Y-%m-%d %H:%M} UTC"
            if session
            else "no broker session"
        )
        return f"User {user.username}\nServed by {route.broker} ({route.mode} mode)\n{broker}"

    async def _mode(self, user, arguments) -> str:
        route, _account = self._routed(user)
        order_mode = ActionCenter.of(self._services).order_mode(user)
        return f"Analyzer mode: {'on' if route.is_analyze else 'off'}\nOrder mode: {order_mode}"

    async def _orderbook(self, user, arguments) -> str:
        route, account = self._routed(user)
        orders = (await route.plugin.order_book(account)).orders
        if not orders:
            return "No orders today."
        lines = [
            f"{o.orderid} {o.action} {o.quantity} {o.symbol} {o.exchange} {o.order_status}"
            + (f" @ {o.average_price:.2f}" if o.average_price else "")
            for o in orders[-SHOWN_ROWS:]
        ]
        return f"Orders ({len(orders)}, latest {len(lines)}):\n" + "\n".join(lines)

    async def _tradebook(self, user, arguments) -> str:
        route, account = self._routed(user)
        trades = await route.plugin.trade_book(account)
        if not trades:
            return "No trades today."
        lines = [
            f"{t.action} {t.quantity} {t.symbol} {t.exchange} @ {t.average_price:.2f}" for t in trades[-SHOWN_ROWS:]
        ]
        return f"Trades ({len(trades)}, latest {len(lines)}):\n" + "\n".join(lines)

    async def _positions(self, user, arguments) -> str:
        route, account = self._routed(user)
        positions = [p for p in await route.plugin.positions(account) if p.quantity]
        if not positions:
            return "No open positions."
        lines = [
            f"{p.symbol} {p.exchange} {p.product} {p.quantity:+d} avg {p.average_price:.2f} ltp {p.ltp:.2f} P&L {_money(p.pnl)}"
            for p in positions[:SHOWN_ROWS]
        ]
        return "Open positions:\n" + "\n".join(lines)

    async def _holdings(self, user, arguments) -> str:
        route, account = self._routed(user)
        book = await route.plugin.holdings(account)
        if not book.holdings:
            return "No holdings."
        lines = [
            f"{h.symbol} {h.exchange} {h.quantity} avg {h.average_price:.2f} P&L {_money(h.pnl)}"
            for h in book.holdings[:SHOWN_ROWS]
        ]
        return "Holdings:\n" + "\n".join(lines) + f"\nTotal P&L {_money(book.statistics.totalprofitandloss)}"

    async def _funds(self, user, arguments) -> str:
        route, account = self._routed(user)
        funds = await route.plugin.funds(account)
        return (
            f"Available cash {_money(funds.availablecash)}\nUsed margin {_money(funds.utiliseddebits)}\n"
            f"Realized P&L {_money(funds.m2mrealized)}\nUnrealized P&L {_money(funds.m2munrealized)}"
        )

    async def _pnl(self, user, arguments) -> str:
        route, account = self._routed(user)
        positions = await route.plugin.positions(account)
        realized = sum(p.today_realized_pnl or 0.0 for p in positions)
        unrealized = sum(p.unrealized_pnl if p.unrealized_pnl is not None else p.pnl for p in positions)
        return (
            f"Today's P&L {_money(realized + unrealized)}\nRealized {_money(realized)}\nUnrealized {_money(unrealized)}"
        )

    async def _quote(self, user, arguments) -> str:
        if not arguments:
            return "Send /quote SYMBOL [EXCHANGE], for example /quote SBIN NSE."
        symbol, exchange = arguments[0].upper(), (arguments[1].upper() if len(arguments) > 1 else "NSE")
        try:
            instrument = InstrumentRef(exchange=exchange, symbol=symbol)
        except ValueError:
            return f"{exchange} is not an exchange brokergate knows."
        route, account = self._routed(user)
        quote = await route.plugin.quote(account, instrument)
        return (
            f"{symbol} {exchange}\nLTP {quote.ltp:.2f} (bid {quote.bid:.2f} / ask {quote.ask:.2f})\n"
            f"Open {quote.open:.2f} high {quote.high:.2f} low {quote.low:.2f} prev close {quote.prev_close:.2f}"
        )

    async def _closeall(self, user, arguments) -> str:
        if arguments[:1] != ["yes"]:
            return "Send /closeall yes to close every open position."
        ActionCenter.of(self._services).refuse_in_semi_auto(user, "closeposition")
        route, account = self._routed(user)
        result = await emulation.close_positions(route.plugin, account)
        return f"Close all: {result.get('message', 'done')}"


_COMMANDS = frozenset(
    {
        "help",
        "start",
        "status",
        "mode",
        "orderbook",
        "tradebook",
        "positions",
        "holdings",
        "funds",
        "pnl",
        "quote",
        "closeall",
    }
)
