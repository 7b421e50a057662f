"""Options analytics over candles: the IV chart, the OI profile and the straddle chart.

Each tool reads the history of a few contracts over the last `days` trading days at one intraday
interval and returns the plain response body its `/api/v1` endpoint sends. Answers are kept for a
second in the analytics cache, keyed by everything that shapes them, so open pages share one read.
The previous session's open interest cannot change once that session is over, so it is kept for
the day, one entry per series.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np

from gateway.options import Series, expiry_instant, greeks_table, resolve_series
from gateway.optionsanalytics import SnapshotCache, cached_snapshot, nearest_future
from generated.errors import NotFound
from sandbox.market import IST, Candle, Instrument, OfflineMarket, compact_expiry

_SECONDS_PER_YEAR = 365.0 * 86400.0
_MIN_YEARS = 0.0001  # the option chain's floor for the last hour before expiry
_INTERVAL_SECONDS = {
    "1m": 60,
    "2m": 120,
    "3m": 180,
    "5m": 300,
    "10m": 600,
    "15m": 900,
    "20m": 1200,
    "30m": 1800,
    "1h": 3600,
}
_PREVIOUS_OI_SECONDS = 6 * 3600.0  # a closed session's open interest is fixed; kept well past a session


def _request_key(tool: str, underlying: str, exchange: str, expiry_date: str | None, *rest) -> tuple:
    return (tool, underlying.strip().upper(), exchange, (expiry_date or "").strip().upper(), *rest)


def _header(market: OfflineMarket, series: Series, interval: str, days: int, lot_size: int) -> dict:
    return {
        "status": "success",
        "underlying": series.name,
        "exchange": series.exchange,
        "expiry_date": compact_expiry(series.expiry),
        "interval": interval,
        "days": days,
        "server_ts": int(market.now().timestamp()),
        "underlying_ltp": series.ltp,
        "atm_strike": series.atm_strike,
        "lotsize": lot_size,
    }


def _first_day(market: OfflineMarket, series: Series, days: int) -> date:
    """The first of the last `days` trading days of the options' exchange, today included when it trades."""
    day = market.calendar.on_or_before(market.now().astimezone(IST).date(), series.exchange)
    for _ in range(days - 1):
        day = market.calendar.previous_trading_day(day, series.exchange)
    return day


def _history(market: OfflineMarket, instrument: Instrument, interval: str, first: date) -> list[Candle]:
    return market.history(instrument.exchange, instrument.symbol, interval, first, market.now().astimezone(IST).date())


def _recent(candles: list[Candle], days: int) -> list[Candle]:
    """The candles of the last `days` dates that have any (a live tape may trade on a day off)."""
    dates = sorted({datetime.fromtimestamp(candle.timestamp, IST).date() for candle in candles})
    if len(dates) <= days:
        return candles
    since = dates[-days]
    return [candle for candle in candles if datetime.fromtimestamp(candle.timestamp, IST).date() >= since]


def _closes(candles: list[Candle]) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.array([candle.timestamp for candle in candles], dtype=np.int64),
        np.array([candle.close for candle in candles], dtype=float),
    )


def _legs(market: OfflineMarket, series: Series, strike: float) -> tuple[Instrument, Instrument]:
    call, put = series.leg(market.master, strike, "CE"), series.leg(market.master, strike, "PE")
    if call is None or put is None:
        raise NotFound(
            f"No call and put are listed at the {strike:g} strike of {series.name} {compact_expiry(series.expiry)}"
        )
    return call, put


def candle_close_moments(market: OfflineMarket, exchange: str, times: np.ndarray, interval: str) -> np.ndarray:
    """Epoch seconds at which candles opening at `times` close: their end, or the session's close when
    that comes first, and never after now (the forming candle's close is the live price)."""
    ends = times + _INTERVAL_SECONDS[interval]
    closes_by_day: dict[date, float | None] = {}
    for index, opened in enumerate(times.tolist()):
        day = datetime.fromtimestamp(opened, IST).date()
        if day not in closes_by_day:
            session = market.calendar.session(exchange, day)
            closes_by_day[day] = session[1].timestamp() if session else None
        close = closes_by_day[day]
        if close is not None and opened < close:
            ends[index] = min(ends[index], close)
    return np.minimum(ends, market.now().timestamp()).astype(float)


def years_to(expiry_seconds: float, moments: np.ndarray) -> np.ndarray:
    """Calendar years from each moment to expiry, floored for the last hour and 0 once expired (as the chain)."""
    years = (expiry_seconds - moments) / _SECONDS_PER_YEAR
    return np.where(years <= 0, 0.0, np.maximum(years, _MIN_YEARS))


