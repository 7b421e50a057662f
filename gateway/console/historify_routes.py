"""The History page: what the store holds, download jobs with live progress, and a candle chart.

The page's script asks `/console/historify/<what>` for JSON. Reads and writes call the one
Historify service in-process, as the API handlers do, so the console and scripts see the same
store, jobs and errors. Writes are console POSTs, with the console's CSRF check.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from starlette.responses import JSONResponse, Response

from gateway.accounts import Principal
from gateway.console.web import Call, Console
from generated.api import HistoryRequest
from generated.errors import BrokergateError

CHART_DAYS = {"1m": 5, "D": 3650, "W": 3650, "M": 3650}  # default span a chart opens on, per interval
DEFAULT_CHART_DAYS = 60


def routes(console: Console) -> list[tuple[str, str, object, list[str]]]:
    services = console.services

    def _user(call: Call) -> Principal:
        user = console.identity.user_by_id(call.session.user_id)
        return Principal(user.id, user.username)

    def _error(e: BrokergateError) -> JSONResponse:
        body = {"status": "error", "code": e.code, "message": e.message}
        return JSONResponse(body, status_code=e.http_status)

    def _payload(call: Call) -> dict:
        try:
            sent = json.loads(call.form.get("payload", "{}")) if call.form is not None else {}
        except json.JSONDecodeError:
            sent = {}
        return sent if isinstance(sent, dict) else {}

    async def page(call: Call) -> Response:
        return console.render(call, "historify.html", today=services.historify.today().isoformat())

    async def read(call: Call) -> Response:
        what = call.request.path_params["what"]
        historify, query = services.historify, call.request.query_params
        try:
            if what == "catalogue":
                return JSONResponse({"status": "success", "data": await historify.catalogue()})
            if what == "jobs":
                return JSONResponse({"status": "success", "data": await historify.jobs(_user(call))})
            if what == "schedules":
                return JSONResponse({"status": "success", "data": historify.schedules(_user(call))})
            if what == "watchlist":
                found = [{"symbol": s, "exchange": e} for s, e in await historify.watchlist()]
                return JSONResponse({"status": "success", "data": found})
            if what == "candles":
                interval = query.get("interval", "5m")
                end = date.fromisoformat(query["end"]) if query.get("end") else historify.today()
                span = timedelta(days=CHART_DAYS.get(interval, DEFAULT_CHART_DAYS))
                start = date.fromisoformat(query["start"]) if query.get("start") else end - span
                request = HistoryRequest(
                    symbol=query.get("symbol", ""),
                    exchange=query.get("exchange", "NSE"),
                    interval=interval,
                    start_date=start,
                    end_date=end,
                    source="db",
                )
                return JSONResponse({"status": "success", "data": await historify.history(request)})
        except BrokergateError as e:
            return _error(e)
        except ValueError as e:  # a malformed date or field in the query
            return JSONResponse({"status": "error", "code": "VALIDATION_FAILED", "message": str(e)[:300]}, 400)
        return JSONResponse({"status": "error", "message": f"{what} is not a history read"}, status_code=404)

    async def write(call: Call) -> Response:
        what = call.request.path_params["what"]
        historify, sent, user = services.historify, _payload(call), _user(call)
        try:
            if what == "download":
                symbols = [(str(s).strip().upper(), str(sent.get("exchange", "NSE")).upper())
                           for s in str(sent.get("symbols", "")).replace(",", " ").split() if s.strip()]  # fmt: skip
                job = await historify.download(
                    user,
                    symbols,
                    str(sent.get("interval", "1m")),
                    date.fromisoformat(str(sent.get("start_date", ""))),
                    date.fromisoformat(str(sent.get("end_date", ""))),
                    incremental=sent.get("incremental", True) is not False,
                )
                return JSONResponse({"status": "success", "data": job})
            if what == "job":
                job = await historify.control(str(sent.get("job_id", "")), str(sent.get("action", "")), user)
                return JSONResponse({"status": "success", "data": job})
            if what == "delete":
                deleted = await historify.delete(str(sent.get("symbol", "")), str(sent.get("exchange", "")))
                return JSONResponse({"status": "success", "deleted": deleted})
            if what == "watch":
                pair = [(str(sent.get("symbol", "")).upper(), str(sent.get("exchange", "NSE")).upper())]
                watched = await (historify.unwatch(pair) if sent.get("remove") else historify.watch(pair))
                return JSONResponse({"status": "success", "data": [{"symbol": s, "exchange": e} for s, e in watched]})
            if what == "schedule":
                interval = str(sent.get("interval", "1m"))
                if sent.get("cancel"):
                    return JSONResponse({"status": "success", "removed": historify.unschedule_refresh(user, interval)})
                hour, minute = (int(part) for part in str(sent.get("at", "16:00")).split(":"))
                return JSONResponse(
                    {"status": "success", "data": historify.schedule_refresh(user, interval, hour, minute)}
                )
        except BrokergateError as e:
            return _error(e)
        except ValueError as e:  # a malformed date or time in the form
            return JSONResponse({"status": "error", "code": "VALIDATION_FAILED", "message": str(e)[:300]}, 400)
        return JSONResponse({"status": "error", "message": f"{what} is not a history action"}, status_code=404)

    guard = console.route
    return [
        ("/historify", "historify", guard("historify", page), ["GET"]),
        ("/console/historify/{what}", "console_historify_read", guard("historify_read", read, is_json=True), ["GET"]),
        (
            "/console/historify/{what}/do",
            "console_historify_write",
            guard("historify_write", write, is_json=True),
            ["POST"],
        ),
    ]
