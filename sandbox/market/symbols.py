"""SymbolMaster: the offline market's master contract, in OpenAlgo's unified symbol format.

Lists the cash equities and indices of the universe plus futures and options built from the
expiry schedules relative to a given day, with strikes in a window around each underlying's
price. Rows live in dicts so lookups are constant time; a build takes a few milliseconds.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date

from sandbox.market.calendar import ExchangeCalendar
from sandbox.market.expiries import expiry_dates, is_weekly
from sandbox.market.naming import dashed_expiry, future_symbol, option_symbol
from sandbox.market.types import Instrument, InstrumentType
from sandbox.market.universe import DERIVATIVES, EQUITIES, INDICES, UNDERLYINGS, DerivativeSpec

_OPTION_KINDS = (InstrumentType.CALL, InstrumentType.PUT)
# How the `expiry` endpoint and friends name a contract family.
_FAMILY = {
    "futures": "FUT",
    "future": "FUT",
    "fut": "FUT",
    "options": "OPT",
    "option": "OPT",
    "ce": "OPT",
    "pe": "OPT",
    "opt": "OPT",
}


def _token(exchange: str, symbol: str) -> str:
    # A checksum keeps tokens stable when the master is rebuilt for another day.
    return str(zlib.crc32(f"{exchange}:{symbol}".encode()))


def _family(instrument_type: InstrumentType | str) -> str:
    if isinstance(instrument_type, InstrumentType):
        return "FUT" if instrument_type is InstrumentType.FUTURE else "OPT"
    return _FAMILY[instrument_type.lower()]


def strike_window(price: float, step: float, each_side: int) -> list[float]:
    """Strikes on the exchange's grid from `each_side` steps below the at-the-money strike to as many above."""
    at_the_money = round(price / step)
    steps = range(max(at_the_money - each_side, 1), at_the_money + each_side + 1)
    return [round(index * step, 4) for index in steps]


