"""Options analytics on the offline market: option symbols by offset, chains, synthetic futures, Greeks.

Every function takes the market and plain values and returns the response body OpenAlgo's
options endpoints return. Strikes come from the symbol master, so `ITM2` is two listed strikes
away from the at-the-money one whatever the exchange's grid. Greeks are Black-76 on a forward
(the expiry's synthetic future, ATM K + C - P, falling back to the underlying's last price), in
OpenAlgo's units: theta per day, vega per volatility point, rho per rate point, IV in percent. A
chain's or a batch's implied volatilities are solved in one vectorised call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

import numpy as np

from generated.errors import BrokergateError, NotFound, SymbolNotFound, ValidationFailed
from sandbox.market import (
    IST,
    Instrument,
    InstrumentType,
    OfflineMarket,
    Quote,
    SymbolMaster,
    black76,
    compact_expiry,
    option_symbol,
    parse_expiry,
)

_SECONDS_PER_YEAR = 365.0 * 86400.0
_MIN_YEARS = 0.0001  # under an hour to expiry the model is held here, as OpenAlgo does
_KINDS = {"CE": InstrumentType.CALL, "PE": InstrumentType.PUT}
# Where the options on an underlying quoted on `exchange` are listed; others list their own.
_OPTIONS_EXCHANGE = {"NSE": "NFO", "NSE_INDEX": "NFO", "BSE": "BFO", "BSE_INDEX": "BFO"}
_SAME_EXCHANGE = frozenset({"NFO", "BFO", "MCX", "CDS", "NCO", "BCD", "NCDEX", "CRYPTO"})
# The instant a contract stops trading, per exchange; anything else follows the equity session.
EXPIRY_TIMES = {"NFO": time(15, 30), "BFO": time(15, 30), "CDS": time(12, 30), "MCX": time(23, 30)}
_DEFAULT_EXPIRY_TIME = time(15, 30)
_EMBEDDED_EXPIRY = re.compile(r"^(?P<name>[A-Z0-9&-]+?)(?P<expiry>\d{2}[A-Z]{3}\d{2})(?:FUT)?$")
_OFFSET = re.compile(r"^(?:ATM|(?P<side>ITM|OTM)(?P<steps>[1-9]|[1-4][0-9]|50))$")
_OFFSET_MESSAGE = "Offset must be ATM, ITM1-ITM50, or OTM1-OTM50"
_EXPIRY_TIME = re.compile(r"^(?P<hour>\d{1,2}):(?P<minute>\d{2})$")


@dataclass(frozen=True, slots=True)
class Series:
    """The options of one underlying and one expiry, and what they are priced from."""

    name: str
    exchange: str  # where the options are listed
    expiry: date
    strikes: list[float]  # ascending, as listed
    underlying: Instrument  # the index, stock or (without a spot) future the price is read from
    underlying_quote: Quote

    @property
    def ltp(self) -> float:
        return self.underlying_quote.ltp

    @property
    def atm_strike(self) -> float:
        # The listed strike nearest the last price; on a tie the lower one, as OpenAlgo picks.
        return min(self.strikes, key=lambda strike: (abs(strike - self.ltp), strike))

    def leg(self, master: SymbolMaster, strike: float, option_type: str) -> Instrument | None:
        return master.option(self.name, self.exchange, self.expiry, strike, _KINDS[option_type])


def options_exchange(exchange: str) -> str:
    """The exchange listing options on an underlying named with `exchange` (NSE_INDEX -> NFO)."""
    if exchange in _SAME_EXCHANGE:
        return exchange
    return _OPTIONS_EXCHANGE.get(exchange, "NFO")


def expiry_instant(expiry: date, exchange: str, at: time | None = None) -> datetime:
    """The IST moment a contract of `exchange` expires: NFO/BFO 15:30, CDS 12:30, MCX 23:30."""
    return datetime.combine(expiry, at or EXPIRY_TIMES.get(exchange, _DEFAULT_EXPIRY_TIME), IST)


def _parse_expiry_field(text: str, field: str = "expiry_date") -> date:
    try:
        return parse_expiry(text.strip())
    except ValueError as e:
        message = f"Invalid expiry {text!r}: use DDMMMYY, e.g. 30DEC25"
        raise ValidationFailed(message, errors={field: [message]}) from e


def _split_underlying(underlying: str) -> tuple[str, date | None]:
    """`NIFTY30DEC25FUT` or `NIFTY30DEC25` name an expiry; a plain `NIFTY` does not."""
    text = underlying.strip().upper()
    match = _EMBEDDED_EXPIRY.match(text)
    if match is None:
        return text, None
    return match["name"], _parse_expiry_field(match["expiry"], "underlying")


def resolve_series(
    market: OfflineMarket, underlying: str, exchange: str, expiry_date: str | None, *, nearest: bool = False
) -> Series:
    """The series an options request names; an expiry embedded in `underlying` wins over `expiry_date`.

    Without any expiry the nearest unexpired one is used when `nearest`, else it is a 400.
    """
    name, expiry = _split_underlying(underlying)
    listed_on = options_exchange(exchange)
    if expiry is None and expiry_date:
        expiry = _parse_expiry_field(expiry_date)
    expiries = market.master.expiries(name, listed_on, "options")
    if not expiries:
        raise SymbolNotFound(f"No options are listed for {name} on {listed_on}")
    if expiry is None:
        if not nearest:
            message = (
                "Expiry date required. Provide via expiry_date parameter or embed in underlying "
                "(e.g., NIFTY28OCT25FUT)."
            )
            raise ValidationFailed(message, errors={"expiry_date": [message]})
        # The master keeps a contract listed for the rest of its expiry day; the nearest live one is wanted.
        now = market.now()
        expiry = next((day for day in expiries if expiry_instant(day, listed_on) > now), expiries[-1])
    strikes = market.master.strikes(name, listed_on, expiry)
    if not strikes:
        raise NotFound(
            f"No strikes found for {name} expiring {compact_expiry(expiry)}. "
            "Please check expiry date or update master contract."
        )
    # Any listed leg says what the series is written on: the spot, or for MCX and CDS a future.
    legs = (market.master.option(name, listed_on, expiry, strikes[0], kind) for kind in _KINDS.values())
    sample = next((leg for leg in legs if leg is not None), None)
    spot = market.master.underlying_of(sample) if sample is not None else None
    if spot is None:
        raise SymbolNotFound(f"No underlying price is listed for {name} options on {listed_on}")
    return Series(name, listed_on, expiry, strikes, spot, market.quote(spot.exchange, spot.symbol))


def _offset_steps(offset: str, option_type: str) -> int:
    """Signed count of strikes above the ATM strike: a call's ITM is below it, a put's above."""
    match = _OFFSET.match(offset.strip().upper())
    if match is None:
        raise ValidationFailed(_OFFSET_MESSAGE, errors={"offset": [_OFFSET_MESSAGE]})
    if match["side"] is None:
        return 0
    steps = int(match["steps"])
    below = (match["side"] == "ITM") == (option_type == "CE")
    return -steps if below else steps


def option_symbol_for(
    market: OfflineMarket,
    *,
    underlying: str,
    exchange: str,
    expiry_date: str | None,
    offset: str,
    option_type: str,
    strike_int: int | None = None,
) -> dict:
    """The listed option `offset` strikes from the money; with `strike_int`, on that grid instead."""
    option_type = option_type.upper()
    steps = _offset_steps(offset, option_type)
    series = resolve_series(market, underlying, exchange, expiry_date)
    if strike_int:
        strike = round(series.ltp / strike_int) * strike_int + steps * strike_int
    else:
        position = series.strikes.index(series.atm_strike) + steps
        if not 0 <= position < len(series.strikes):
            message = f"Offset {offset.upper()} is out of range for available strikes. Please use a smaller offset."
            raise ValidationFailed(message, errors={"offset": [message]})
        strike = series.strikes[position]
    instrument = series.leg(market.master, strike, option_type)
    if instrument is None:
        symbol = option_symbol(series.name, series.expiry, strike, _KINDS[option_type])
        raise SymbolNotFound(
            f"Option symbol {symbol} not found in {series.exchange}. "
            "Symbol may not exist or master contract needs update."
        )
    return {
        "status": "success",
        "symbol": instrument.symbol,
        "exchange": instrument.exchange,
        "lotsize": instrument.lot_size,
        "tick_size": instrument.tick_size,
        "freeze_qty": instrument.freeze_quantity,
        "underlying_ltp": series.ltp,
    }


def _synthetic(market: OfflineMarket, series: Series) -> tuple[float, float] | None:
    """(ATM strike, K + C - P) from the ATM legs' last prices; None when a leg is missing or unpriced."""
    strike = series.atm_strike
    call, put = series.leg(market.master, strike, "CE"), series.leg(market.master, strike, "PE")
    if call is None or put is None:
        return None
    call_price = market.quote(call.exchange, call.symbol).ltp
    put_price = market.quote(put.exchange, put.symbol).ltp
    if call_price <= 0 or put_price <= 0:
        return None
    return strike, strike + call_price - put_price


