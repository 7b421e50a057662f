"""Exchange calendar facts: sessions, weekends, published holidays and OpenAlgo response shapes."""

from __future__ import annotations

from datetime import date, datetime

from sandbox.market import IST, ExchangeCalendar


def at(year, month, day, hour, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=IST)


def test_published_holidays_close_nse():
    calendar = ExchangeCalendar()
    for closed in (
        date(2025, 2, 26),
        date(2025, 3, 14),
        date(2025, 10, 21),
        date(2026, 1, 26),
        date(2026, 3, 3),
    ):
        assert not calendar.is_trading_day(closed), closed
    assert calendar.is_trading_day(date(2025, 11, 20))
    assert not calendar.is_trading_day(date(2025, 11, 22))  # a Saturday


def test_equity_session_bounds():
    calendar = ExchangeCalendar()
    assert not calendar.is_session("NSE", at(2025, 11, 20, 9, 14))
    assert calendar.is_session("NSE", at(2025, 11, 20, 9, 15))
    assert calendar.is_session("NFO", at(2025, 11, 20, 15, 29))
    assert not calendar.is_session("NSE", at(2025, 11, 20, 15, 30))
    assert calendar.is_session("CDS", at(2025, 11, 20, 16, 30))
    assert not calendar.is_session("CDS", at(2025, 11, 20, 17, 0))


def test_mcx_closes_later_while_new_york_keeps_summer_time():
    calendar = ExchangeCalendar()
    assert calendar.session("MCX", date(2025, 7, 10))[1].time().strftime("%H:%M") == "23:55"
    assert calendar.session("MCX", date(2025, 12, 10))[1].time().strftime("%H:%M") == "23:30"


def test_mcx_trades_the_evening_of_most_holidays_only():
    calendar = ExchangeCalendar()
    opens, _ = calendar.session("MCX", date(2025, 2, 26))
    assert opens.hour == 17
    assert calendar.session("MCX", date(2025, 12, 25)) is None
    assert not calendar.is_session("MCX", at(2025, 2, 26, 10))
    assert calendar.is_session("MCX", at(2025, 2, 26, 18))


def test_continuous_mode_is_always_open_but_keeps_the_facts():
    calendar = ExchangeCalendar(continuous=True)
    sunday_night = at(2025, 11, 23, 2)
    assert calendar.is_open("NSE", sunday_night)
    assert not calendar.is_session("NSE", sunday_night)
    assert not ExchangeCalendar().is_open("NSE", sunday_night)


def test_holidays_have_openalgo_shape():
    rows = ExchangeCalendar().holidays(2025)
    assert len(rows) == 14
    shivaratri = next(row for row in rows if row["date"] == "2025-02-26")
    assert shivaratri["description"] == "Mahashivratri"
    assert shivaratri["holiday_type"] == "TRADING_HOLIDAY"
    assert {"NSE", "BSE", "NFO", "BFO", "CDS"} <= set(shivaratri["closed_exchanges"])
    (mcx,) = [row for row in shivaratri["open_exchanges"] if row["exchange"] == "MCX"]
    assert mcx["start_time"] == int(at(2025, 2, 26, 17).timestamp() * 1000)
    christmas = next(row for row in rows if row["date"] == "2025-12-25")
    assert "MCX" in christmas["closed_exchanges"]
    assert christmas["open_exchanges"] == []
    assert [row["date"] for row in rows] == sorted(row["date"] for row in rows)


def test_2026_list_includes_the_maharashtra_election_day():
    dates = {row["date"] for row in ExchangeCalendar().holidays(2026)}
    assert {"2026-01-15", "2026-01-26", "2026-12-25"} <= dates


def test_timings_in_epoch_milliseconds():
    calendar = ExchangeCalendar()
    rows = {row["exchange"]: row for row in calendar.timings(date(2025, 11, 20))}
    assert rows["NSE"]["start_time"] == int(at(2025, 11, 20, 9, 15).timestamp() * 1000)
    assert rows["NSE"]["end_time"] == int(at(2025, 11, 20, 15, 30).timestamp() * 1000)
    assert rows["CDS"]["start_time"] == int(at(2025, 11, 20, 9).timestamp() * 1000)
    assert set(rows) >= {"NSE", "BSE", "NFO", "BFO", "MCX", "CDS"}
    assert calendar.timings(date(2025, 11, 22)) == []
    holiday = calendar.timings(date(2025, 2, 26))
    assert {row["exchange"] for row in holiday} == {"MCX", "NCO"}


def test_previous_trading_day_skips_weekends_and_holidays():
    calendar = ExchangeCalendar()
    assert calendar.previous_trading_day(date(2025, 11, 24)) == date(2025, 11, 21)
    assert calendar.previous_trading_day(date(2025, 3, 17)) == date(2025, 3, 13)  # Holi on the 14th
    assert calendar.on_or_before(date(2025, 3, 14)) == date(2025, 3, 13)
