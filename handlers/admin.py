"""Handlers of the `admin` tag: market holidays, session timings and freeze quantities (administrators only)."""

from gateway.admindata import AdminData
from gateway.context import current_user, services
from generated.api import (
    AdminFreezeKeyRequest,
    AdminFreezeRequest,
    AdminFreezeUploadRequest,
    AdminHolidayDayRequest,
    AdminHolidayRequest,
    AdminHolidaysRequest,
    AdminTimingRequest,
)
from generated.errors import Forbidden


def _admin() -> AdminData:
    gateway = services()
    if not gateway.accounts.user(current_user().username).is_admin:
        raise Forbidden("Only an administrator can read or change the admin data")
    return gateway.admin


async def holidays(body: dict) -> tuple[dict, int]:
    request = AdminHolidaysRequest.model_validate(body)
    return {"status": "success", "data": _admin().holidays(request.year)}, 200


async def add_holiday(body: dict) -> tuple[dict, int]:
    request = AdminHolidayRequest.model_validate(body)
    added = _admin().add_holiday(request.date, request.description, commodity_evening=bool(request.commodity_evening))
    return {"status": "success", "data": added}, 200


async def delete_holiday(body: dict) -> tuple[dict, int]:
    request = AdminHolidayDayRequest.model_validate(body)
    _admin().delete_holiday(request.date)
    return {"status": "success", "message": f"The holiday on {request.date.isoformat()} was removed"}, 200


async def timings(body: dict) -> tuple[dict, int]:
    return {"status": "success", "data": _admin().timings()}, 200


async def set_timing(body: dict) -> tuple[dict, int]:
    request = AdminTimingRequest.model_validate(body)
    changed = _admin().set_timing(request.exchange, request.start_time, request.end_time, request.dst_end_time)
    return {"status": "success", "data": changed}, 200


async def freeze_quantities(body: dict) -> tuple[dict, int]:
    return {"status": "success", "data": _admin().freeze_quantities()}, 200


async def set_freeze(body: dict) -> tuple[dict, int]:
    request = AdminFreezeRequest.model_validate(body)
    return {"status": "success", "data": _admin().set_freeze(request.exchange, request.symbol, request.freeze_qty)}, 200


async def delete_freeze(body: dict) -> tuple[dict, int]:
    request = AdminFreezeKeyRequest.model_validate(body)
    _admin().delete_freeze(request.exchange, request.symbol)
    return {
        "status": "success",
        "message": f"The freeze quantity of {request.symbol} on {request.exchange} was removed",
    }, 200


async def upload_freeze(body: dict) -> tuple[dict, int]:
    request = AdminFreezeUploadRequest.model_validate(body)
    count = _admin().upload_freeze_csv(request.csv, replace=bool(request.replace))
    return {"status": "success", "count": count, "message": f"{count} freeze quantities saved"}, 200