def synthetic_future(market: OfflineMarket, *, underlying: str, exchange: str, expiry_date: str) -> dict:
    """ATM strike + ATM call - ATM put of one expiry; `underlying` and `expiry` echo the request."""
    series = resolve_series(market, underlying, exchange, expiry_date)
    found = _synthetic(market, series)
    if found is None:
        raise NotFound(
            f"Could not fetch LTP for the ATM options of {series.name} expiring {compact_expiry(series.expiry)}"
        )
    strike, price = found
    return {
        "status": "success",
        "underlying": underlying,
        "underlying_ltp": series.ltp,
        "expiry": expiry_date,
        "atm_strike": strike,
        "synthetic_future_price": round(price, 2),
    }


@dataclass(frozen=True, slots=True)
class GreeksTable:
    """IV (decimal) and Greeks of many options, elementwise; `has_time_value` False where none fit."""

    volatility: np.ndarray
    delta: np.ndarray
    gamma: np.ndarray
    theta: np.ndarray
    vega: np.ndarray
    rho: np.ndarray
    has_time_value: np.ndarray
    intrinsic: np.ndarray


def greeks_table(prices, forwards, strikes, years, rates, is_call) -> GreeksTable:
    """Solve IV and Greeks for every option in one vectorised Black-76 pass.

    An option priced at (or within a paisa of) its intrinsic value has no time value to invert,
    and one whose IV does not converge is treated alike: IV 0, delta +-1 in the money and 0 out
    of it, everything else 0, as OpenAlgo answers. Intrinsic value is discounted, e^(-rT) (F - K)
    for a call: Black-76's floor, below which a deep in-the-money option may rightly trade once the
    rate is above 0 (at OpenAlgo's default rate of 0 the two rules agree).
    """
    prices, forwards, strikes, years, rates, is_call = np.broadcast_arrays(
        np.asarray(prices, dtype=float),
        np.asarray(forwards, dtype=float),
        np.asarray(strikes, dtype=float),
        np.asarray(years, dtype=float),
        np.asarray(rates, dtype=float),
        np.asarray(is_call, dtype=bool),
    )
    discount = np.exp(-rates * np.maximum(years, 0.0))
    intrinsic = discount * np.maximum(np.where(is_call, forwards - strikes, strikes - forwards), 0.0)
    time_value = prices - intrinsic
    solvable = (prices > 0) & (strikes > 0) & (forwards > 0) & (years > 0)
    solvable &= (time_value > 0) & ~((intrinsic > 0) & (time_value < 0.01))
    volatility = np.full(prices.shape, np.nan)
    if solvable.any():
        volatility[solvable] = black76.implied_volatility(
            prices[solvable], forwards[solvable], strikes[solvable], years[solvable], rates[solvable], is_call[solvable]
        )
    fitted = solvable & np.isfinite(volatility) & (volatility > 0)
    safe = np.where(fitted, volatility, 0.2)  # any finite volatility: unfitted results are replaced below
    arguments = (forwards, strikes, np.where(fitted, years, 1.0), safe, rates, is_call)
    fallback_delta = np.where(intrinsic > 0, np.where(is_call, 1.0, -1.0), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):  # an unpriced leg's NaNs are replaced, not reported
        return GreeksTable(
            volatility=np.where(fitted, volatility, 0.0),
            delta=np.where(fitted, black76.delta(*arguments), fallback_delta),
            gamma=np.where(fitted, black76.gamma(*arguments), 0.0),
            theta=np.where(fitted, black76.theta(*arguments), 0.0),
            vega=np.where(fitted, black76.vega(*arguments), 0.0),
            rho=np.where(fitted, black76.rho(*arguments), 0.0),
            has_time_value=fitted,
            intrinsic=intrinsic,
        )


