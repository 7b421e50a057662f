"""The offline market's universe: every underlying it simulates and the contracts listed on it.

This module is data. Prices are plausible late-2025 levels, volatilities are annualised, and
`market_beta` is the loading on the one common market factor that makes stocks and indices move
together (INDIAVIX loads negatively, commodities and the rupee barely at all). Contract facts (lot
sizes, strike steps, freeze quantities) follow the exchanges' published specifications.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ExpiryRule(StrEnum):
    """How an exchange schedules a contract's expiry dates (rules live in expiries.py)."""

    WEEKLY_TUESDAY = "weekly_tuesday"  # NSE index weeklies since September 2025
    MONTHLY_TUESDAY = "monthly_tuesday"  # last Tuesday of the month (NSE monthlies)
    WEEKLY_THURSDAY = "weekly_thursday"  # BSE SENSEX weeklies
    MONTHLY_THURSDAY = "monthly_thursday"  # last Thursday of the month (BSE monthlies)
    CRUDE_FUTURE = "crude_future"  # MCX crude: around the 19th of each month
    CRUDE_OPTION = "crude_option"  # two trading days before the crude future
    GOLD_FUTURE = "gold_future"  # MCX gold: the 5th of even months
    GOLD_OPTION = "gold_option"  # three trading days before the gold future's month begins
    CURRENCY_FUTURE = "currency_future"  # two trading days before the month's last trading day
    WEEKLY_FRIDAY = "weekly_friday"  # currency weeklies


@dataclass(frozen=True, slots=True)
class Underlying:
    """A price process the market simulates; spot_exchange is None where no spot is listed."""

    name: str
    spot_exchange: str | None
    price: float
    volatility: float
    market_beta: float
    tick_size: float = 0.05
    daily_volume: int = 0
    mean_reversion: float = 0.3  # per year, pulls long synthetic histories back toward `price`
    carry: float = 0.055  # annual cost of carry for futures priced off this underlying


@dataclass(frozen=True, slots=True)
class DerivativeSpec:
    """What a derivatives exchange lists on one underlying."""

    name: str
    exchange: str
    lot_size: int
    strike_step: float
    tick_size: float
    freeze_quantity: int
    future_rule: ExpiryRule
    option_rules: tuple[ExpiryRule, ...]
    future_count: int = 3
    weekly_count: int = 4
    monthly_count: int = 3
    strikes_each_side: int = 20


def _equity(name: str, price: float, volatility: float, beta: float, turnover_crore: float) -> Underlying:
    # NSE has quoted stocks under Rs 250 in 0.01 ticks since mid 2025.
    tick = 0.01 if price < 250 else 0.05
    volume = int(turnover_crore * 1e7 / price)
    return Underlying(name, "NSE", price, volatility, beta, tick, volume)


