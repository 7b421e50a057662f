"""Fair values of derivatives: futures by cost of carry, options by Black-76 on a volatility smile.

The smile is quadratic in standardised moneyness ln(K/F) / (sigma * sqrt(T)), with the put skew of
Indian index options, a milder one for stocks and commodities and a call skew for USDINR (the rupee
tends to fall fast). At-the-money volatility rises gently with maturity, and for NSE and BSE
underlyings it scales with INDIAVIX so the whole surface breathes with the fear gauge.
"""

from __future__ import annotations

from datetime import date, datetime, time

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sandbox.market import black76
from sandbox.market.calendar import IST
from sandbox.market.naming import parse_symbol
from sandbox.market.types import Instrument, InstrumentType
from sandbox.market.universe import UNDERLYINGS

RISK_FREE_RATE = 0.055  # discounting for option values; close to the RBI policy rate
SECONDS_PER_YEAR = 365.0 * 86400.0
VIX_NAME = "INDIAVIX"
_VIX_REFERENCE = UNDERLYINGS[VIX_NAME].price

# The instant contracts stop trading, per exchange (OpenAlgo's option-chain `expiry_ts` rule).
_EXPIRY_TIME = {"NFO": time(15, 30), "BFO": time(15, 30), "CDS": time(12, 30), "MCX": time(23, 30)}

# (skew, curvature) of the smile per kind of underlying.
_INDEX_SMILE = (-0.10, 0.035)
_STOCK_SMILE = (-0.06, 0.045)
_NAMED_SMILE = {"CRUDEOIL": (-0.03, 0.04), "GOLD": (0.02, 0.03), "USDINR": (0.08, 0.05)}


def expiry_epoch(expiry: date, exchange: str) -> float:
    """Epoch seconds of the moment a contract expires."""
    return datetime.combine(expiry, _EXPIRY_TIME.get(exchange, time(15, 30)), IST).timestamp()


def years_left(expiry_seconds: float, moments: ArrayLike) -> NDArray[np.float64]:
    """Calendar years from each moment (epoch seconds) to expiry, never negative."""
    return np.maximum((expiry_seconds - np.asarray(moments, dtype=float)) / SECONDS_PER_YEAR, 0.0)


def carried(spot: ArrayLike, carry: float, years: ArrayLike) -> NDArray[np.float64]:
    """A future's fair value: spot grown at the cost of carry until expiry."""
    return np.asarray(spot, dtype=float) * np.exp(carry * np.asarray(years, dtype=float))


def volatility_level(name: str, vix: ArrayLike) -> NDArray[np.float64]:
    """How far the surface sits above or below normal: INDIAVIX against its usual level for NSE/BSE."""
    row = UNDERLYINGS[name]
    if row.spot_exchange is None:
        return np.asarray(1.0)
    return np.clip(np.asarray(vix, dtype=float) / _VIX_REFERENCE, 0.5, 3.0)


def smile(
    name: str, forward: ArrayLike, strike: ArrayLike, years: ArrayLike, level: ArrayLike = 1.0
) -> NDArray[np.float64]:
    """Implied volatility of `name` options at each strike, forward and maturity."""
    row = UNDERLYINGS[name]
    usual = _STOCK_SMILE if row.spot_exchange == "NSE" else _INDEX_SMILE
    skew, curvature = _NAMED_SMILE.get(name, usual)
    years = np.maximum(np.asarray(years, dtype=float), 1.0 / SECONDS_PER_YEAR)
    # A mild upward term structure: weeklies a little below, far months a little above.
    term = np.clip(1.0 + 0.05 * np.log(years / 0.08), 0.9, 1.12)
    at_the_money = row.volatility * np.asarray(level, dtype=float) * term
    moneyness = np.log(np.asarray(strike, dtype=float) / np.asarray(forward, dtype=float))
    standardised = np.clip(moneyness / (at_the_money * np.sqrt(years)), -4.0, 4.0)
    shape = 1.0 + skew * standardised + curvature * standardised * standardised
    return at_the_money * np.clip(shape, 0.5, 3.0)


def option_value(
    name: str,
    forward: ArrayLike,
    strike: ArrayLike,
    years: ArrayLike,
    is_call: ArrayLike,
    level: ArrayLike = 1.0,
) -> NDArray[np.float64]:
    """Black-76 value on the smile; intrinsic value once expired."""
    volatility = smile(name, forward, strike, years, level)
    return black76.price(forward, strike, years, volatility, RISK_FREE_RATE, is_call)


def _forward_expiry(instrument: Instrument) -> float:
    """When the forward an option is written on expires: its future's expiry where there is no spot."""
    if instrument.is_option and instrument.underlying and instrument.underlying != instrument.name:
        future = parse_symbol(instrument.underlying)
        if future.expiry is not None:
            return expiry_epoch(future.expiry, instrument.exchange)
    assert instrument.expiry is not None
    return expiry_epoch(instrument.expiry, instrument.exchange)


def forward(instrument: Instrument, spot: ArrayLike, moments: ArrayLike) -> NDArray[np.float64]:
    """The futures price an instrument is valued from at each moment (the spot itself for cash)."""
    if not instrument.is_derivative:
        return np.asarray(spot, dtype=float)
    years = years_left(_forward_expiry(instrument), moments)
    return carried(spot, UNDERLYINGS[instrument.name].carry, years)


def standardised_moneyness(
    instrument: Instrument, forward_price: ArrayLike, years: ArrayLike
) -> NDArray[np.float64]:
    """ln(K/F) in at-the-money standard deviations; zero for anything but an option."""
    if not instrument.is_option:
        return np.zeros(np.shape(forward_price))
    spread = UNDERLYINGS[instrument.name].volatility * np.sqrt(np.maximum(years, 1.0 / 365.0))
    return np.log(instrument.strike / np.asarray(forward_price, dtype=float)) / spread


def fair_value(
    instrument: Instrument, spot: ArrayLike, moments: ArrayLike, vix: ArrayLike = _VIX_REFERENCE
) -> NDArray[np.float64]:
    """Model value of any instrument given its underlying's spot, the moments and INDIAVIX."""
    forward_price = forward(instrument, spot, moments)
    if not instrument.is_option:
        return forward_price
    assert instrument.expiry is not None and instrument.strike is not None
    years = years_left(expiry_epoch(instrument.expiry, instrument.exchange), moments)
    is_call = instrument.instrument_type is InstrumentType.CALL
    level = volatility_level(instrument.name, vix)
    return option_value(instrument.name, forward_price, instrument.strike, years, is_call, level)


def option_fair_values(
    options: list[Instrument], spots: ArrayLike, moment: float, vix: float = _VIX_REFERENCE
) -> NDArray[np.float64]:
    """`fair_value` of many options on one underlying at one moment, for each of `spots`: (spots, options).

    One vectorised Black-76 pass; each value is the one `fair_value` gives the option alone.
    """
    growth = np.array([float(forward(option, 1.0, moment)) for option in options])  # spot -> forward
    forwards = np.asarray(spots, dtype=float)[:, None] * growth[None, :]
    strikes = np.array([option.strike for option in options], dtype=float)
    years = np.array([float(years_left(expiry_epoch(option.expiry, option.exchange), moment)) for option in options])
    is_call = np.array([option.instrument_type is InstrumentType.CALL for option in options])
    level = volatility_level(options[0].name, vix)
    return option_value(options[0].name, forwards, strikes[None, :], years[None, :], is_call[None, :], level)
