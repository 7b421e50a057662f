"""Handlers of the `symbols` tag: the unified symbol master."""

import csv
import io

from brokers.sandbox.mapping import instrument_record
from gateway.context import services
from generated.api import ExpiryRequest, InstrumentRecord, SearchRequest
from generated.api import InstrumentRequest as SymbolRequest
from generated.errors import SymbolNotFound, ValidationFailed
from sandbox.market import dashed_expiry

_CSV_COLUMNS = [name for name in InstrumentRecord.model_fields if name != "freeze_qty"]


async def symbol(body: dict) -> tuple[dict, int]:
    request = SymbolRequest.model_validate(body)
    instrument = services().market.master.get(request.exchange, request.symbol)
    if instrument is None:
        raise SymbolNotFound(f"Symbol {request.symbol} not found in exchange {request.exchange}")
    return {"status": "success", "data": instrument_record(instrument).model_dump()}, 200


async def search(body: dict) -> tuple[dict, int]:
    request = SearchRequest.model_validate(body)
    if not request.query.strip():
        raise ValidationFailed(
            "Query parameter is required and cannot be empty", errors={"query": ["May not be blank."]}
        )
    found = services().market.master.search(request.query, request.exchange)
    message = f"Found {len(found)} matching symbols" if found else "No matching symbols found"
    return {"status": "success", "message": message, "data": [instrument_record(i).model_dump() for i in found]}, 200


async def expiry(body: dict) -> tuple[dict, int]:
    request = ExpiryRequest.model_validate(body)
    dates = services().market.master.expiries(request.symbol.upper(), request.exchange, request.instrumenttype)
    kind = f"{request.symbol} {request.instrumenttype} in {request.exchange}"
    message = f"Found {len(dates)} expiry dates for {kind}" if dates else f"No expiry dates found for {kind}"
    return {"status": "success", "message": message, "data": [dashed_expiry(day) for day in dates]}, 200


async def instruments(exchange: str | None = None, format: str = "json", apikey: str | None = None):
    rows = [instrument_record(i).model_dump() for i in services().market.master.all(exchange)]
    if format.lower() == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=_CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        disposition = f"attachment; filename=instruments_{(exchange or 'all').lower()}.csv"
        return buffer.getvalue(), 200, {"Content-Type": "text/csv", "Content-Disposition": disposition}
    message = f"Found {len(rows)} instruments" if rows else "No instruments found"
    return {"status": "success", "message": message, "data": rows}, 200, {"Content-Type": "application/json"}
