"""The sandbox's settings: starting capital, leverage, square-off times and the trading calendar.

Defaults follow OpenAlgo's sandbox (`sandbox_config`), so numbers users know carry over. The offline
gateway builds it with `square_off_enabled=False`, because the simulated market trades around the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal

# IST; OpenAlgo's nse_bse_square_off_time, cds_bcd_square_off_time, mcx_square_off_time, ncdex_square_off_time.
DEFAULT_SQUARE_OFF_TIMES: Mapping[str, time] = {
    "NSE": time(15, 15),
    "BSE": time(15, 15),
    "NFO": time(15, 15),
    "BFO": time(15, 15),
    "CDS": time(16, 45),
    "BCD": time(16, 45),
    "MCX": time(23, 30),
    "NCDEX": time(17, 0),
}


def is_weekday(day: date) -> bool:
    return day.weekday() < 5


@dataclass(frozen=True)
class SandboxConfig:
    starting_capital: Decimal = Decimal(10_000_000)
    equity_mis_leverage: Decimal = Decimal(5)
    equity_cnc_leverage: Decimal = Decimal(1)
    futures_leverage: Decimal = Decimal(10)
    # Short options block a share of the underlying's notional, roughly what SPAN plus exposure asks for
    # an index option; OpenAlgo blocks only the premium, which lets a small account sell without limit.
    short_option_margin_percent: Decimal = Decimal(15)
    square_off_enabled: bool = True
    square_off_times: Mapping[str, time] = field(default_factory=lambda: dict(DEFAULT_SQUARE_OFF_TIMES))
    # MIS orders are refused before this IST time too (OpenAlgo: "Trading resumes at 09:00 AM IST").
    mis_opens_at: time = time(9, 0)
    gtt_expiry_days: int = 365
    # The gateway passes the market calendar's answer; weekdays alone are the fallback.
    is_trading_day: Callable[[date], bool] = is_weekday
    # Why an exchange is shut on a day (a holiday), from the calendar; a MARKET order that day is refused with it.
    # None keeps the sandbox trading every day, as the offline market does around the clock.
    closure_reason: Callable[[str, date], str | None] | None = None