EQUITIES: tuple[Underlying, ...] = (
    _equity("RELIANCE", 1485.0, 0.22, 0.65, 1400),
    _equity("TCS", 3120.0, 0.21, 0.45, 1100),
    _equity("HDFCBANK", 985.0, 0.18, 0.70, 1800),
    _equity("ICICIBANK", 1380.0, 0.20, 0.68, 1300),
    _equity("INFY", 1545.0, 0.24, 0.50, 1200),
    _equity("SBIN", 965.0, 0.24, 0.66, 1100),
    _equity("BHARTIARTL", 2080.0, 0.21, 0.55, 900),
    _equity("ITC", 405.0, 0.18, 0.45, 600),
    _equity("LT", 3980.0, 0.22, 0.62, 800),
    _equity("HINDUNILVR", 2420.0, 0.19, 0.40, 500),
    _equity("KOTAKBANK", 2110.0, 0.21, 0.60, 700),
    _equity("AXISBANK", 1265.0, 0.23, 0.65, 900),
    _equity("BAJFINANCE", 1015.0, 0.28, 0.70, 1000),
    _equity("MARUTI", 15950.0, 0.24, 0.55, 700),
    _equity("M&M", 3690.0, 0.27, 0.60, 900),
    _equity("BAJAJ-AUTO", 8950.0, 0.24, 0.50, 500),
    _equity("SUNPHARMA", 1760.0, 0.21, 0.40, 500),
    _equity("TITAN", 3820.0, 0.24, 0.55, 500),
    _equity("ULTRACEMCO", 11750.0, 0.22, 0.50, 400),
    _equity("ASIANPAINT", 2890.0, 0.22, 0.45, 450),
    _equity("NTPC", 332.0, 0.23, 0.55, 500),
    _equity("POWERGRID", 271.0, 0.22, 0.50, 400),
    _equity("ONGC", 246.0, 0.27, 0.55, 400),
    _equity("COALINDIA", 382.0, 0.26, 0.50, 400),
    _equity("TATASTEEL", 171.0, 0.30, 0.70, 800),
    _equity("JSWSTEEL", 1155.0, 0.28, 0.65, 400),
    _equity("HCLTECH", 1605.0, 0.24, 0.48, 600),
    _equity("WIPRO", 252.0, 0.25, 0.45, 400),
    _equity("TECHM", 1495.0, 0.27, 0.50, 450),
    _equity("NESTLEIND", 1255.0, 0.18, 0.35, 300),
    _equity("ADANIENT", 2395.0, 0.38, 0.80, 900),
    _equity("ADANIPORTS", 1490.0, 0.32, 0.75, 700),
    _equity("HINDALCO", 845.0, 0.29, 0.70, 500),
    _equity("GRASIM", 2840.0, 0.23, 0.55, 300),
    _equity("CIPLA", 1525.0, 0.22, 0.35, 350),
    _equity("DRREDDY", 1248.0, 0.22, 0.35, 350),
    _equity("DIVISLAB", 6480.0, 0.26, 0.40, 300),
    _equity("EICHERMOT", 7010.0, 0.27, 0.55, 400),
    _equity("HEROMOTOCO", 5620.0, 0.27, 0.50, 350),
    _equity("TATACONSUM", 1148.0, 0.24, 0.45, 300),
    _equity("BRITANNIA", 5990.0, 0.20, 0.35, 250),
    _equity("APOLLOHOSP", 7580.0, 0.25, 0.45, 350),
    _equity("BPCL", 358.0, 0.29, 0.60, 400),
    _equity("SHRIRAMFIN", 805.0, 0.32, 0.75, 600),
    _equity("TRENT", 4310.0, 0.34, 0.65, 700),
    _equity("BEL", 418.0, 0.30, 0.70, 900),
    _equity("INDUSINDBK", 848.0, 0.36, 0.75, 700),
    _equity("HDFCLIFE", 772.0, 0.22, 0.50, 300),
    _equity("SBILIFE", 1995.0, 0.22, 0.50, 300),
    _equity("BAJAJFINSV", 2045.0, 0.25, 0.65, 400),
    _equity("ETERNAL", 318.0, 0.40, 0.80, 1300),
    _equity("JIOFIN", 309.0, 0.33, 0.70, 600),
    _equity("IRFC", 124.5, 0.35, 0.70, 300),
    _equity("SUZLON", 55.4, 0.45, 0.80, 600),
    _equity("YESBANK", 22.1, 0.38, 0.70, 300),
    _equity("IDEA", 9.85, 0.55, 0.60, 700),
)

