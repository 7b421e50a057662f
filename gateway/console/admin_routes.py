"""The log page (recent API calls from the traffic log) and the security page (bans, lifted here)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from starlette.responses import RedirectResponse, Response

from gateway.console.web import Call, Console

SHOWN_ROWS = 200


def routes(console: Console) -> list[tuple[str, str, object, list[str]]]:
    async def logs(call: Call) -> Response:
        await console.traffic.flush()  # show the calls of the last second too
        user = console.identity.user_by_id(call.session.user_id)
        rows = await asyncio.to_thread(console.traffic.recent, SHOWN_ROWS, user_id=None if user.is_admin else user.id)
        calls = [
            {**row, "at": datetime.fromtimestamp(row["at"], UTC).strftime("%Y-%m-%d %H:%M:%S")}
            for row in rows
            if row["path"].startswith("/api/")
        ]
        return console.render(call, "logs.html", calls=calls)

    async def security(call: Call) -> Response:
        user = console.identity.user_by_id(call.session.user_id)
        if not user.is_admin:
            return console.refuse(call, "Only an administrator can see and lift bans.")
        health, _status = await console.health.report()
        return console.render(call, "security.html", bans=console.bans.active(), health=health)

    async def lift(call: Call) -> Response:
        user = console.identity.user_by_id(call.session.user_id)
        if not user.is_admin:
            return console.refuse(call, "Only an administrator can lift bans.")
        console.bans.lift(str(call.form.get("address", "")))
        return RedirectResponse("/security?notice=ban-lifted", status_code=303)

    guard = console.route
    return [
        ("/logs", "logs", guard("logs", logs), ["GET"]),
        ("/security", "security", guard("security", security), ["GET"]),
        ("/security/lift", "security_lift", guard("security_lift", lift), ["POST"]),
    ]
