"""Handlers of the `market` tag: exchange holidays and session timings (no API key needed)."""

from gateway import calendar
from gateway.context import services
from generated.api import MarketHolidaysRequest, MarketTimingsRequest


async def holidays(body: dict) -> tuple[dict, int]:
    request = MarketHolidaysRequest.model_validate(body)
    return calendar.holidays(services().market, request.year), 200


async def timings(body: dict) -> tuple[dict, int]:
    request = MarketTimingsRequest.model_validate(body)
    return calendar.timings(services().market, request.date), 200