INDICES: tuple[Underlying, ...] = (
    Underlying("NIFTY", "NSE_INDEX", 25900.0, 0.13, 1.00, 0.05, 0, carry=0.055),
    Underlying("BANKNIFTY", "NSE_INDEX", 58100.0, 0.15, 0.85, 0.05, 0, carry=0.055),
    Underlying("FINNIFTY", "NSE_INDEX", 27450.0, 0.15, 0.88, 0.05, 0, carry=0.055),
    Underlying("MIDCPNIFTY", "NSE_INDEX", 13520.0, 0.18, 0.80, 0.05, 0, carry=0.055),
    Underlying("NIFTYNXT50", "NSE_INDEX", 69100.0, 0.17, 0.85, 0.05, 0, carry=0.055),
    # The fear gauge mean-reverts quickly (a half-life of a few weeks) and moves against stocks.
    Underlying("INDIAVIX", "NSE_INDEX", 12.5, 0.85, -0.70, 0.0025, 0, mean_reversion=8.0, carry=0.0),
    Underlying("SENSEX", "BSE_INDEX", 84600.0, 0.13, 0.99, 0.05, 0, carry=0.055),
    Underlying("BANKEX", "BSE_INDEX", 65300.0, 0.15, 0.85, 0.05, 0, carry=0.055),
)

# Commodities and the rupee have no listed spot: their futures are the tradable price.
NO_SPOT: tuple[Underlying, ...] = (
    Underlying("CRUDEOIL", None, 5420.0, 0.34, 0.10, 1.0, 0, carry=0.02),
    Underlying("GOLD", None, 128500.0, 0.16, 0.05, 1.0, 0, carry=0.06),
    Underlying("USDINR", None, 88.70, 0.04, -0.20, 0.0025, 0, mean_reversion=1.0, carry=0.025),
)

UNDERLYINGS: dict[str, Underlying] = {row.name: row for row in EQUITIES + INDICES + NO_SPOT}

_NIFTY_OPTIONS = (ExpiryRule.WEEKLY_TUESDAY, ExpiryRule.MONTHLY_TUESDAY)

DERIVATIVES: tuple[DerivativeSpec, ...] = (
    DerivativeSpec("NIFTY", "NFO", 65, 50.0, 0.05, 1800, ExpiryRule.MONTHLY_TUESDAY, _NIFTY_OPTIONS),
    DerivativeSpec(
        "BANKNIFTY", "NFO", 30, 100.0, 0.05, 900, ExpiryRule.MONTHLY_TUESDAY, (ExpiryRule.MONTHLY_TUESDAY,)
    ),
    DerivativeSpec(
        "FINNIFTY", "NFO", 60, 50.0, 0.05, 1800, ExpiryRule.MONTHLY_TUESDAY, (ExpiryRule.MONTHLY_TUESDAY,)
    ),
    DerivativeSpec(
        "SENSEX",
        "BFO",
        20,
        100.0,
        0.05,
        1000,
        ExpiryRule.MONTHLY_THURSDAY,
        (ExpiryRule.WEEKLY_THURSDAY, ExpiryRule.MONTHLY_THURSDAY),
    ),
    DerivativeSpec("CRUDEOIL", "MCX", 100, 50.0, 1.0, 0, ExpiryRule.CRUDE_FUTURE, (ExpiryRule.CRUDE_OPTION,)),
    DerivativeSpec("GOLD", "MCX", 1, 100.0, 1.0, 0, ExpiryRule.GOLD_FUTURE, (ExpiryRule.GOLD_OPTION,)),
    DerivativeSpec(
        "USDINR",
        "CDS",
        1000,
        0.25,
        0.0025,
        0,
        ExpiryRule.CURRENCY_FUTURE,
        (ExpiryRule.WEEKLY_FRIDAY, ExpiryRule.CURRENCY_FUTURE),
    ),
)


def _session_exchange(row: Underlying) -> str:
    if row.spot_exchange is not None:
        return row.spot_exchange
    return next(spec.exchange for spec in DERIVATIVES if spec.name == row.name)


# Which exchange's trading hours move each underlying (a spot-less one follows its futures).
SESSION_EXCHANGE: dict[str, str] = {name: _session_exchange(row) for name, row in UNDERLYINGS.items()}
SPECS: dict[str, DerivativeSpec] = {spec.name: spec for spec in DERIVATIVES}