def _optional(values: np.ndarray, fitted: np.ndarray, scale: float = 1.0) -> list[float | None]:
    return [float(value) * scale if ok else None for value, ok in zip(values, fitted, strict=True)]


def _iv_chart(
    market: OfflineMarket,
    *,
    underlying: str,
    exchange: str,
    expiry_date: str | None,
    interval: str,
    days: int,
    interest_rate: float | None,
) -> dict:
    series = resolve_series(market, underlying, exchange, expiry_date, nearest=True)
    strike = series.atm_strike
    call, put = _legs(market, series, strike)
    first = _first_day(market, series, days)
    spot_times, spot = _closes(_recent(_history(market, series.underlying, interval, first), days))
    call_times, call_close = _closes(_history(market, call, interval, first))
    put_times, put_close = _closes(_history(market, put, interval, first))
    # Candles all three have, so each point's forward and both legs' prices are of the same moment.
    times = np.intersect1d(np.intersect1d(spot_times, call_times), put_times)
    call_close = call_close[np.searchsorted(call_times, times)]
    put_close = put_close[np.searchsorted(put_times, times)]
    spot = spot[np.searchsorted(spot_times, times)]
    forward = strike + call_close - put_close
    moments = candle_close_moments(market, series.exchange, times, interval)
    years = years_to(expiry_instant(series.expiry, series.exchange).timestamp(), moments)
    rate = (interest_rate or 0.0) / 100.0
    count = times.size
    table = greeks_table(
        np.concatenate([call_close, put_close]),
        np.concatenate([forward, forward]),
        strike,
        np.concatenate([years, years]),
        rate,
        np.repeat([True, False], count),
    )
    legs = []
    for instrument, prices, part in ((call, call_close, slice(0, count)), (put, put_close, slice(count, None))):
        fitted = table.has_time_value[part]
        columns = {
            "iv": _optional(table.volatility[part], fitted, 100.0),
            "delta": _optional(table.delta[part], fitted),
            "gamma": _optional(table.gamma[part], fitted),
            "theta": _optional(table.theta[part], fitted),
            "vega": _optional(table.vega[part], fitted),
        }
        points = [
            {
                "time": int(times[index]),
                "option_price": float(prices[index]),
                "underlying_price": float(spot[index]),
                "forward_price": round(float(forward[index]), 4),
            }
            | {name: values[index] for name, values in columns.items()}
            for index in range(count)
        ]
        legs.append(
            {
                "symbol": instrument.symbol,
                "option_type": instrument.instrument_type.value,
                "strike": strike,
                "iv_data": points,
            }
        )
    return _header(market, series, interval, days, call.lot_size) | {
        "interest_rate": rate * 100.0,
        "ce_symbol": call.symbol,
        "pe_symbol": put.symbol,
        "series": legs,
    }


def iv_chart(market: OfflineMarket, cache: SnapshotCache, **request) -> dict:
    """IV and Greeks of today's ATM call and put per candle, each solved on that candle's synthetic forward."""
    key = _request_key(
        "ivchart",
        request["underlying"],
        request["exchange"],
        request["expiry_date"],
        request["interval"],
        request["days"],
        request["interest_rate"] or 0.0,
    )
    return cache.get(key, lambda: _iv_chart(market, **request))


def atm_strikes(strikes: np.ndarray, prices: np.ndarray) -> np.ndarray:
    """The listed strike nearest each price, the lower one on a tie (as the option chain picks)."""
    distance = np.abs(strikes[None, :] - prices[:, None])
    return strikes[np.argmin(distance, axis=1)]  # argmin takes the first, the lower, of equal distances


def _straddle(
    market: OfflineMarket, *, underlying: str, exchange: str, expiry_date: str | None, interval: str, days: int
) -> dict:
    series = resolve_series(market, underlying, exchange, expiry_date, nearest=True)
    first = _first_day(market, series, days)
    spot_times, spot = _closes(_recent(_history(market, series.underlying, interval, first), days))
    atm = atm_strikes(np.asarray(series.strikes, dtype=float), spot)
    call_close = np.full(spot.size, np.nan)
    put_close = np.full(spot.size, np.nan)
    lot_size = 0
    for strike in np.unique(atm).tolist():
        wanted = atm == strike
        for kind, closes in (("CE", call_close), ("PE", put_close)):
            leg = series.leg(market.master, strike, kind)
            if leg is None:
                continue
            lot_size = leg.lot_size
            leg_times, leg_close = _closes(_history(market, leg, interval, first))
            if leg_times.size == 0:
                continue
            position = np.minimum(np.searchsorted(leg_times, spot_times), leg_times.size - 1)
            matched = wanted & (leg_times[position] == spot_times)
            closes[matched] = leg_close[position[matched]]
    points = [
        {
            "time": int(spot_times[index]),
            "spot": float(spot[index]),
            "atm_strike": float(atm[index]),
            "ce_price": float(call_close[index]),
            "pe_price": float(put_close[index]),
            "straddle": round(float(call_close[index] + put_close[index]), 4),
            "synthetic_future": round(float(atm[index] + call_close[index] - put_close[index]), 4),
        }
        for index in np.flatnonzero(np.isfinite(call_close) & np.isfinite(put_close)).tolist()
    ]
    return _header(market, series, interval, days, lot_size) | {"series": points}


