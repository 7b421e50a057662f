"""OfflineMarket: quotes, depth, reproducibility, option consistency and the clock."""

from __future__ import annotations

import itertools
import math
from datetime import date, datetime, timedelta

import pytest

from sandbox.market import IST, InstrumentType, OfflineMarket, UnknownInstrument

from .conftest import MID_SESSION

SAMPLE = [
    ("NSE", "RELIANCE"),
    ("NSE", "M&M"),
    ("NSE", "IDEA"),
    ("NFO", "NIFTY25NOV25FUT"),
    ("NFO", "NIFTY25NOV2526000CE"),
    ("NFO", "NIFTY25NOV2525000PE"),
    ("NFO", "BANKNIFTY30DEC25FUT"),
    ("BFO", "SENSEX20NOV2584600CE"),
    ("MCX", "CRUDEOIL19DEC25FUT"),
    ("MCX", "GOLD05DEC25FUT"),
    ("CDS", "USDINR26NOV25FUT"),
]


def on_grid(value: float, tick: float) -> bool:
    return abs(value / tick - round(value / tick)) < 1e-6


def test_clock_is_aware_and_advances(market):
    assert market.now() == MID_SESSION
    market.advance(90.5)
    assert market.now() == MID_SESSION + timedelta(seconds=90.5)
    with pytest.raises(ValueError):
        market.advance(-1)


def test_unknown_instrument_is_a_key_error(market):
    with pytest.raises(KeyError):
        market.quote("NSE", "NOPE")
    with pytest.raises(UnknownInstrument, match="Symbol 'NOPE' not found for exchange 'NFO'"):
        market.depth("NFO", "NOPE")


@pytest.mark.parametrize(("exchange", "symbol"), SAMPLE)
def test_quotes_are_on_grid_and_inside_the_spread(market, exchange, symbol):
    for _ in range(5):
        market.advance(7.0)
        quote = market.quote(exchange, symbol)
        tick = market.instrument(exchange, symbol).tick_size
        assert quote.bid < quote.ask
        assert quote.bid <= quote.ltp <= quote.ask
        assert quote.low <= quote.ltp <= quote.high
        assert quote.low <= quote.open <= quote.high
        for value in (quote.ltp, quote.bid, quote.ask, quote.open, quote.high, quote.low, quote.prev_close):
            assert on_grid(value, tick), (symbol, value)
        assert quote.volume > 0
        assert quote.timestamp == market.now().timestamp()


def test_derivatives_carry_open_interest_and_cash_does_not(market):
    assert market.quote("NFO", "NIFTY25NOV2526000CE").oi > 0
    assert market.quote("MCX", "CRUDEOIL19DEC25FUT").oi % 100 == 0
    assert market.quote("NSE", "SBIN").oi == 0


def test_indices_have_no_book(market):
    quote = market.quote("NSE_INDEX", "NIFTY")
    assert (quote.bid, quote.ask, quote.volume) == (0.0, 0.0, 0)
    assert 5 < market.quote("NSE_INDEX", "INDIAVIX").ltp < 40
    assert all(level.price == 0 for level in market.depth("BSE_INDEX", "SENSEX").bids)


@pytest.mark.parametrize(("exchange", "symbol"), SAMPLE)
def test_depth_is_ordered_and_starts_at_the_touch(market, exchange, symbol):
    tick = market.tick(exchange, symbol)
    bids, asks = tick.depth.bids, tick.depth.asks
    lot = market.instrument(exchange, symbol).lot_size
    assert len(bids) == len(asks) == 5
    assert bids[0].price == tick.quote.bid
    assert asks[0].price == tick.quote.ask
    assert all(better.price > worse.price for better, worse in itertools.pairwise(bids))
    assert all(better.price < worse.price for better, worse in itertools.pairwise(asks))
    assert all(
        level.quantity > 0 and level.quantity % lot == 0 and level.orders >= 1 for level in bids + asks
    )


