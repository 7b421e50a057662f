"""The admin data page (administrators only): market holidays, session timings and freeze quantities."""

from __future__ import annotations

from datetime import UTC, date, datetime

from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from gateway.admindata import CSV_COLUMNS
from gateway.console.web import Call, Console
from generated.errors import BrokergateError, ValidationFailed

MAX_UPLOAD_BYTES = 900_000


def routes(console: Console) -> list[tuple[str, str, object, list[str]]]:
    admin = console.services.admin

    def is_admin(call: Call) -> bool:
        return console.identity.user_by_id(call.session.user_id).is_admin

    def _year(call: Call) -> int:
        text = call.request.query_params.get("year") or (call.form.get("year") if call.form else None)
        if text is None or text == "":
            return datetime.now(UTC).year
        if not str(text).isdigit() or not 2020 <= int(text) <= 2050:
            raise ValidationFailed("year must be from 2020 to 2050", errors={"year": ["Not a valid year."]})
        return int(text)

    def page(call: Call, *, status: int = 200, error: str | None = None, year: int | None = None) -> Response:
        year = year or datetime.now(UTC).year
        return console.render(
            call,
            "admin_data.html",
            status=status,
            error=error,
            year=year,
            years=list(range(2025, max(year, datetime.now(UTC).year) + 2)),
            holidays=[{**row, "weekday": f"{date.fromisoformat(row['date']):%a}"} for row in admin.holidays(year)],
            timings=admin.timings(),
            freeze=admin.freeze_quantities(),
            csv_header=",".join(CSV_COLUMNS),
        )

    async def show(call: Call) -> Response:
        if not is_admin(call):
            return console.refuse(call, "Only an administrator can see and change the admin data.")
        try:
            year = _year(call)
        except ValidationFailed as e:
            return page(call, status=400, error=e.message)
        return page(call, year=year)

    def change(action, notice: str):
        async def handler(call: Call) -> Response:
            if not is_admin(call):
                return console.refuse(call, "Only an administrator can change the admin data.")
            try:
                year = await action(call.form) or _year(call)  # a new holiday shows its own year
            except BrokergateError as e:
                return page(call, status=e.http_status if e.http_status < 500 else 400, error=e.message)
            return RedirectResponse(f"/admin/data?year={year}&notice={notice}", status_code=303)

        return handler

    def field(form, name: str) -> str:
        value = form.get(name, "")
        return value if isinstance(value, str) else ""

    async def add_holiday(form) -> int:
        return int(
            admin.add_holiday(
                field(form, "date"), field(form, "description"), commodity_evening=bool(form.get("commodity_evening"))
            )["date"][:4]
        )

    async def delete_holiday(form) -> None:
        admin.delete_holiday(field(form, "date"))

    async def set_timing(form) -> None:
        admin.set_timing(
            field(form, "exchange"),
            field(form, "start_time"),
            field(form, "end_time"),
            field(form, "dst_end_time") or None,
        )

    async def set_freeze(form) -> None:
        admin.set_freeze(field(form, "exchange"), field(form, "symbol"), field(form, "freeze_qty"))

    async def delete_freeze(form) -> None:
        admin.delete_freeze(field(form, "exchange"), field(form, "symbol"))

    async def upload_freeze(form) -> None:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationFailed("Choose a CSV file to upload", errors={"file": ["Missing file."]})
        content = await upload.read(MAX_UPLOAD_BYTES + 1)
        if len(content) > MAX_UPLOAD_BYTES:
            raise ValidationFailed(f"The file is larger than {MAX_UPLOAD_BYTES} bytes", errors={"file": ["Too large."]})
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed("The file is not UTF-8 text", errors={"file": ["Not UTF-8 text."]}) from None
        admin.upload_freeze_csv(text, replace=bool(form.get("replace")))

    async def export_freeze(call: Call) -> Response:
        if not is_admin(call):
            return console.refuse(call, "Only an administrator can export the admin data.")
        lines = [",".join(CSV_COLUMNS)] + [
            f"{row['exchange']},{row['symbol']},{row['freeze_qty']}" for row in admin.freeze_quantities()
        ]
        return Response(
            "\n".join(lines) + "\n",
            media_type="text/csv",
            headers={
                "Content-Disposition": 'attachment; filename="freeze-quantities.csv"',
                "Cache-Control": "no-store",
            },
        )

    guard = console.route
    posts = [
        ("holiday", add_holiday, "holiday-saved"),
        ("holiday/delete", delete_holiday, "holiday-removed"),
        ("timing", set_timing, "timing-saved"),
        ("freeze", set_freeze, "freeze-saved"),
        ("freeze/delete", delete_freeze, "freeze-removed"),
        ("freeze/upload", upload_freeze, "freeze-uploaded"),
    ]
    return [
        ("/admin/data", "admin_data", guard("admin_data", show), ["GET"]),
        ("/admin/data/freeze.csv", "admin_data_freeze_csv", guard("admin_data_freeze_csv", export_freeze), ["GET"]),
    ] + [
        (
            f"/admin/data/{path}",
            f"admin_data_{path.replace('/', '_')}",
            guard(f"admin_data_{path.replace('/', '_')}", change(action, notice)),
            ["POST"],
        )
        for path, action, notice in posts
    ]
