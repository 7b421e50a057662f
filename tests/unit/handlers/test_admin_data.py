"""Admin data through the API: holidays, timings and freeze quantities, stored and used by the calendar,
the sandbox and order validation. The sandbox's clock is pinned to the day each test is about."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.app import create_app
from gateway.services import Services
from storage import MarketHoliday, session_scope

# 10:30 IST on Wednesday 10 March 2027, a normal trading day in the built-in lists.
PINNED = datetime(2027, 3, 10, 5, 0, tzinfo=UTC)
ORDER = {"strategy": "t", "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "quantity": 1, "product": "MIS"}


@pytest.fixture
def app(settings):
    settings = settings.model_copy(update={"sandbox_closed_on_holidays": True})
    return create_app(settings, validate_responses=True, services=Services.build(settings, clock=lambda: PINNED))


@pytest.fixture
def admin_key(app) -> str:
    app.services.accounts.create_user("boss", "correct horse battery", is_admin=True)
    return app.services.accounts.create_api_key("boss")


@pytest.fixture
def admin(client, admin_key):
    def post(path: str, expect: int = 200, **body):
        response = client.post(f"/api/v1/admin/{path}", json={"apikey": admin_key, **body})
        assert response.status_code == expect, response.text
        return response.json()

    return post


def test_a_holiday_added_through_the_api_makes_the_sandbox_refuse_a_market_order_that_day(admin, trader):
    before = trader("placeorder", **ORDER, pricetype="MARKET")

    admin("holidays/add", date="2027-03-10", description="Foundation Day")
    refused = trader("placeorder", expect=422, **ORDER, pricetype="MARKET")
    resting = trader("placeorder", **ORDER, pricetype="LIMIT", price=900)

    assert before["status"] == "success"
    assert refused["code"] == "ORDER_REJECTED"
    assert refused["message"] == "NSE is closed on 2027-03-10 for Foundation Day (a trading holiday)"
    assert resting["status"] == "success"  # a limit order waits for the next session


def test_the_market_calendar_answers_from_the_stored_holidays(admin, client):
    admin("holidays/add", date="2027-03-10", description="Foundation Day", commodity_evening=True)

    listed = client.post("/api/v1/market/holidays", json={"year": 2027}).json()["data"]
    timings = client.post("/api/v1/market/timings", json={"date": "2027-03-10"}).json()["data"]

    assert [(row["date"], row["description"]) for row in listed] == [("2027-03-10", "Foundation Day")]
    assert [row["exchange"] for row in timings] == ["MCX", "NCO"]  # only the commodity evening trades


def test_the_database_is_seeded_once_from_the_built_in_lists(app, admin):
    seeded = admin("holidays", year=2026)["data"]
    admin("holidays/delete", date="2026-12-25")

    app.services.admin.start()  # a restart on the same database seeds nothing again

    assert (
        len(seeded) == 16 and {"date": "2026-12-25", "description": "Christmas", "commodity_evening": False} in seeded
    )
    with session_scope(app.services.engine) as session:
        assert session.get(MarketHoliday, datetime(2026, 12, 25).date()) is None
    assert {row["exchange"] for row in admin("timings")["data"]} >= {"NSE", "MCX", "CDS"}
    assert {"exchange": "NFO", "symbol": "NIFTY", "freeze_qty": 1800} in admin("freeze")["data"]


def test_changed_session_timings_reach_market_timings(admin, client):
    changed = admin("timings/set", exchange="nse", start_time="10:00", end_time="15:00")

    timings = client.post("/api/v1/market/timings", json={"date": "2027-03-10"}).json()["data"]

    nse = next(row for row in timings if row["exchange"] == "NSE")
    assert changed["data"] == {"exchange": "NSE", "start_time": "10:00", "end_time": "15:00", "dst_end_time": None}
    assert nse["start_time"] == int(datetime(2027, 3, 10, 4, 30, tzinfo=UTC).timestamp() * 1000)
    assert nse["end_time"] == int(datetime(2027, 3, 10, 9, 30, tzinfo=UTC).timestamp() * 1000)


def test_an_order_above_the_freeze_quantity_is_refused_and_points_to_splitorder(admin, trader):
    admin("freeze/set", exchange="NSE", symbol="SBIN", freeze_qty=100)

    refused = trader("placeorder", expect=400, **{**ORDER, "quantity": 101}, pricetype="MARKET")
    allowed = trader("placeorder", **{**ORDER, "quantity": 100}, pricetype="MARKET")

    assert refused["code"] == "VALIDATION_FAILED"
    assert "exceeds the freeze quantity 100 of SBIN on NSE" in refused["message"] and "splitorder" in refused["message"]
    assert allowed["status"] == "success"


def test_a_freeze_csv_is_saved_whole_or_refused_whole_with_the_bad_lines_named(admin):
    good = admin("freeze/upload", csv="exchange,symbol,freeze_qty\nNFO,FINNIFTY,1200\nNSE,SBIN,5000\n")
    bad = admin(
        "freeze/upload", expect=400, csv="exchange,symbol,freeze_qty\nNFO,MIDCPNIFTY,2800\nNFO,BAD,-3\nXYZ,A,1\n"
    )
    no_header = admin("freeze/upload", expect=400, csv="NFO,NIFTY,1800\n")

    listed = admin("freeze")["data"]
    assert good["count"] == 2 and {"exchange": "NSE", "symbol": "SBIN", "freeze_qty": 5000} in listed
    assert set(bad["errors"]) == {"line 3", "line 4"}
    assert not any(row["symbol"] == "MIDCPNIFTY" for row in listed)  # nothing of a bad file is saved
    assert "header exchange,symbol,freeze_qty" in no_header["message"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("holidays/add", {"date": "2027-03-13", "description": "A Saturday"}, "date"),
        ("holidays/add", {"date": "2027-02-30", "description": "No such day"}, "date"),
        ("holidays/add", {"date": "2051-03-13", "description": "Too late"}, "date"),
        ("timings/set", {"exchange": "NSE", "start_time": "15:00", "end_time": "09:00"}, "end_time"),
        ("timings/set", {"exchange": "NSE", "start_time": "9am", "end_time": "15:00"}, "start_time"),
        ("timings/set", {"exchange": "LSE", "start_time": "09:00", "end_time": "15:00"}, "exchange"),
        ("freeze/set", {"exchange": "NFO", "symbol": "NIFTY", "freeze_qty": 0}, "freeze_qty"),
    ],
)
def test_bad_admin_data_is_a_400_naming_the_field(admin, path, body, field):
    answer = admin(path, expect=400, **body)

    assert answer["code"] == "VALIDATION_FAILED" and field in answer["errors"]


def test_removing_what_is_not_there_is_a_404(admin):
    assert admin("holidays/delete", expect=404, date="2027-03-10")["code"] == "NOT_FOUND"
    assert admin("freeze/delete", expect=404, exchange="NSE", symbol="TCS")["code"] == "NOT_FOUND"


def test_a_trader_who_is_not_an_administrator_is_refused(client, api_key):
    answer = client.post(
        "/api/v1/admin/holidays/add", json={"apikey": api_key, "date": "2027-03-10", "description": "x"}
    )

    assert answer.status_code == 403 and answer.json()["code"] == "FORBIDDEN"