def years_between(now: datetime, expiry: datetime) -> float:
    """Calendar years to expiry, floored for the last hour; 0 once expired."""
    seconds = (expiry - now).total_seconds()
    return 0.0 if seconds <= 0 else max(seconds / _SECONDS_PER_YEAR, _MIN_YEARS)


def _rounded_leg_greeks(table: GreeksTable, index: int) -> dict:
    return {
        "implied_volatility": round(float(table.volatility[index]) * 100.0, 2),
        "delta": round(float(table.delta[index]), 4),
        "gamma": round(float(table.gamma[index]), 6),
        "theta": round(float(table.theta[index]), 4),
        "vega": round(float(table.vega[index]), 4),
    }


def _leg(market: OfflineMarket, instrument: Instrument | None, label: str) -> dict | None:
    if instrument is None:
        return None
    tick = market.tick(instrument.exchange, instrument.symbol)
    quote, depth = tick.quote, tick.depth
    return {
        "symbol": instrument.symbol,
        "label": label,
        "ltp": quote.ltp,
        "bid": quote.bid,
        "ask": quote.ask,
        "bid_qty": depth.bids[0].quantity if depth and depth.bids else 0,
        "ask_qty": depth.asks[0].quantity if depth and depth.asks else 0,
        "open": quote.open,
        "high": quote.high,
        "low": quote.low,
        "prev_close": quote.prev_close,
        "volume": quote.volume,
        "oi": quote.oi,
        "lotsize": instrument.lot_size,
        "tick_size": instrument.tick_size,
    }


