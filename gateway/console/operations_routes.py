"""Operating pages: Telegram (link a chat, and for administrators the bot's token and switch), the order
log (the audit trail, filtered, with CSV export of it and of the books), and the sandbox controls
(reset, starting capital, daily P&L history)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from starlette.responses import RedirectResponse, Response

from gateway.accounts import Principal
from gateway.console.web import Call, Console
from gateway.orderlog import AuditFilter, OrderLog, audit_csv, book_csv
from gateway.sandbox_controls import SandboxControls
from gateway.telegram.operator import TelegramOperator
from generated.errors import BrokergateError

BOOKS = ("orders", "trades", "positions", "holdings")
WINDOWS = {"1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30), "all": None}


def routes(console: Console) -> list[tuple[str, str, object, list[str]]]:
    services = console.services
    operator = TelegramOperator.of(services)
    order_log = OrderLog(services.engine)
    controls = SandboxControls(services.engine, services.sandbox)

    def _user(call: Call):
        return console.identity.user_by_id(call.session.user_id)

    def _principal(call: Call) -> Principal:
        user = _user(call)
        return Principal(user_id=user.id, username=user.username)

    def _field(call: Call, name: str) -> str:
        value = call.form.get(name, "") if call.form is not None else ""
        return value.strip() if isinstance(value, str) else ""

    # Telegram

    def _telegram_page(call: Call, **context) -> Response:
        user = _user(call)
        return console.render(
            call,
            "telegram.html",
            bot=operator.config(),
            link=services.telegram.store.link_of(user.id),
            linked=operator.users(_principal(call)) if user.is_admin else [],
            **context,
        )

    async def telegram(call: Call) -> Response:
        return _telegram_page(call)

    async def telegram_link(call: Call) -> Response:
        code = services.telegram.store.new_link_code(call.session.user_id)
        bot_username = operator.config()["bot_username"]
        deep_link = f"https://t.me/{bot_username}?start={code}" if bot_username else None
        return _telegram_page(call, code=code, deep_link=deep_link)

    async def telegram_unlink(call: Call) -> Response:
        services.telegram.store.unlink(call.session.user_id)
        return RedirectResponse("/telegram?notice=telegram-unlinked", status_code=303)

    async def telegram_alerts(call: Call) -> Response:
        services.telegram.store.set_notifications(call.session.user_id, _field(call, "enabled") == "on")
        return RedirectResponse("/telegram?notice=telegram-saved", status_code=303)

    async def telegram_token(call: Call) -> Response:
        try:
            await operator.configure(_principal(call), token=_field(call, "token") or None)
        except BrokergateError as e:
            return _telegram_page(call, error=e.message)
        return RedirectResponse("/telegram?notice=telegram-saved", status_code=303)

    async def telegram_switch(call: Call) -> Response:
        try:
            if _field(call, "action") == "start":
                await operator.start(_principal(call))
            else:
                await operator.stop(_principal(call))
        except BrokergateError as e:
            return _telegram_page(call, error=e.message)
        return RedirectResponse("/telegram?notice=telegram-saved", status_code=303)

    # Order log

    def _audit_filter(call: Call) -> AuditFilter:
        query, user = call.request.query_params, _user(call)
        window = WINDOWS.get(query.get("window", "7d"), WINDOWS["7d"])
        everyone = user.is_admin and query.get("scope") == "all"
        return AuditFilter(
            user_id=None if everyone else user.id,
            event=query.get("event", "")[:32],
            order_id=query.get("orderid", "")[:64],
            broker=query.get("broker", "")[:32],
            since=datetime.now(UTC) - window if window is not None else None,
            limit=200,
        )

    async def orderlog(call: Call) -> Response:
        wanted = _audit_filter(call)
        return console.render(
            call,
            "orderlog.html",
            rows=order_log.rows(wanted),
            brokers=order_log.brokers(),
            query=dict(call.request.query_params),
            books=BOOKS,
        )

    async def orderlog_export(call: Call) -> Response:
        kind = call.request.query_params.get("kind", "audit")
        if kind == "audit":
            text = audit_csv(order_log.rows(replace(_audit_filter(call), limit=1000)))
        elif kind in BOOKS:
            try:
                text = book_csv(await _book(_principal(call), kind))
            except BrokergateError as e:
                return console.refuse(call, e.message, status=e.http_status)
        else:
            return console.refuse(
                call, f"There is no {kind!r} export; choose audit or one of {', '.join(BOOKS)}.", status=400
            )
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        return Response(
            text,
            media_type="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="brokergate-{kind}-{stamp}.csv"',
                "Cache-Control": "no-store",
            },
        )

    async def _book(user: Principal, kind: str) -> list[dict]:
        route = services.router.route(user)  # the same broker the API would use for this user
        account = route.account(user.user_id)
        if kind == "orders":
            return [order.model_dump() for order in (await route.plugin.order_book(account)).orders]
        if kind == "trades":
            return [trade.model_dump() for trade in await route.plugin.trade_book(account)]
        if kind == "positions":
            return [position.model_dump() for position in await route.plugin.positions(account)]
        return [holding.model_dump() for holding in (await route.plugin.holdings(account)).holdings]

    # Sandbox

    async def _sandbox_page(call: Call, **context) -> Response:
        user_id = call.session.user_id
        funds = await services.sandbox.funds(user_id)
        return console.render(
            call,
            "sandbox.html",
            capital=controls.starting_capital(user_id),
            funds=funds,
            history=list(reversed(await controls.daily_pnl(user_id))),
            **context,
        )

    async def sandbox(call: Call) -> Response:
        return await _sandbox_page(call)

    async def sandbox_reset(call: Call) -> Response:
        raw = _field(call, "starting_capital").replace(",", "")
        try:
            capital = Decimal(raw) if raw else None
            if capital is not None and not capital.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            return await _sandbox_page(call, error=f"{raw!r} is not an amount of rupees.")
        try:
            await controls.reset(call.session.user_id, capital)
        except BrokergateError as e:
            return await _sandbox_page(call, error=e.message)
        return RedirectResponse("/sandbox?notice=sandbox-reset", status_code=303)

    guard = console.route
    return [
        ("/telegram", "telegram", guard("telegram", telegram), ["GET"]),
        ("/telegram/link", "telegram_link", guard("telegram_link", telegram_link), ["POST"]),
        ("/telegram/unlink", "telegram_unlink", guard("telegram_unlink", telegram_unlink), ["POST"]),
        ("/telegram/alerts", "telegram_alerts", guard("telegram_alerts", telegram_alerts), ["POST"]),
        ("/telegram/token", "telegram_token", guard("telegram_token", telegram_token), ["POST"]),
        ("/telegram/switch", "telegram_switch", guard("telegram_switch", telegram_switch), ["POST"]),
        ("/orderlog", "orderlog", guard("orderlog", orderlog), ["GET"]),
        ("/orderlog/export", "orderlog_export", guard("orderlog_export", orderlog_export), ["GET"]),
        ("/sandbox", "sandbox", guard("sandbox", sandbox), ["GET"]),
        ("/sandbox/reset", "sandbox_reset", guard("sandbox_reset", sandbox_reset), ["POST"]),
    ]
