"""OfflineMarket: a complete, seeded Indian market that needs no broker account and no network.

It owns the simulated clock. `advance()` steps every underlying in minute-sized pieces and notes
each step on the live tape; everything else (quotes, depth, option values, candles) is computed
when asked, so thousands of listed strikes cost nothing until someone looks at one. Two markets
built with the same seed and start, then advanced by the same steps, agree price for price.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

import numpy as np
from numpy.typing import NDArray

from sandbox.market.activity import cumulative_share, daily_volume, day_factor, open_interest
from sandbox.market.book import DayStats, build_depth, build_quote, touch
from sandbox.market.calendar import IST, ExchangeCalendar, ist_date
from sandbox.market.errors import UnknownInstrument
from sandbox.market.history import candles, closing_open_interest
from sandbox.market.intervals import INTERVALS, max_days
from sandbox.market.past import SyntheticPast
from sandbox.market.pricing import (
    VIX_NAME,
    expiry_epoch,
    fair_value,
    forward,
    option_fair_values,
    standardised_moneyness,
    years_left,
)
from sandbox.market.process import UnderlyingProcess
from sandbox.market.symbols import SymbolMaster
from sandbox.market.tape import LiveTape
from sandbox.market.types import Candle, Depth, Instrument, InstrumentType, Quote, Tick
from sandbox.market.universe import SESSION_EXCHANGE


class OfflineMarket:
    """The simulated market: a symbol master, a calendar, a clock and prices for every instrument."""

    def __init__(self, seed: int = 7, *, start: datetime | None = None, continuous: bool = True) -> None:
        self.seed = seed
        self.calendar = ExchangeCalendar(continuous=continuous)
        start = start or datetime.now(IST)
        # A naive start is read as IST, the only clock Indian exchanges keep.
        self._clock = (start if start.tzinfo else start.replace(tzinfo=IST)).timestamp()
        self._process = UnderlyingProcess(seed)
        names = self._process.names
        prices = self._process.prices()
        self.master = SymbolMaster(
            ist_date(self._clock), self.calendar, dict(zip(names, prices, strict=True))
        )
        self._pasts = {
            name: SyntheticPast(name, seed, self.calendar, self._clock, float(price))
            for name, price in zip(names, prices, strict=True)
        }
        self._exchanges = np.array([SESSION_EXCHANGE[name] for name in names])
        self._tape = self._opening_tape(prices)
        self._record(self._clock, self._clock)

    def _opening_tape(self, prices: NDArray[np.float64]) -> LiveTape:
        # Each underlying's day so far comes from the last day of its synthetic past.
        days, opens, highs, lows, previous, last_active = [], [], [], [], [], []
        for name in self._process.names:
            past = self._pasts[name]
            anchor = past.anchor_day
            stamps, bars = past.minute_bars(anchor, anchor)
            days.append(anchor)
            opens.append(bars[0][0])
            highs.append(bars[1].max())
            lows.append(bars[2].min())
            previous.append(past.previous_close(anchor))
            last_active.append(float(stamps[-1] + 60))
        return LiveTape(
            days,
            *(np.array(column) for column in (opens, highs, lows, previous)),
            prices,
            np.array(last_active),
        )

    def now(self) -> datetime:
        """The simulated time, in IST."""
        return datetime.fromtimestamp(self._clock, IST)

    def advance(self, seconds: float) -> None:
        """Move the clock forward and evolve every underlying that trades meanwhile."""
        if seconds < 0:
            raise ValueError("the simulated clock only moves forward")
        end = self._clock + seconds
        while self._clock < end:
            boundary = (math.floor(self._clock / 60.0) + 1) * 60.0
            step_end = min(end, boundary)
            active = self._active(self._clock)
            self._process.step(step_end - self._clock, active)
            self._record(self._clock, step_end, active)
            self._clock = step_end
        today = ist_date(self._clock)
        if today != self.master.today:
            prices = dict(zip(self._process.names, self._process.prices(), strict=True))
            self.master = self.master.rolled(today, prices)

    def _active(self, moment: float) -> NDArray[np.bool_]:
        if self.calendar.continuous:
            return np.ones(len(self._exchanges), dtype=bool)
        instant = datetime.fromtimestamp(moment, IST)
        open_now = {
            exchange: self.calendar.is_session(exchange, instant) for exchange in set(self._exchanges)
        }
        return np.array([open_now[exchange] for exchange in self._exchanges])

    def _record(self, bar_moment: float, moment: float, active: NDArray[np.bool_] | None = None) -> None:
        mask = self._active(bar_moment) if active is None else active
        minute = int(bar_moment // 60) * 60
        self._tape.record(minute, moment, self._process.prices(), mask)

    def instrument(self, exchange: str, symbol: str) -> Instrument:
        """The listed instrument, or UnknownInstrument."""
        found = self.master.get(exchange, symbol)
        if found is None:
            raise UnknownInstrument(exchange, symbol)
        return found

    def quote(self, exchange: str, symbol: str) -> Quote:
        """Last price, touch, the day's range and activity of one instrument, valued now."""
        return self._quote(self.instrument(exchange, symbol))[0]

    def quotes(self, instruments: list[Instrument]) -> list[Quote]:
        """`quote` of many instruments, the options' fair values solved in one pass per underlying."""
        return [quote for quote, _ in self._quotes(instruments, last_only=False)]

    def last_prices(self, instruments: list[Instrument]) -> list[float]:
        """The last price `quote` gives each instrument, for tools that need many prices and nothing
        else (an IV surface reads hundreds of options): no activity or day range is valued."""
        return self._quotes(instruments, last_only=True)

    def _quotes(self, instruments: list[Instrument], *, last_only: bool) -> list:
        found: list = [None] * len(instruments)
        options: dict[str, list[int]] = {}
        for index, instrument in enumerate(instruments):
            if instrument.is_option:
                options.setdefault(instrument.name, []).append(index)
            else:
                quote, typical_day = self._quote(instrument)
                found[index] = quote.ltp if last_only else (quote, typical_day)
        vix = self._process.price(VIX_NAME)
        for name, indexes in options.items():
            group = [instruments[index] for index in indexes]
            valued_at, spots = self._spots(name)
            values = option_fair_values(group, spots[:1] if last_only else spots, valued_at, vix)
            for column, (index, instrument) in enumerate(zip(indexes, group, strict=True)):
                if last_only:
                    found[index] = touch(instrument, float(values[0, column]))[1]
                else:
                    found[index] = self._quote_from(instrument, values[:, column].copy(), valued_at)
        return found

    def _spots(self, name: str) -> tuple[float, NDArray[np.float64]]:
        """When `name` was last valued, and its price, day open, high, low and previous close."""
        position = self._process.index[name]
        tape = self._tape
        valued_at = min(self._clock, float(tape.last_active[position]))
        spots = np.array(
            [
                self._process.price(name),
                tape.day_open[position],
                tape.day_high[position],
                tape.day_low[position],
                tape.prev_close[position],
            ]
        )
        return valued_at, spots

    def _quote(self, instrument: Instrument) -> tuple[Quote, float]:
        valued_at, spots = self._spots(instrument.name)
        values = fair_value(instrument, spots, valued_at, self._process.price(VIX_NAME))
        return self._quote_from(instrument, values, valued_at)

    def _quote_from(
        self, instrument: Instrument, values: NDArray[np.float64], valued_at: float
    ) -> tuple[Quote, float]:
        """The quote from the fair values at the underlying's price, day open, high, low and previous close."""
        if instrument.instrument_type is InstrumentType.PUT:
            values[[2, 3]] = values[[3, 2]]  # a put's best moment is the underlying's worst
        day = DayStats(float(values[1]), float(values[2]), float(values[3]), float(values[4]))
        day_open_spot = float(self._tape.day_open[self._process.index[instrument.name]])
        volume, oi, typical_day = self._activity(instrument, day_open_spot, valued_at)
        return build_quote(instrument, float(values[0]), day, volume, oi, self._clock), typical_day

    def _activity(
        self, instrument: Instrument, day_open_spot: float, moment: float
    ) -> tuple[int, int, float]:
        """Volume so far today, open interest, and a typical day's volume of `instrument`."""
        day = self._tape.day[self._process.index[instrument.name]]
        years = 0.0
        if instrument.expiry is not None:
            years = float(years_left(expiry_epoch(instrument.expiry, instrument.exchange), moment))
        # Moneyness is fixed at the day's open, so the day's volume only ever grows.
        underlying_forward = forward(instrument, day_open_spot, moment)
        moneyness = float(standardised_moneyness(instrument, underlying_forward, years))
        typical = float(daily_volume(instrument, years, moneyness))
        busy = day_factor(instrument.symbol, day.toordinal())
        opens, closes = self.calendar.day_window(SESSION_EXCHANGE[instrument.name], day)
        lots = round(typical * busy * float(cumulative_share(moment, opens, closes)) / instrument.lot_size)
        oi = open_interest(instrument, years, moneyness, day.toordinal()) if instrument.is_derivative else 0
        return lots * instrument.lot_size, oi, typical

    def depth(self, exchange: str, symbol: str) -> Depth:
        return self.tick(exchange, symbol).depth or Depth((), ())

    def tick(self, exchange: str, symbol: str) -> Tick:
        """Quote and five-level depth of one instrument, consistent with each other."""
        instrument = self.instrument(exchange, symbol)
        quote, typical_day = self._quote(instrument)
        # About a two-thousandth of a day's volume rests at each level, never less than a lot.
        resting = max(float(instrument.lot_size), typical_day / 2000.0)
        return Tick(quote, build_depth(instrument, quote, resting, self._clock))

    def history(self, exchange: str, symbol: str, interval: str, start: date, end: date) -> list[Candle]:
        """Candles from `start` to `end` (IST dates, inclusive), ending at the live price.

        The range is clamped to today and to MAX_INTRADAY_DAYS / MAX_CALENDAR_DAYS before `end`.
        """
        instrument = self.instrument(exchange, symbol)
        if interval not in INTERVALS:
            raise ValueError(f"unsupported interval {interval!r}; use one of {', '.join(INTERVALS)}")
        end = min(end, ist_date(self._clock))
        start = max(start, end - timedelta(days=max_days(interval)))
        if start > end:
            return []
        return candles(instrument, interval, start, end, self, self.calendar)

    def closing_open_interest(self, instruments: list[Instrument], day: date) -> list[int | None]:
        """Each derivative's open interest at the close of `day` (its daily candle's `oi`), in one pass."""
        return closing_open_interest(instruments, min(day, ist_date(self._clock)), self)

    def minute_bars(self, name: str, first_day: date, last_day: date) -> tuple[NDArray[np.int64], NDArray]:
        """An underlying's minute bars opening on first_day..last_day: the synthetic past, then the tape."""
        past_stamps, past_bars = self._pasts[name].minute_bars(first_day, last_day)
        since = int(datetime.combine(first_day, time(0), IST).timestamp())
        until = int(datetime.combine(last_day + timedelta(days=1), time(0), IST).timestamp())
        live_stamps, live_bars = self._tape.bars(self._process.index[name], since, until)
        return np.concatenate([past_stamps, live_stamps]), np.concatenate([past_bars, live_bars], axis=1)

    def last_active(self, name: str) -> float:
        """Epoch seconds at which `name` last traded (now, while its market is open)."""
        return float(self._tape.last_active[self._process.index[name]])
