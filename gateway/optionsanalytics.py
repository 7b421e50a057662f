"""Options analytics over one chain snapshot: gamma exposure, the IV smile, OI and max pain, the IV surface.

A snapshot is one expiry's strikes with both legs' last prices, open interest and volume, and
their implied volatilities and Greeks from `gateway.options.greeks_table` (Black-76 on the
expiry's synthetic forward, ATM K + C - P, as the option chain uses). Snapshots are kept for a
second in a bounded cache, so many open pages cost one chain read per (underlying, expiry) per
second. Every tool returns the plain response body its `/api/v1` endpoint sends.

Open interest and volume are counted in units of the underlying, as the chain reports them, so a
strike's OI already is lots x lot size: a leg's gamma exposure gamma x OI is gamma x lots x lot size.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

import numpy as np

from gateway.options import GreeksTable, Series, expiry_instant, greeks_table, resolve_series, years_between
from generated.errors import NotFound
from sandbox.market import Instrument, InstrumentType, OfflineMarket, black76, compact_expiry

_SKEW_DELTA = 0.25
_ZERO_GAMMA_GRID = 201  # forwards tried across the strike range before the crossing is refined
_BISECTION_STEPS = 40  # the bracket starts one grid step wide; 40 halvings leave well under a paisa
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Legs:
    """One side (calls or puts) of a snapshot, elementwise over its strikes; unlisted legs are zeros."""

    is_listed: np.ndarray
    price: np.ndarray
    oi: np.ndarray
    volume: np.ndarray
    greeks: GreeksTable

    def iv_percent(self) -> list[float | None]:
        """Implied volatility per strike in percent; None where the leg is missing or has no time value."""
        fitted = self.greeks.has_time_value
        return [float(v) * 100.0 if ok else None for v, ok in zip(self.greeks.volatility, fitted, strict=True)]


@dataclass(frozen=True, slots=True)
class ChainSnapshot:
    series: Series
    valued_at: datetime
    years: float
    rate: float  # decimal
    forward: float
    strikes: np.ndarray
    atm_strike: float
    lot_size: int
    calls: Legs
    puts: Legs

    def header(self) -> dict:
        """The fields every analytics answer opens with."""
        return {
            "status": "success",
            "underlying": self.series.name,
            "exchange": self.series.exchange,
            "expiry_date": compact_expiry(self.series.expiry),
            "days_to_expiry": round(self.years * 365.0, 4),
            "server_ts": int(self.valued_at.timestamp()),
            "underlying_ltp": self.series.ltp,
            "forward_price": round(self.forward, 2),
            "atm_strike": self.atm_strike,
            "lotsize": self.lot_size,
        }


class SnapshotCache:
    """Answers by request for `ttl_seconds` (or a longer time per entry), at most `max_entries` of them,
    the least recently used evicted first."""

    def __init__(
        self, ttl_seconds: float = 1.0, max_entries: int = 64, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[tuple, tuple[float, Any]] = OrderedDict()
        self.builds = 0  # how many answers were built from the market, for tests and the bench

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple, build: Callable[[], T], ttl_seconds: float | None = None) -> T:
        now = self._clock()
        found = self._entries.get(key)
        if found is not None and now < found[0]:
            self._entries.move_to_end(key)
            return found[1]
        value = build()
        self.builds += 1
        self._entries[key] = (now + (self.ttl_seconds if ttl_seconds is None else ttl_seconds), value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return value


def _legs(
    market: OfflineMarket, series: Series, strikes: list[float], kind: str, with_activity: bool
) -> tuple[np.ndarray, ...]:
    listed, price, oi, volume = (np.zeros(len(strikes)) for _ in range(4))
    found = [(index, leg) for index, strike in enumerate(strikes) if (leg := series.leg(market.master, strike, kind))]
    listed[[index for index, _ in found]] = 1.0
    positions, legs = [index for index, _ in found], [leg for _, leg in found]
    if with_activity and found:  # the whole side valued in one pass
        quotes = market.quotes(legs)
        price[positions] = [quote.ltp for quote in quotes]
        oi[positions] = [quote.oi for quote in quotes]
        volume[positions] = [quote.volume for quote in quotes]
    elif found:  # prices alone: what an IV surface over many expiries needs
        price[positions] = market.last_prices(legs)
    lot_size = found[-1][1].lot_size if found else 0
    return listed.astype(bool), price, oi, volume, lot_size


def build_snapshot(
    market: OfflineMarket,
    *,
    underlying: str,
    exchange: str,
    expiry_date: str | None,
    strike_count: int | None,
    interest_rate: float | None,
    with_activity: bool = True,
) -> ChainSnapshot:
    """Read one expiry's chain (the nearest live one when none is named) and solve both sides' Greeks at once.

    Without `with_activity` only prices are read (open interest and volume stay zero), for tools that
    need IVs alone.
    """
    series = resolve_series(market, underlying, exchange, expiry_date, nearest=True)
    atm_strike = series.atm_strike
    atm_position = series.strikes.index(atm_strike)
    first, last = 0, len(series.strikes)
    if strike_count is not None:
        first, last = max(0, atm_position - strike_count), min(last, atm_position + strike_count + 1)
    strikes = series.strikes[first:last]
    call_listed, call_price, call_oi, call_volume, call_lot = _legs(market, series, strikes, "CE", with_activity)
    put_listed, put_price, put_oi, put_volume, put_lot = _legs(market, series, strikes, "PE", with_activity)
    if not (call_listed.any() or put_listed.any()):
        raise NotFound("No valid option symbols found for the given parameters")
    atm = strikes.index(atm_strike)
    # The option chain's forward: the ATM legs' synthetic future, else the underlying's last price.
    has_synthetic = call_price[atm] > 0 and put_price[atm] > 0
    forward = atm_strike + call_price[atm] - put_price[atm] if has_synthetic else series.ltp
    now = market.now()
    years = years_between(now, expiry_instant(series.expiry, series.exchange))
    rate = (interest_rate or 0.0) / 100.0
    count = len(strikes)
    table = greeks_table(
        np.concatenate([call_price, put_price]),
        forward,
        np.concatenate([strikes, strikes]),
        years,
        rate,
        np.repeat([True, False], count),
    )
    halves = [
        GreeksTable(*(getattr(table, field.name)[part] for field in fields(GreeksTable)))
        for part in (slice(0, count), slice(count, None))
    ]
    return ChainSnapshot(
        series=series,
        valued_at=now,
        years=years,
        rate=rate,
        forward=float(forward),
        strikes=np.asarray(strikes, dtype=float),
        atm_strike=atm_strike,
        lot_size=call_lot or put_lot,
        calls=Legs(call_listed, call_price, call_oi, call_volume, halves[0]),
        puts=Legs(put_listed, put_price, put_oi, put_volume, halves[1]),
    )


def cached_snapshot(
    market: OfflineMarket,
    cache: SnapshotCache,
    *,
    underlying: str,
    exchange: str,
    expiry_date: str | None,
    strike_count: int | None,
    interest_rate: float | None,
    with_activity: bool = True,
) -> ChainSnapshot:
    fields = {
        "underlying": underlying,
        "exchange": exchange,
        "expiry_date": expiry_date,
        "strike_count": strike_count,
        "interest_rate": interest_rate,
        "with_activity": with_activity,
    }
    key = (
        underlying.strip().upper(),
        exchange,
        (expiry_date or "").strip().upper(),
        strike_count,
        interest_rate or 0.0,
        with_activity,
    )
    return cache.get(key, lambda: build_snapshot(market, **fields))


def _net_gex_at(forward: np.ndarray, snapshot: ChainSnapshot) -> np.ndarray:
    """Net gamma exposure (calls - puts) if the forward stood at each of `forward`, IVs held fixed."""
    sides = []
    for legs, sign in ((snapshot.calls, 1.0), (snapshot.puts, -1.0)):
        fitted = legs.greeks.has_time_value
        gamma = black76.gamma(
            forward[:, None],
            snapshot.strikes[fitted][None, :],
            snapshot.years,
            legs.greeks.volatility[fitted][None, :],
            snapshot.rate,
        )
        sides.append(sign * (gamma * legs.oi[fitted][None, :]).sum(axis=1))
    return sides[0] + sides[1]


def zero_gamma_level(snapshot: ChainSnapshot) -> float | None:
    """The forward, within the listed strikes, at which net gamma exposure changes sign; the crossing
    nearest the current forward when there are several, None when there is none."""
    if snapshot.years <= 0 or len(snapshot.strikes) < 2:
        return None
    grid = np.linspace(snapshot.strikes[0], snapshot.strikes[-1], _ZERO_GAMMA_GRID)
    net = _net_gex_at(grid, snapshot)
    crossings = np.flatnonzero(np.sign(net[:-1]) * np.sign(net[1:]) < 0)
    if crossings.size == 0:
        return None
    nearest = crossings[np.argmin(np.abs(grid[crossings] - snapshot.forward))]
    low, high = grid[nearest], grid[nearest + 1]
    low_sign = np.sign(net[nearest])
    for _ in range(_BISECTION_STEPS):
        middle = 0.5 * (low + high)
        if np.sign(_net_gex_at(np.array([middle]), snapshot)[0]) == low_sign:
            low = middle
        else:
            high = middle
    return float(0.5 * (low + high))


def gamma_exposure(snapshot: ChainSnapshot) -> dict:
    """Per strike: gamma x OI of calls and puts, net (calls - puts); totals, PCR by OI, the zero-gamma level."""
    calls, puts = snapshot.calls, snapshot.puts
    call_gex, put_gex = calls.greeks.gamma * calls.oi, puts.greeks.gamma * puts.oi
    rows = [
        {
            "strike": float(strike),
            "ce_oi": int(calls.oi[index]),
            "pe_oi": int(puts.oi[index]),
            "ce_gamma": float(calls.greeks.gamma[index]),
            "pe_gamma": float(puts.greeks.gamma[index]),
            "ce_gex": float(call_gex[index]),
            "pe_gex": float(put_gex[index]),
            "net_gex": float(call_gex[index] - put_gex[index]),
        }
        for index, strike in enumerate(snapshot.strikes)
    ]
    call_oi, put_oi = float(calls.oi.sum()), float(puts.oi.sum())
    return snapshot.header() | {
        "total_ce_gex": float(call_gex.sum()),
        "total_pe_gex": float(put_gex.sum()),
        "total_net_gex": float(call_gex.sum() - put_gex.sum()),
        "pcr_oi": round(put_oi / call_oi, 4) if call_oi else None,
        "zero_gamma_level": zero_gamma_level(snapshot),
        "chain": rows,
    }


def _iv_at_delta(legs: Legs, target: float) -> float | None:
    """IV (percent) interpolated at `target` delta across the fitted legs; None outside their range."""
    fitted = legs.greeks.has_time_value
    deltas, volatility = legs.greeks.delta[fitted], legs.greeks.volatility[fitted]
    if deltas.size < 2:
        return None
    order = np.argsort(deltas)
    deltas, volatility = deltas[order], volatility[order]
    if not deltas[0] <= target <= deltas[-1]:
        return None
    return float(np.interp(target, deltas, volatility)) * 100.0


def iv_smile(snapshot: ChainSnapshot) -> dict:
    """Call and put IV per strike, the ATM IV (mean of the ATM legs') and the 25-delta skew (put - call)."""
    calls, puts = snapshot.calls, snapshot.puts
    call_iv, put_iv = calls.iv_percent(), puts.iv_percent()
    atm = int(np.flatnonzero(snapshot.strikes == snapshot.atm_strike)[0])
    atm_legs = [iv for iv in (call_iv[atm], put_iv[atm]) if iv is not None]
    put_wing, call_wing = _iv_at_delta(puts, -_SKEW_DELTA), _iv_at_delta(calls, _SKEW_DELTA)
    rows = [
        {
            "strike": float(strike),
            "ce_ltp": float(calls.price[index]),
            "pe_ltp": float(puts.price[index]),
            "ce_iv": call_iv[index],
            "pe_iv": put_iv[index],
            "ce_delta": float(calls.greeks.delta[index]),
            "pe_delta": float(puts.greeks.delta[index]),
        }
        for index, strike in enumerate(snapshot.strikes)
    ]
    return snapshot.header() | {
        "interest_rate": snapshot.rate * 100.0,
        "atm_iv": sum(atm_legs) / len(atm_legs) if atm_legs else None,
        "put_25d_iv": put_wing,
        "call_25d_iv": call_wing,
        "skew_25d": put_wing - call_wing if put_wing is not None and call_wing is not None else None,
        "chain": rows,
    }


def pain_curve(strikes: np.ndarray, call_oi: np.ndarray, put_oi: np.ndarray) -> np.ndarray:
    """(call pain, put pain) per settlement at each strike: what writers pay holders if the expiry settles there."""
    settle = strikes[:, None]
    call_pain = (np.maximum(settle - strikes[None, :], 0.0) * call_oi[None, :]).sum(axis=1)
    put_pain = (np.maximum(strikes[None, :] - settle, 0.0) * put_oi[None, :]).sum(axis=1)
    return np.stack([call_pain, put_pain])


def nearest_future(market: OfflineMarket, series: Series, now: datetime) -> Instrument | None:
    """The nearest unexpired future of the series' underlying on the options' exchange."""
    for expiry in market.master.expiries(series.name, series.exchange, InstrumentType.FUTURE):
        future = market.master.future(series.name, series.exchange, expiry)
        if future is not None and expiry_instant(expiry, series.exchange) > now:
            return future
    return None


def _futures_price(market: OfflineMarket, snapshot: ChainSnapshot) -> tuple[str | None, float | None]:
    future = nearest_future(market, snapshot.series, snapshot.valued_at)
    if future is None:
        return None, None
    return future.symbol, market.quote(future.exchange, future.symbol).ltp


def oi_tracker(market: OfflineMarket, snapshot: ChainSnapshot) -> dict:
    """OI and volume per strike, PCR by OI and by volume, the futures price, and max pain with its curve."""
    calls, puts = snapshot.calls, snapshot.puts
    call_pain, put_pain = pain_curve(snapshot.strikes, calls.oi, puts.oi)
    total_pain = call_pain + put_pain
    futures_symbol, futures_ltp = _futures_price(market, snapshot)
    totals = {name: float(value) for name, value in (("ce_oi", calls.oi.sum()), ("pe_oi", puts.oi.sum()))}
    volumes = float(calls.volume.sum()), float(puts.volume.sum())
    rows = [
        {
            "strike": float(strike),
            "ce_oi": int(calls.oi[index]),
            "pe_oi": int(puts.oi[index]),
            "ce_volume": int(calls.volume[index]),
            "pe_volume": int(puts.volume[index]),
            "ce_pain": float(call_pain[index]),
            "pe_pain": float(put_pain[index]),
            "total_pain": float(total_pain[index]),
        }
        for index, strike in enumerate(snapshot.strikes)
    ]
    return snapshot.header() | {
        "futures_symbol": futures_symbol,
        "futures_ltp": futures_ltp,
        "total_ce_oi": int(totals["ce_oi"]),
        "total_pe_oi": int(totals["pe_oi"]),
        "pcr_oi": round(totals["pe_oi"] / totals["ce_oi"], 4) if totals["ce_oi"] else None,
        "pcr_volume": round(volumes[1] / volumes[0], 4) if volumes[0] else None,
        "max_pain": float(snapshot.strikes[int(np.argmin(total_pain))]),
        "chain": rows,
    }


def otm_iv(snapshot: ChainSnapshot) -> list[float | None]:
    """Per strike the out-of-the-money leg's IV in percent: the put below the forward, the call at or above it."""
    calls, puts = snapshot.calls.iv_percent(), snapshot.puts.iv_percent()
    return [
        put if strike < snapshot.forward else call
        for strike, call, put in zip(snapshot.strikes, calls, puts, strict=True)
    ]


def volatility_surface(
    market: OfflineMarket,
    cache: SnapshotCache,
    *,
    underlying: str,
    exchange: str,
    expiry_count: int,
    strike_count: int,
    interest_rate: float | None,
) -> dict:
    """OTM IV over the union of strikes (rows) x the nearest `expiry_count` live expiries (columns)."""
    first = cached_snapshot(
        market,
        cache,
        underlying=underlying,
        exchange=exchange,
        expiry_date=None,
        strike_count=strike_count,
        interest_rate=interest_rate,
        with_activity=False,
    )
    series = first.series
    listed = market.master.expiries(series.name, series.exchange, "options")
    upcoming = [day for day in listed if day >= series.expiry][:expiry_count]
    snapshots = [first] + [
        cached_snapshot(
            market,
            cache,
            underlying=series.name,
            exchange=exchange,
            expiry_date=compact_expiry(day),
            strike_count=strike_count,
            interest_rate=interest_rate,
            with_activity=False,
        )
        for day in upcoming[1:]
    ]
    strikes = sorted({float(strike) for snapshot in snapshots for strike in snapshot.strikes})
    expiries = []
    for snapshot in snapshots:
        by_strike = dict(zip(snapshot.strikes.tolist(), otm_iv(snapshot), strict=True))
        expiries.append(
            {
                "expiry_date": compact_expiry(snapshot.series.expiry),
                "days_to_expiry": round(snapshot.years * 365.0, 4),
                "forward_price": round(snapshot.forward, 2),
                "atm_strike": snapshot.atm_strike,
                "iv": [by_strike.get(strike) for strike in strikes],
            }
        )
    return first.header() | {"strikes": strikes, "expiries": expiries}
