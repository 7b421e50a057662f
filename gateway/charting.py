"""What charting tools read: candles for `ticker/EXCHANGE:SYMBOL`, as JSON or text lines, and per-symbol P&L.

Unlike OpenAlgo, a ticker path without its exchange is a 400 naming `exchange`, never a quiet
`NSE:RELIANCE`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from gateway.routing import Route
from gateway.validation import from_pydantic
from generated.api import Candle, HistoryRequest
from generated.contract import Account
from generated.errors import NotSupported, ValidationFailed
from sandbox.market import IST

_LONG_INTERVALS = {"D", "W", "M", "Q", "Y"}
# OpenAlgo's reach back from `to`: ten years of daily and longer candles, a month of intraday ones.
_LONG_REACH, _INTRADAY_REACH = timedelta(days=3650), timedelta(days=30)


def ticker_request(path_symbol: str, interval: str | None, start: str, end: str) -> HistoryRequest:
    """The history request behind a ticker path, with the range clamped to what the interval may reach."""
    exchange, separator, symbol = path_symbol.partition(":")
    if not separator or not exchange:
        message = f"The ticker path needs its exchange, as EXCHANGE:SYMBOL (e.g. NSE:SBIN); got {path_symbol!r}"
        raise ValidationFailed(message, errors={"exchange": ["Missing data for required field."]})
    interval = interval or "D"
    try:
        request = HistoryRequest(
            symbol=symbol.upper(),
            exchange=exchange.upper(),
            interval=interval,
            start_date=start,
            end_date=end,
        )
    except ValidationError as e:
        raise from_pydantic(e) from e
    if request.start_date > request.end_date:
        raise ValidationFailed("from is after to", errors={"from": ["Must not be after to."]})
    earliest = request.end_date - (_LONG_REACH if interval in _LONG_INTERVALS else _INTRADAY_REACH)
    return request.model_copy(update={"start_date": max(request.start_date, earliest)})


def ticker_lines(request: HistoryRequest, candles: list[Candle]) -> str:
    """OpenAlgo's text format: `NSE:SBIN,2026-11-24,o,h,l,c,v`, with the IST time after the date intraday."""
    name = f"{request.exchange}:{request.symbol}"
    is_long = request.interval in _LONG_INTERVALS
    lines = []
    for candle in candles:
        moment = datetime.fromtimestamp(candle.timestamp, UTC).astimezone(IST)
        when = f"{moment:%Y-%m-%d}" if is_long else f"{moment:%Y-%m-%d,%H:%M:%S}"
        lines.append(f"{name},{when},{candle.open},{candle.high},{candle.low},{candle.close},{candle.volume}\n")
    return "".join(lines)


async def symbol_pnl(route: Route, account: Account) -> dict:
    """Each sandbox position's P&L, with the totals; live brokers have no such view here."""
    if not route.is_analyze:
        raise NotSupported("This endpoint is only available in sandbox/analyzer mode")
    rows = [
        {
            "symbol": position.symbol,
            "exchange": position.exchange,
            "product": position.product,
            "quantity": position.quantity,
            "pnl": position.pnl,
            "unrealized_pnl": position.unrealized_pnl or 0.0,
            "today_realized_pnl": position.today_realized_pnl or 0.0,
            "total_pnl_today": position.total_pnl_today or 0.0,
        }
        for position in await route.plugin.positions(account)
    ]
    unrealized = round(sum(row["unrealized_pnl"] for row in rows), 2)
    realized = round(sum(row["today_realized_pnl"] for row in rows), 2)
    return {
        "status": "success",
        "data": rows,
        "total_pnl": round(unrealized + realized, 2),
        "total_unrealized_pnl": unrealized,
        "total_today_realized_pnl": realized,
        "total_pnl_today": round(unrealized + realized, 2),
        "mode": "analyze",
    }