def _labels(position: int, atm_position: int) -> tuple[str, str]:
    """(call label, put label): below the ATM strike a call is in the money and a put out of it."""
    distance = position - atm_position
    if distance == 0:
        return "ATM", "ATM"
    if distance < 0:
        return f"ITM{-distance}", f"OTM{-distance}"
    return f"OTM{distance}", f"ITM{distance}"


def option_chain(
    market: OfflineMarket,
    *,
    underlying: str,
    exchange: str,
    expiry_date: str | None = None,
    strike_count: int | None = None,
    with_greeks: bool = False,
    interest_rate: float | None = None,
) -> dict:
    """The chain of one expiry (the nearest when none is named), `strike_count` strikes each side of ATM."""
    series = resolve_series(market, underlying, exchange, expiry_date, nearest=True)
    atm_strike = series.atm_strike
    atm_position = series.strikes.index(atm_strike)
    first, last = 0, len(series.strikes)
    if strike_count is not None:
        first, last = max(0, atm_position - strike_count), min(last, atm_position + strike_count + 1)
    rows = []
    for position in range(first, last):
        strike = series.strikes[position]
        call_label, put_label = _labels(position, atm_position)
        rows.append(
            {
                "strike": strike,
                "ce": _leg(market, series.leg(market.master, strike, "CE"), call_label),
                "pe": _leg(market, series.leg(market.master, strike, "PE"), put_label),
            }
        )
    if not any(row["ce"] or row["pe"] for row in rows):
        raise NotFound("No valid option symbols found for the given parameters")
    expires = expiry_instant(series.expiry, series.exchange)
    now = market.now()
    forward = None
    if with_greeks:
        forward = _chain_forward(rows, atm_strike, series.ltp)
        _add_chain_greeks(rows, forward, years_between(now, expires), (interest_rate or 0.0) / 100.0)
    return {
        "status": "success",
        "underlying": series.name,
        "underlying_symbol": series.underlying.symbol,
        "underlying_exchange": series.underlying.exchange,
        "underlying_ltp": series.ltp,
        "underlying_prev_close": series.underlying_quote.prev_close,
        "expiry_date": compact_expiry(series.expiry),
        "expiry_ts": int(expires.timestamp()),
        "server_ts": int(now.timestamp()),
        "atm_strike": atm_strike,
        "quotes_included": True,
        "greeks_included": with_greeks,
        "forward_price": None if forward is None else round(forward, 2),
        "chain": rows,
    }


def _chain_forward(rows: list[dict], atm_strike: float, underlying_ltp: float) -> float:
    atm = next(row for row in rows if row["strike"] == atm_strike)
    call, put = atm["ce"], atm["pe"]
    if call and put and call["ltp"] > 0 and put["ltp"] > 0:
        return atm_strike + call["ltp"] - put["ltp"]
    return underlying_ltp


