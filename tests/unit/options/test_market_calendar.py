"""POST /market/holidays and /market/timings: no API key needed, facts from the exchange calendar."""

from datetime import datetime

import pytest

from sandbox.market import IST


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=IST).timestamp() * 1000)


@pytest.fixture
def post(still_client):
    def send(path: str, expect: int = 200, **body):
        response = still_client.post(f"/api/v1/market/{path}", json=body)
        assert response.status_code == expect, response.text
        return response.json()

    return send


def test_holidays_need_no_api_key_and_list_the_year(post):
    body = post("holidays", year=2026)

    assert (body["year"], body["timezone"]) == (2026, "Asia/Kolkata")
    days = [row["date"] for row in body["data"]]
    assert days == sorted(days) and "2026-01-26" in days and "2026-12-25" in days
    assert {row["holiday_type"] for row in body["data"]} == {"TRADING_HOLIDAY"}


def test_holi_closes_equities_but_mcx_trades_its_evening(post):
    holi = next(row for row in post("holidays", year="2026")["data"] if row["date"] == "2026-03-03")

    assert {"NSE", "BSE", "NFO", "BFO", "CDS"} <= set(holi["closed_exchanges"])
    mcx = next(row for row in holi["open_exchanges"] if row["exchange"] == "MCX")
    assert (mcx["start_time"], mcx["end_time"]) == (_ms("2026-03-03T17:00"), _ms("2026-03-03T23:30"))


def test_republic_day_closes_every_exchange(post):
    day = next(row for row in post("holidays", year=2026)["data"] if row["date"] == "2026-01-26")

    assert "MCX" in day["closed_exchanges"] and day["open_exchanges"] == []


def test_holidays_default_to_the_current_year_and_ignore_any_apikey(post, market):
    body = post("holidays", apikey="not-a-real-key")

    assert body["year"] == market.now().year


@pytest.mark.parametrize("year", [2019, 2051, "soon"])
def test_holidays_out_of_range_year_is_400(post, year):
    assert list(post("holidays", 400, year=year)["errors"]) == ["year"]


def test_timings_on_a_weekday_give_every_session_in_ist(post):
    sessions = {row["exchange"]: row for row in post("timings", date="2026-12-01")["data"]}

    assert list(sessions) == ["NSE", "BSE", "NFO", "BFO", "MCX", "BCD", "CDS", "NCO"]
    assert (sessions["NSE"]["start_time"], sessions["NSE"]["end_time"]) == (
        _ms("2026-12-01T09:15"),
        _ms("2026-12-01T15:30"),
    )
    assert sessions["CDS"]["start_time"] == _ms("2026-12-01T09:00")
    assert sessions["MCX"]["end_time"] == _ms("2026-12-01T23:30")


def test_mcx_closes_later_while_new_york_keeps_summer_time(post):
    sessions = {row["exchange"]: row for row in post("timings", date="2026-06-02")["data"]}

    assert sessions["MCX"]["end_time"] == _ms("2026-06-02T23:55")


@pytest.mark.parametrize("day", ["2026-11-28", "2026-12-25"])
def test_timings_on_a_weekend_or_full_holiday_are_empty(post, day):
    assert post("timings", date=day)["data"] == []


def test_timings_on_a_partial_holiday_list_only_the_open_exchanges(post):
    assert [row["exchange"] for row in post("timings", date="2026-03-03")["data"]] == ["MCX", "NCO"]


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("01-12-2026", "Invalid date format. Use YYYY-MM-DD"),
        ("2026-02-30", "Invalid date format. Use YYYY-MM-DD"),
        ("20261201", "Invalid date format. Use YYYY-MM-DD"),
        ("2019-12-31", "Date must be between 2020-01-01 and 2050-12-31"),
    ],
)
def test_timings_with_a_bad_date_is_400(post, day, message):
    body = post("timings", 400, date=day)

    assert body["code"] == "VALIDATION_FAILED"
    assert body["errors"] == {"date": [message]}


def test_timings_need_a_date(post):
    assert post("timings", 400)["errors"] == {"date": ["Missing data for required field."]}
