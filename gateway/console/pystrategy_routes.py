"""The Python strategies page: upload or write a script, edit it, start, stop, schedule, delete, and its live log.

The page's script reads `/console/python/...` for JSON and posts changes there with the console's
CSRF token; everything goes through the one PythonStrategies service, as the CLI does, so the same
checks, rate limit and typed errors apply. Only the signed-in user's own strategies are reachable.
"""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse, Response

from gateway.console.web import Call, Console
from gateway.pystrategies.service import DAYS
from generated.errors import BrokergateError, PayloadTooLarge, ValidationFailed

LOG_LINES = 300


def routes(console: Console) -> list[tuple[str, str, object, list[str]]]:
    strategies = console.services.pystrategies

    def _error(e: BrokergateError) -> JSONResponse:
        return JSONResponse({"status": "error", "code": e.code, "message": e.message}, status_code=e.http_status)

    def _text(call: Call, field: str) -> str | None:
        value = call.form.get(field) if call.form is not None else None
        return value if isinstance(value, str) else None

    async def _script(call: Call) -> bytes | str | None:
        """The uploaded file if one was chosen, else the text area's content, else None."""
        upload = call.form.get("file") if call.form is not None else None
        if isinstance(upload, UploadFile) and upload.filename:
            content = await upload.read(strategies.max_script_bytes + 1)
            if len(content) > strategies.max_script_bytes:
                raise PayloadTooLarge(f"The file is larger than {strategies.max_script_bytes} bytes")
            return content
        return _text(call, "source")

    async def page(call: Call) -> Response:
        limits = strategies.supervisor.config.limits
        return console.render(
            call,
            "python_strategies.html",
            days=DAYS,
            max_kb=strategies.max_script_bytes // 1024,
            memory_mb=limits.memory_bytes // (1024 * 1024),
            cpu_seconds=limits.cpu_seconds,
            is_supervised=strategies.supervisor.is_active,
        )

    async def read(call: Call) -> Response:
        user_id, what = call.session.user_id, call.request.path_params["what"]
        try:
            if what == "list":
                return JSONResponse({"status": "success", "data": strategies.list(user_id)})
            ref = call.request.query_params.get("id", "")
            if what == "source":
                return JSONResponse(
                    {
                        "status": "success",
                        "data": strategies.get(user_id, ref) | {"source": strategies.source(user_id, ref)},
                    }
                )
            if what == "log":
                lines = strategies.logs(user_id, ref, LOG_LINES)
                return JSONResponse({"status": "success", "data": {"lines": lines}})
        except BrokergateError as e:
            return _error(e)
        return JSONResponse(
            {"status": "error", "code": "NOT_FOUND", "message": f"{what[:32]} is not a Python strategy read"}, 404
        )

    async def save(call: Call) -> Response:
        user_id = call.session.user_id
        try:
            ref, name, script = _text(call, "id") or "", _text(call, "name"), await _script(call)
            if ref:
                saved = await strategies.edit(user_id, ref, source=script or None, name=name or None)
            else:
                if not script:
                    raise ValidationFailed("Choose a .py file or write the script", errors={"source": ["missing"]})
                saved = await strategies.add(user_id, name or _file_stem(call), script)
        except BrokergateError as e:
            return _error(e)
        return JSONResponse({"status": "success", "data": saved})

    async def act(call: Call) -> Response:
        user_id, action = call.session.user_id, call.request.path_params["action"]
        ref = _text(call, "id") or ""
        try:
            if action == "start":
                done = await strategies.start_strategy(user_id, ref)
            elif action == "stop":
                done = await strategies.stop_strategy(user_id, ref)
            elif action == "delete":
                done = await strategies.remove(user_id, ref)
            elif action == "schedule":
                days = call.form.getlist("days") if call.form is not None else []
                done = await strategies.schedule(user_id, ref, days, _text(call, "start"), _text(call, "stop"))
            elif action == "unschedule":
                done = await strategies.unschedule(user_id, ref)
            else:
                return JSONResponse(
                    {"status": "error", "code": "NOT_FOUND", "message": f"{action[:32]} is not a strategy action"}, 404
                )
        except BrokergateError as e:
            return _error(e)
        return JSONResponse({"status": "success", "data": done})

    def _file_stem(call: Call) -> str:
        upload = call.form.get("file") if call.form is not None else None
        filename = upload.filename if isinstance(upload, UploadFile) and upload.filename else ""
        return filename.rsplit("/", 1)[-1].removesuffix(".py")

    guard = console.route
    return [
        ("/python", "python_strategies", guard("python_strategies", page), ["GET"]),
        ("/console/python/{what}", "console_python_read", guard("python_read", read, is_json=True), ["GET"]),
        ("/console/python/save", "console_python_save", guard("python_save", save, is_json=True), ["POST"]),
        ("/console/python/do/{action}", "console_python_do", guard("python_do", act, is_json=True), ["POST"]),
    ]