def _add_chain_greeks(rows: list[dict], forward: float, years: float, rate: float) -> None:
    priced = [
        (leg, row["strike"], side == "ce")
        for row in rows
        for side in ("ce", "pe")
        if (leg := row[side]) is not None and leg["ltp"] > 0
    ]
    if not priced or years <= 0:
        return
    legs, strikes, is_call = zip(*priced, strict=True)
    table = greeks_table([leg["ltp"] for leg in legs], forward, strikes, years, rate, is_call)
    for index, leg in enumerate(legs):
        leg.update(_rounded_leg_greeks(table, index))


def _parse_expiry_time(text: str | None) -> time | None:
    if not text:
        return None
    match = _EXPIRY_TIME.match(text.strip())
    if match is None or int(match["hour"]) > 23 or int(match["minute"]) > 59:
        message = f"Invalid expiry_time {text!r}: use HH:MM, e.g. 15:30"
        raise ValidationFailed(message, errors={"expiry_time": [message]})
    return time(int(match["hour"]), int(match["minute"]))


@dataclass(frozen=True, slots=True)
class _GreeksInput:
    instrument: Instrument
    expires: datetime
    years: float
    option_price: float
    forward: float


def _greeks_input(
    market: OfflineMarket,
    symbol: str,
    exchange: str,
    *,
    forward_price: float | None,
    underlying_symbol: str | None,
    underlying_exchange: str | None,
    expiry_time: time | None,
    synthetic_cache: dict,
) -> _GreeksInput:
    instrument = market.master.get(exchange, symbol)
    if instrument is None:
        raise SymbolNotFound(f"Symbol {symbol} not found in {exchange}")
    if not instrument.is_option or instrument.expiry is None or instrument.strike is None:
        message = f"{symbol} is not an option symbol like NIFTY30DEC2526000CE"
        raise ValidationFailed(message, errors={"symbol": [message]})
    expires = expiry_instant(instrument.expiry, instrument.exchange, expiry_time)
    years = years_between(market.now(), expires)
    if years <= 0:
        return _GreeksInput(instrument, expires, 0.0, 0.0, 0.0)
    option_price = market.quote(instrument.exchange, instrument.symbol).ltp
    if option_price <= 0:
        raise NotFound("Option LTP not available")
    if forward_price:
        forward = forward_price
    elif underlying_symbol:
        forward = _underlying_ltp(market, instrument, underlying_symbol, underlying_exchange)
    else:
        key = (instrument.name, instrument.exchange, instrument.expiry)
        if key not in synthetic_cache:
            series = resolve_series(market, instrument.name, instrument.exchange, compact_expiry(instrument.expiry))
            found = _synthetic(market, series)
            synthetic_cache[key] = found[1] if found else series.ltp
        forward = synthetic_cache[key]
    if forward <= 0:
        raise NotFound("Underlying LTP not available")
    return _GreeksInput(instrument, expires, years, option_price, forward)


def _underlying_ltp(market: OfflineMarket, option: Instrument, symbol: str, exchange: str | None) -> float:
    if exchange is None:
        written_on = market.master.underlying_of(option)
        exchange = written_on.exchange if written_on is not None else option.exchange
    found = market.master.get(exchange, symbol)
    if found is None:
        raise SymbolNotFound(f"Symbol {symbol} not found in {exchange}")
    return market.quote(found.exchange, found.symbol).ltp