def straddle_chart(market: OfflineMarket, cache: SnapshotCache, **request) -> dict:
    """Per candle: the ATM strike of that moment, its straddle and its synthetic future."""
    key = _request_key(
        "straddle",
        request["underlying"],
        request["exchange"],
        request["expiry_date"],
        request["interval"],
        request["days"],
    )
    return cache.get(key, lambda: _straddle(market, **request))


def _previous_oi(market: OfflineMarket, series: Series, day: date) -> dict[tuple[float, str], int | None]:
    """(strike, CE/PE) -> open interest at the close of `day`, for every listed leg of the series."""
    legs = [
        (strike, kind, leg)
        for strike in series.strikes
        for kind in ("CE", "PE")
        if (leg := series.leg(market.master, strike, kind)) is not None
    ]
    found = market.closing_open_interest([leg for _, _, leg in legs], day)
    return {(strike, kind): oi for (strike, kind, _), oi in zip(legs, found, strict=True)}


def _change(now: np.ndarray, before: list[int | None], listed: np.ndarray) -> list[int | None]:
    return [int(oi - old) if ok and old is not None else None for oi, old, ok in zip(now, before, listed, strict=True)]


def _oi_profile(
    market: OfflineMarket,
    cache: SnapshotCache,
    *,
    underlying: str,
    exchange: str,
    expiry_date: str | None,
    strike_count: int,
    interval: str,
    days: int,
) -> dict:
    snapshot = cached_snapshot(
        market,
        cache,
        underlying=underlying,
        exchange=exchange,
        expiry_date=expiry_date,
        strike_count=strike_count,
        interest_rate=None,
    )
    series = snapshot.series
    today = market.now().astimezone(IST).date()
    previous_day = market.calendar.previous_trading_day(today, series.exchange)
    previous = cache.get(
        ("previous_oi", series.name, series.exchange, series.expiry, previous_day),
        lambda: _previous_oi(market, series, previous_day),
        ttl_seconds=_PREVIOUS_OI_SECONDS,
    )
    strikes = snapshot.strikes.tolist()
    calls, puts = snapshot.calls, snapshot.puts
    call_change = _change(calls.oi, [previous.get((strike, "CE")) for strike in strikes], calls.is_listed)
    put_change = _change(puts.oi, [previous.get((strike, "PE")) for strike in strikes], puts.is_listed)
    future = nearest_future(market, series, snapshot.valued_at)
    charted = future or series.underlying
    first = _first_day(market, series, days)
    candles = _recent(_history(market, charted, interval, first), days)
    rows = [
        {
            "strike": strike,
            "ce_oi": int(calls.oi[index]),
            "pe_oi": int(puts.oi[index]),
            "ce_oi_change": call_change[index],
            "pe_oi_change": put_change[index],
        }
        for index, strike in enumerate(strikes)
    ]
    total_call, total_put = int(calls.oi.sum()), int(puts.oi.sum())
    return _header(market, series, interval, days, snapshot.lot_size) | {
        "futures_symbol": future.symbol if future else None,
        "futures_ltp": market.quote(future.exchange, future.symbol).ltp if future else None,
        "total_ce_oi": total_call,
        "total_pe_oi": total_put,
        "total_ce_oi_change": sum(change for change in call_change if change is not None),
        "total_pe_oi_change": sum(change for change in put_change if change is not None),
        "pcr_oi": round(total_put / total_call, 4) if total_call else None,
        "candles": [
            {
                "timestamp": candle.timestamp,
                "open": candle.open,
                "high": candle.high,
                "low": candle.low,
                "close": candle.close,
                "volume": candle.volume,
                "oi": candle.oi,
            }
            for candle in candles
        ],
        "chain": rows,
    }


def oi_profile(market: OfflineMarket, cache: SnapshotCache, **request) -> dict:
    """Futures candles beside OI by strike and its change since the previous session's close."""
    key = _request_key(
        "oiprofile",
        request["underlying"],
        request["exchange"],
        request["expiry_date"],
        request["strike_count"],
        request["interval"],
        request["days"],
    )
    return cache.get(key, lambda: _oi_profile(market, cache, **request))


__all__ = ["atm_strikes", "candle_close_moments", "iv_chart", "oi_profile", "straddle_chart", "years_to"]
