"""History: candles agree with the live price, respect sessions and are deterministic."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from sandbox.market import INTERVALS, INTERVALS_BY_GROUP, IST, ExchangeCalendar, InstrumentType, OfflineMarket

from .conftest import MID_SESSION

TODAY = MID_SESSION.date()
LIVE = [
    ("NSE", "INFY"),
    ("NSE_INDEX", "NIFTY"),
    ("NSE_INDEX", "INDIAVIX"),
    ("NFO", "NIFTY30DEC25FUT"),
    ("NFO", "NIFTY30DEC2526000PE"),
    ("MCX", "CRUDEOIL19DEC25FUT"),
    ("CDS", "USDINR26NOV25FUT"),
]


def ist(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp, IST)


@pytest.mark.parametrize(("exchange", "symbol"), LIVE)
def test_last_candle_closes_at_the_live_price(market, exchange, symbol):
    for step in (0.0, 0.5, 59.0, 700.0):
        market.advance(step)
        ltp = market.quote(exchange, symbol).ltp
        for interval in ("1m", "5m", "1h", "D"):
            bars = market.history(exchange, symbol, interval, TODAY - timedelta(days=5), TODAY)
            assert bars[-1].close == pytest.approx(ltp, abs=1e-9), (interval, step)


def test_daily_candle_matches_the_quote_day(market):
    market.advance(1234)
    quote = market.quote("NSE", "SBIN")
    days = market.history("NSE", "SBIN", "D", TODAY - timedelta(days=10), TODAY)
    assert (days[-1].open, days[-1].high, days[-1].low) == (quote.open, quote.high, quote.low)
    assert days[-2].close == quote.prev_close
    assert days[-1].timestamp == int(datetime.combine(TODAY, time(0), UTC).timestamp())


def test_candles_are_well_formed_and_on_grid(market):
    for exchange, symbol in LIVE:
        tick = market.instrument(exchange, symbol).tick_size
        for candle in market.history(exchange, symbol, "15m", TODAY - timedelta(days=20), TODAY):
            assert (
                candle.low <= min(candle.open, candle.close) <= max(candle.open, candle.close) <= candle.high
            )
            for value in (candle.open, candle.high, candle.low, candle.close):
                assert abs(value / tick - round(value / tick)) < 1e-6


def test_intraday_bars_only_inside_sessions():
    market = OfflineMarket(7, start=MID_SESSION, continuous=False)
    market.advance(600)
    calendar = ExchangeCalendar()
    bars = market.history("NSE", "TCS", "1m", date(2025, 10, 1), TODAY)
    assert len({ist(bar.timestamp).date() for bar in bars}) == len(
        calendar.trading_days(date(2025, 10, 1), TODAY)
    )
    for bar in bars:
        moment = ist(bar.timestamp)
        assert calendar.is_session("NSE", moment), moment
    assert all(ist(bar.timestamp).date() != date(2025, 10, 21) for bar in bars)  # Diwali
    crude = market.history("MCX", "CRUDEOIL19DEC25FUT", "1h", date(2025, 11, 17), TODAY)
    assert any(ist(bar.timestamp).hour >= 20 for bar in crude)  # MCX trades into the night


def test_buckets_align_to_the_session_open(market):
    hours = market.history("NSE", "TCS", "1h", date(2025, 11, 17), date(2025, 11, 19))
    assert {ist(bar.timestamp).strftime("%H:%M") for bar in hours} == {
        "09:15",
        "10:15",
        "11:15",
        "12:15",
        "13:15",
        "14:15",
        "15:15",
    }


def test_coarser_candles_fold_the_minutes(market):
    minutes = market.history("NSE", "LT", "1m", date(2025, 11, 18), date(2025, 11, 18))
    fives = market.history("NSE", "LT", "5m", date(2025, 11, 18), date(2025, 11, 18))
    assert len(minutes) == 375
    assert len(fives) == 75
    first = minutes[:5]
    assert fives[0].open == first[0].open
    assert fives[0].close == first[-1].close
    assert fives[0].high == max(bar.high for bar in first)
    assert fives[0].low == min(bar.low for bar in first)
    assert fives[0].volume == sum(bar.volume for bar in first)


def test_same_bar_whatever_the_range(market):
    short = market.history("NSE", "ITC", "1m", date(2025, 11, 10), date(2025, 11, 10))
    wide = market.history("NSE", "ITC", "1m", date(2025, 9, 1), date(2025, 11, 12))
    by_time = {bar.timestamp: bar for bar in wide}
    assert all(by_time[bar.timestamp] == bar for bar in short)


def test_history_is_reproducible_per_seed():
    one = OfflineMarket(21, start=MID_SESSION).history("NSE", "TITAN", "D", date(2025, 1, 1), TODAY)
    two = OfflineMarket(21, start=MID_SESSION).history("NSE", "TITAN", "D", date(2025, 1, 1), TODAY)
    other = OfflineMarket(22, start=MID_SESSION).history("NSE", "TITAN", "D", date(2025, 1, 1), TODAY)
    assert one == two
    assert one != other


def test_weekly_and_monthly_candles(market):
    weeks = market.history("NSE_INDEX", "NIFTY", "W", date(2025, 1, 1), TODAY)
    months = market.history("NSE_INDEX", "NIFTY", "M", date(2025, 1, 1), TODAY)
    assert all(datetime.fromtimestamp(bar.timestamp, UTC).weekday() == 0 for bar in weeks)
    assert [datetime.fromtimestamp(bar.timestamp, UTC).month for bar in months] == list(range(1, 12))
    assert months[-1].close == weeks[-1].close == market.quote("NSE_INDEX", "NIFTY").ltp


def test_ranges_are_clamped(market):
    future = market.history("NSE", "TCS", "D", TODAY - timedelta(days=3), TODAY + timedelta(days=30))
    assert ist(future[-1].timestamp).date() <= TODAY
    long_intraday = market.history("NSE", "TCS", "30m", date(2020, 1, 1), TODAY)
    assert ist(long_intraday[0].timestamp).date() >= TODAY - timedelta(days=366)
    assert market.history("NSE", "TCS", "D", TODAY + timedelta(days=1), TODAY + timedelta(days=2)) == []


def test_derivatives_have_volume_and_oi_only_while_listed(market):
    bars = market.history("NFO", "NIFTY30DEC25FUT", "D", date(2025, 1, 1), TODAY)
    assert ist(bars[0].timestamp).date() >= date(2025, 12, 30) - timedelta(days=100)
    assert all(bar.volume > 0 and bar.oi > 0 for bar in bars)


def test_interval_names():
    assert {"1m", "3m", "5m", "10m", "15m", "30m", "1h", "D"} <= set(INTERVALS)
    assert INTERVALS_BY_GROUP["days"] == ["D"]
    assert "60m" in INTERVALS_BY_GROUP["minutes"]


def test_unsupported_interval_is_refused(market):
    with pytest.raises(ValueError):
        market.history("NSE", "TCS", "7m", TODAY, TODAY)


def test_far_contracts_show_recent_sessions_even_on_a_closed_sunday():
    market = OfflineMarket(3, start=datetime(2025, 11, 23, 10, 0, tzinfo=IST), continuous=False)
    far = max(
        (row for row in market.master.all("MCX") if row.name == "GOLD" and row.is_option),
        key=lambda row: row.expiry,
    )
    bars = market.history("MCX", far.symbol, "5m", date(2025, 11, 17), date(2025, 11, 23))
    assert bars[-1].close == market.quote("MCX", far.symbol).ltp
    assert ist(bars[-1].timestamp).date() == date(2025, 11, 21)  # Friday's last session


def test_after_expiry_on_expiry_day_the_option_is_worth_its_intrinsic_value():
    market = OfflineMarket(4, start=datetime(2025, 11, 25, 15, 0, tzinfo=IST))
    market.advance(3600)  # 16:00, half an hour after NIFTY's 15:30 expiry; still listed today
    middle = market.master.strikes("NIFTY", "NFO", date(2025, 11, 25))[20]
    symbol = market.master.option("NIFTY", "NFO", date(2025, 11, 25), middle, InstrumentType.CALL).symbol
    quote = market.quote("NFO", symbol)
    spot = market.quote("NSE_INDEX", "NIFTY").ltp
    assert quote.ltp == pytest.approx(max(spot - middle, 0.05), abs=0.06)
    bars = market.history("NFO", symbol, "1m", date(2025, 11, 25), date(2025, 11, 25))
    assert bars[-1].close == quote.ltp