def run(seed: int) -> list[float]:
    market = OfflineMarket(seed, start=MID_SESSION)
    # The strike window follows each seed's starting price, so take the middle strike of each.
    middle = market.master.strikes("NIFTY", "NFO", date(2025, 11, 25))[20]
    option = market.master.option("NIFTY", "NFO", date(2025, 11, 25), middle, InstrumentType.CALL)
    watched = [pair for pair in SAMPLE if "NOV25" not in pair[1] or "FUT" in pair[1]] + [
        ("NFO", option.symbol)
    ]
    seen = []
    for seconds in (0.25, 1.0, 30.0, 61.0, 600.0):
        market.advance(seconds)
        seen += [market.quote(exchange, symbol).ltp for exchange, symbol in watched]
    return seen


def test_same_seed_same_prices_other_seed_other_prices():
    assert run(11) == run(11)
    assert run(11) != run(12)


def test_prices_move_and_stay_plausible(market):
    before = market.quote("NSE", "RELIANCE").ltp
    market.advance(3600)
    after = market.quote("NSE", "RELIANCE").ltp
    assert after != before
    assert 0.8 < after / before < 1.25


def test_stocks_move_with_the_index():
    market = OfflineMarket(3, start=MID_SESSION)
    index_moves, stock_moves = [], []
    for _ in range(300):
        index_before = market.quote("NSE_INDEX", "NIFTY").ltp
        stock_before = market.quote("NSE", "HDFCBANK").ltp
        market.advance(60)
        index_moves.append(math.log(market.quote("NSE_INDEX", "NIFTY").ltp / index_before))
        stock_moves.append(math.log(market.quote("NSE", "HDFCBANK").ltp / stock_before))
    mean_index, mean_stock = sum(index_moves) / 300, sum(stock_moves) / 300
    covariance = sum(
        (a - mean_index) * (b - mean_stock) for a, b in zip(index_moves, stock_moves, strict=True)
    )
    assert covariance > 0


def test_futures_trade_at_a_carry_premium(market):
    spot = market.quote("NSE_INDEX", "NIFTY").ltp
    near = market.quote("NFO", "NIFTY25NOV25FUT").ltp
    far = market.quote("NFO", "NIFTY27JAN26FUT").ltp
    assert spot < near < far < spot * 1.02


def test_option_chain_respects_parity_and_monotonicity(market):
    expiry = date(2025, 12, 30)
    future = market.quote("NFO", "NIFTY30DEC25FUT").ltp
    strikes = market.master.strikes("NIFTY", "NFO", expiry)
    calls, puts = [], []
    for strike in strikes:
        call = market.master.option("NIFTY", "NFO", expiry, strike, InstrumentType.CALL)
        put = market.master.option("NIFTY", "NFO", expiry, strike, InstrumentType.PUT)
        calls.append(market.quote("NFO", call.symbol).ltp)
        puts.append(market.quote("NFO", put.symbol).ltp)
    assert all(a >= b for a, b in itertools.pairwise(calls))
    assert all(a <= b for a, b in itertools.pairwise(puts))
    years = (datetime(2025, 12, 30, 15, 30, tzinfo=IST) - market.now()).total_seconds() / (365 * 86400)
    for strike, call, put in zip(strikes, calls, puts, strict=True):
        # Parity against the forward, allowing rounding to ticks and the futures quote's spread.
        assert call - put == pytest.approx(math.exp(-0.055 * years) * (future - strike), abs=2.0)
        assert call >= max(future - strike, 0) * 0.99 - 0.5


def test_put_skew_makes_downside_volatility_dearer(market):
    from sandbox.market import implied_volatility

    expiry = date(2025, 12, 30)
    future = market.quote("NFO", "NIFTY30DEC25FUT").ltp
    years = (datetime(2025, 12, 30, 15, 30, tzinfo=IST) - market.now()).total_seconds() / (365 * 86400)
    low_put = market.master.option("NIFTY", "NFO", expiry, 25000.0, InstrumentType.PUT)
    high_call = market.master.option("NIFTY", "NFO", expiry, 26800.0, InstrumentType.CALL)
    low_vol = float(
        implied_volatility(market.quote("NFO", low_put.symbol).ltp, future, 25000.0, years, 0.055, False)
    )
    high_vol = float(
        implied_volatility(market.quote("NFO", high_call.symbol).ltp, future, 26800.0, years, 0.055)
    )
    assert low_vol > high_vol


def test_mcx_options_are_priced_from_their_future(market):
    option = next(row for row in market.master.all("MCX") if row.name == "CRUDEOIL" and row.is_option)
    future = market.master.underlying_of(option)
    assert future.symbol == option.underlying
    quote = market.quote("MCX", option.symbol)
    assert quote.ltp >= 1.0