class SymbolMaster:
    """Every instrument listed on `today`; `carry_over` keeps still-live contracts of an older master."""

    def __init__(
        self,
        today: date,
        calendar: ExchangeCalendar | None = None,
        prices: Mapping[str, float] | None = None,
        carry_over: Iterable[Instrument] = (),
    ) -> None:
        self.today = today
        self.calendar = calendar or ExchangeCalendar()
        self._prices = {name: row.price for name, row in UNDERLYINGS.items()} | dict(prices or {})
        self._rows: dict[tuple[str, str], Instrument] = {}
        self._expiries: dict[tuple[str, str, str], set[date]] = {}
        self._strikes: dict[tuple[str, str, date], set[float]] = {}
        for row in EQUITIES + INDICES:
            kind = InstrumentType.EQUITY if row.spot_exchange == "NSE" else InstrumentType.INDEX
            self._add(Instrument(row.name, row.spot_exchange or "", row.name, kind, tick_size=row.tick_size))
        for spec in DERIVATIVES:
            self._list_derivatives(spec)
        for instrument in carry_over:
            if instrument.expiry is not None and instrument.expiry >= today:
                self._add(instrument)

    def _add(self, instrument: Instrument) -> None:
        key = (instrument.exchange, instrument.symbol)
        if key in self._rows:
            return
        if not instrument.token:
            instrument = replace(instrument, token=_token(instrument.exchange, instrument.symbol))
        self._rows[key] = instrument
        if instrument.expiry is not None:
            family = "FUT" if instrument.instrument_type is InstrumentType.FUTURE else "OPT"
            self._expiries.setdefault((instrument.name, instrument.exchange, family), set()).add(
                instrument.expiry
            )
        if instrument.strike is not None and instrument.expiry is not None:
            strikes = self._strikes.setdefault(
                (instrument.name, instrument.exchange, instrument.expiry), set()
            )
            strikes.add(instrument.strike)

    def _list_derivatives(self, spec: DerivativeSpec) -> None:
        spot = UNDERLYINGS[spec.name].spot_exchange
        future_expiries = expiry_dates(spec.future_rule, self.today, self.calendar, spec.future_count)
        for expiry in future_expiries:
            self._add(
                Instrument(
                    future_symbol(spec.name, expiry),
                    spec.exchange,
                    spec.name,
                    InstrumentType.FUTURE,
                    spec.lot_size,
                    spec.tick_size,
                    spec.freeze_quantity,
                    expiry,
                    underlying=spec.name if spot else None,
                )
            )
        option_expiries: set[date] = set()
        for rule in spec.option_rules:
            count = spec.weekly_count if is_weekly(rule) else spec.monthly_count
            option_expiries.update(expiry_dates(rule, self.today, self.calendar, count))
        strikes = strike_window(self._prices[spec.name], spec.strike_step, spec.strikes_each_side)
        for expiry in sorted(option_expiries):
            # Without a spot, an option is written on the first future expiring on or after it.
            later = [day for day in future_expiries if day >= expiry] or future_expiries[-1:]
            underlying = spec.name if spot else future_symbol(spec.name, later[0])
            for strike in strikes:
                for kind in _OPTION_KINDS:
                    self._add(
                        Instrument(
                            option_symbol(spec.name, expiry, strike, kind),
                            spec.exchange,
                            spec.name,
                            kind,
                            spec.lot_size,
                            spec.tick_size,
                            spec.freeze_quantity,
                            expiry,
                            strike,
                            underlying,
                        )
                    )

    def rolled(self, today: date, prices: Mapping[str, float] | None = None) -> SymbolMaster:
        """The master of a later day: expired contracts gone, new expiries and strikes listed."""
        live = (row for row in self._rows.values() if row.expiry is not None)
        return SymbolMaster(today, self.calendar, self._prices | dict(prices or {}), live)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def get(self, exchange: str, symbol: str) -> Instrument | None:
        return self._rows.get((exchange.upper(), symbol.upper()))

    def all(self, exchange: str | None = None) -> list[Instrument]:
        if exchange is None:
            return list(self._rows.values())
        wanted = exchange.upper()
        return [row for (row_exchange, _), row in self._rows.items() if row_exchange == wanted]

    def expiries(self, name: str, exchange: str, instrument_type: InstrumentType | str) -> list[date]:
        """Listed expiry dates of a contract family (`futures`/`options`, or an InstrumentType), ascending."""
        key = (name.upper(), exchange.upper(), _family(instrument_type))
        return sorted(self._expiries.get(key, ()))

    def strikes(self, name: str, exchange: str, expiry: date) -> list[float]:
        return sorted(self._strikes.get((name.upper(), exchange.upper(), expiry), ()))

    def option(
        self, name: str, exchange: str, expiry: date, strike: float, kind: InstrumentType
    ) -> Instrument | None:
        return self.get(exchange, option_symbol(name.upper(), expiry, strike, kind))

    def future(self, name: str, exchange: str, expiry: date) -> Instrument | None:
        return self.get(exchange, future_symbol(name.upper(), expiry))

    def underlying_of(self, instrument: Instrument) -> Instrument | None:
        """What a derivative is priced from: the index or stock, or for MCX and CDS options the future."""
        if instrument.underlying is None:
            return None
        if instrument.exchange in ("MCX", "CDS"):
            return self.get(instrument.exchange, instrument.underlying)
        spot = UNDERLYINGS[instrument.name].spot_exchange
        return self.get(spot, instrument.underlying) if spot else None

    def search(self, query: str, exchange: str | None = None, limit: int = 500) -> list[Instrument]:
        """OpenAlgo's search: every whitespace-separated term must match symbol, name, token or strike.

        Ranked exact symbol, then symbol prefix, then symbol substring, then other fields; shorter first.
        """
        terms = query.upper().split()
        if not terms:
            return []
        first = terms[0]
        ranked = []
        for row in self.all(exchange) if exchange else self._rows.values():
            if all(_matches(row, term) for term in terms):
                if row.symbol == first:
                    rank = 0
                elif row.symbol.startswith(first):
                    rank = 1
                else:
                    rank = 2 if first in row.symbol else 3
                ranked.append((rank, len(row.symbol), row.symbol, row))
        ranked.sort(key=lambda item: item[:3])
        return [item[3] for item in ranked[:limit]]


def _matches(row: Instrument, term: str) -> bool:
    if term in row.symbol or term in row.name or term in row.token:
        return True
    if row.expiry is not None and term in dashed_expiry(row.expiry):
        return True
    try:
        return row.strike is not None and float(term) == row.strike
    except ValueError:
        return False