def _greeks_body(item: _GreeksInput, table: GreeksTable | None, index: int, interest_rate: float) -> dict:
    instrument = item.instrument
    option_type = instrument.instrument_type.value
    body = {
        "status": "success",
        "symbol": instrument.symbol,
        "exchange": instrument.exchange,
        "underlying": instrument.name,
        "strike": round(float(instrument.strike), 2),
        "option_type": option_type,
        "expiry_date": item.expires.strftime("%d-%b-%Y"),
        "days_to_expiry": round(item.years * 365.0, 4),
        "spot_price": round(item.forward, 2),
        "option_price": round(item.option_price, 2),
        "interest_rate": round(interest_rate, 2),
    }
    if table is None:  # expired: nothing left to value
        body.update(implied_volatility=0.0, greeks=dict.fromkeys(("delta", "gamma", "theta", "vega", "rho"), 0.0))
        body["note"] = "Option has expired - Greeks are no longer applicable"
        return body
    body["implied_volatility"] = round(float(table.volatility[index]) * 100.0, 2)
    body["greeks"] = {
        "delta": round(float(table.delta[index]), 4),
        "gamma": round(float(table.gamma[index]), 6),
        "theta": round(float(table.theta[index]), 4),
        "vega": round(float(table.vega[index]), 4),
        "rho": round(float(table.rho[index]), 6),
    }
    if not table.has_time_value[index]:
        intrinsic = float(table.intrinsic[index])
        body["intrinsic_value"] = round(intrinsic, 2)
        body["time_value"] = round(max(item.option_price - intrinsic, 0.0), 2)
        body["note"] = "Option has no time value to invert - theoretical Greeks returned"
    return body


def _table_for(items: list[_GreeksInput], rate: float) -> GreeksTable:
    return greeks_table(
        [item.option_price for item in items],
        [item.forward for item in items],
        [item.instrument.strike for item in items],
        [item.years for item in items],
        rate,
        [item.instrument.instrument_type is InstrumentType.CALL for item in items],
    )


def option_greeks(
    market: OfflineMarket,
    *,
    symbol: str,
    exchange: str,
    interest_rate: float | None = None,
    forward_price: float | None = None,
    underlying_symbol: str | None = None,
    underlying_exchange: str | None = None,
    expiry_time: str | None = None,
) -> dict:
    """IV and Greeks of one listed option; an expired one is a 400 naming the expiry day."""
    item = _greeks_input(
        market,
        symbol,
        exchange,
        forward_price=forward_price,
        underlying_symbol=underlying_symbol,
        underlying_exchange=underlying_exchange,
        expiry_time=_parse_expiry_time(expiry_time),
        synthetic_cache={},
    )
    if item.years <= 0:
        message = f"Option has expired on {item.expires.strftime('%d-%b-%Y')}"
        raise ValidationFailed(message, errors={"symbol": [message]})
    rate = interest_rate or 0.0
    return _greeks_body(item, _table_for([item], rate / 100.0), 0, rate)


def multi_option_greeks(
    market: OfflineMarket,
    symbols: list[dict],
    *,
    interest_rate: float | None = None,
    expiry_time: str | None = None,
) -> dict:
    """Greeks of many options, one vectorised solve; failures are reported per item, never raised.

    Each item of `symbols` has `symbol`, `exchange` and optionally `underlying_symbol` and
    `underlying_exchange`. Expired options count as successes with zero Greeks and a note.
    """
    at = _parse_expiry_time(expiry_time)
    rate = interest_rate or 0.0
    cache: dict = {}
    results: list[_GreeksInput | dict] = []
    for wanted in symbols:
        try:
            results.append(
                _greeks_input(
                    market,
                    wanted["symbol"],
                    wanted["exchange"],
                    forward_price=None,
                    underlying_symbol=wanted.get("underlying_symbol"),
                    underlying_exchange=wanted.get("underlying_exchange"),
                    expiry_time=at,
                    synthetic_cache=cache,
                )
            )
        except BrokergateError as e:  # one bad symbol must not sink the batch: it becomes its own error item
            results.append(
                {"status": "error", "symbol": wanted["symbol"], "exchange": wanted["exchange"], "message": e.message}
            )
    live = [item for item in results if isinstance(item, _GreeksInput) and item.years > 0]
    table = _table_for(live, rate / 100.0) if live else None
    position = {id(item): index for index, item in enumerate(live)}
    data = []
    for item in results:
        if isinstance(item, dict):
            data.append(item)
        elif item.years <= 0:
            data.append(_greeks_body(item, None, 0, rate))
        else:
            data.append(_greeks_body(item, table, position[id(item)], rate))
    failed = [item for item in data if item["status"] == "error"]
    status = "success" if not failed else ("error" if len(failed) == len(data) else "partial")
    body = {
        "status": status,
        "data": data,
        "summary": {"total": len(data), "success": len(data) - len(failed), "failed": len(failed)},
    }
    if failed:
        names = ", ".join(item["symbol"] for item in failed)
        body["message"] = f"{len(failed)} option Greeks calculation(s) failed: {names}"
    return body