def test_sessions_freeze_prices_when_not_continuous():
    friday_evening = datetime(2025, 11, 21, 16, 0, tzinfo=IST)
    market = OfflineMarket(5, start=friday_evening, continuous=False)
    before_nse = market.quote("NSE", "SBIN").ltp
    before_mcx = market.quote("MCX", "GOLD05DEC25FUT").ltp
    market.advance(1800)
    assert market.quote("NSE", "SBIN").ltp == before_nse  # NSE closed at 15:30
    assert market.quote("MCX", "GOLD05DEC25FUT").ltp != before_mcx  # MCX trades till late


def test_continuous_mode_moves_on_a_sunday():
    market = OfflineMarket(5, start=datetime(2025, 11, 23, 3, 0, tzinfo=IST))
    before = market.quote("NSE", "SBIN").ltp
    market.advance(600)
    assert market.quote("NSE", "SBIN").ltp != before


def test_master_rolls_when_the_clock_passes_an_expiry():
    market = OfflineMarket(5, start=datetime(2025, 11, 25, 15, 0, tzinfo=IST))
    assert market.quote("NFO", "NIFTY25NOV25FUT").ltp > 0
    market.advance(86400)
    assert market.master.today == date(2025, 11, 26)
    with pytest.raises(UnknownInstrument):
        market.quote("NFO", "NIFTY25NOV25FUT")
    assert market.quote("NFO", "NIFTY30DEC25FUT").ltp > 0


def test_new_day_rolls_the_day_statistics():
    market = OfflineMarket(5, start=datetime(2025, 11, 20, 15, 0, tzinfo=IST), continuous=False)
    market.advance(3600)  # past Thursday's close
    thursday = market.quote("NSE", "TCS")
    market.advance(18 * 3600)  # to Friday 10:00
    friday = market.quote("NSE", "TCS")
    assert friday.prev_close == thursday.ltp
    assert friday.open != thursday.open
    assert friday.volume < thursday.volume  # a fresh day's volume starts again from zero


def test_a_naive_start_is_read_as_ist_and_no_start_means_now():
    naive = OfflineMarket(1, start=datetime(2025, 11, 20, 11, 0))
    assert naive.now() == datetime(2025, 11, 20, 11, 0, tzinfo=IST)
    live = OfflineMarket(1)
    assert abs((live.now() - datetime.now(IST)).total_seconds()) < 60
    assert live.quote("NSE", "RELIANCE").ltp > 0


def test_last_prices_in_one_pass_are_the_quotes_last_prices(market):
    master = market.master
    wanted = [market.instrument("NSE_INDEX", "NIFTY"), market.instrument("NSE", "SBIN")]
    kinds = (InstrumentType.CALL, InstrumentType.PUT)
    for name, exchange in (("NIFTY", "NFO"), ("BANKNIFTY", "NFO"), ("CRUDEOIL", "MCX"), ("USDINR", "CDS")):
        for expiry in master.expiries(name, exchange, "options")[:3]:
            for strike in master.strikes(name, exchange, expiry):
                wanted += [master.option(name, exchange, expiry, strike, kind) for kind in kinds]
        wanted.append(master.future(name, exchange, master.expiries(name, exchange, "futures")[0]))
    wanted = [instrument for instrument in wanted if instrument is not None]

    prices = market.last_prices(wanted)

    assert prices == [market.quote(instrument.exchange, instrument.symbol).ltp for instrument in wanted]
    assert len(wanted) > 300


def test_quotes_in_one_pass_are_each_quote(market):
    master = market.master
    expiry = master.expiries("NIFTY", "NFO", "options")[0]
    kinds = (InstrumentType.CALL, InstrumentType.PUT)
    strikes = master.strikes("NIFTY", "NFO", expiry)
    wanted = [master.option("NIFTY", "NFO", expiry, strike, kind) for strike in strikes for kind in kinds]
    wanted += [market.instrument("NSE", "SBIN"), market.instrument("NSE_INDEX", "NIFTY")]
    market.advance(90.0)  # a day range that has moved since the open

    quotes = market.quotes(wanted)

    assert quotes == [market.quote(instrument.exchange, instrument.symbol) for instrument in wanted]
