"""Ticker candles as JSON and text, per-symbol P&L in analyzer mode, and saved chart preferences."""

from datetime import date, datetime, time, timedelta

import pytest

from gateway.preferences import ChartPreferences
from generated.errors import ValidationFailed
from sandbox.market import IST
from storage import utcnow

DAY = date(2026, 1, 9)


@pytest.fixture
def ticker(client, api_key):
    def get(path: str, expect: int = 200, **query):
        response = client.get(f"/api/v1/ticker/{path}", params={"apikey": api_key, **query})
        assert response.status_code == expect, response.text
        return response

    return get


def test_ticker_answers_the_same_candles_as_history(ticker, trader):
    body = ticker("NSE:SBIN", **{"from": "2026-01-05", "to": "2026-01-09"}).json()
    history = trader(
        "history", symbol="SBIN", exchange="NSE", interval="D", start_date="2026-01-05", end_date="2026-01-09"
    )

    assert body["status"] == "success" and body["data"] == history["data"] and body["data"]


def test_ticker_text_has_one_line_per_candle_with_ist_times_intraday(ticker, trader):
    response = ticker("nse:sbin", interval="5m", format="txt", **{"from": "2026-01-05", "to": "2026-01-05"})
    candles = trader(
        "history", symbol="SBIN", exchange="NSE", interval="5m", start_date="2026-01-05", end_date="2026-01-05"
    )["data"]

    lines = response.text.splitlines()
    first = candles[0]
    assert response.headers["content-type"].startswith("text/plain")
    assert len(lines) == len(candles)
    assert lines[0] == (
        f"NSE:SBIN,2026-01-05,09:15:00,{first['open']},{first['high']},{first['low']},{first['close']},{first['volume']}"
    )


def test_ticker_text_for_daily_candles_has_no_time(ticker):
    lines = ticker("NSE:SBIN", format="txt", **{"from": "2026-01-05", "to": "2026-01-09"}).text.splitlines()

    assert lines[0].split(",")[:2] == ["NSE:SBIN", "2026-01-05"]
    assert all(len(line.split(",")) == 7 for line in lines)


def test_ticker_reaches_back_at_most_thirty_days_intraday(ticker):
    start = (DAY - timedelta(days=60)).isoformat()

    candles = ticker("NSE:SBIN", interval="1h", **{"from": start, "to": DAY.isoformat()}).json()["data"]

    earliest = datetime.combine(DAY - timedelta(days=30), time(), IST)
    assert candles and min(c["timestamp"] for c in candles) >= earliest.timestamp()


def test_ticker_without_an_exchange_names_the_missing_field(ticker):
    body = ticker("SBIN", 400, **{"from": "2026-01-05", "to": "2026-01-09"}).json()

    assert body["code"] == "VALIDATION_FAILED"
    assert body["errors"] == {"exchange": ["Missing data for required field."]}


def test_ticker_with_an_unknown_exchange_or_missing_dates_is_refused(ticker):
    unknown = ticker("XYZ:SBIN", 400, **{"from": "2026-01-05", "to": "2026-01-09"}).json()
    missing = ticker("NSE:SBIN", 400, **{"from": "2026-01-05"})

    assert list(unknown["errors"]) == ["exchange"]
    assert missing.json()["code"] == "VALIDATION_FAILED"


def test_pnl_symbols_reports_each_position_and_the_totals(trader):
    trader("placeorder", strategy="t", exchange="NSE", symbol="SBIN", action="BUY", quantity="3", product="MIS")

    body = trader("pnl/symbols")

    (row,) = body["data"]
    assert (row["symbol"], row["exchange"], row["product"], row["quantity"]) == ("SBIN", "NSE", "MIS", 3)
    assert body["mode"] == "analyze"
    assert body["total_pnl"] == pytest.approx(row["unrealized_pnl"] + row["today_realized_pnl"])


def test_pnl_symbols_is_not_offered_for_a_live_broker(app, trader, api_key):
    user = app.services.accounts.authenticate(api_key)
    app.services.sessions.store(user.user_id, "sandbox", "token", utcnow() + timedelta(hours=5))
    trader("analyzer/toggle", mode=False)

    body = trader("pnl/symbols", 422)

    assert body == {
        "status": "error",
        "message": "This endpoint is only available in sandbox/analyzer mode",
        "code": "NOT_SUPPORTED",
    }


def test_chart_preferences_are_saved_merged_and_read_back(client, api_key, trader):
    trader("chart", theme="dark", layout={"panes": 2})
    trader("chart", theme="light")

    body = client.get("/api/v1/chart", params={"apikey": api_key}).json()

    assert body == {"status": "success", "data": {"layout": '{"panes":2}', "theme": "light"}}


def test_chart_preferences_without_a_key_are_refused(client):
    response = client.get("/api/v1/chart")

    assert response.status_code == 401 and response.json()["code"] == "MISSING_API_KEY"


@pytest.mark.parametrize(
    ("preferences", "message"),
    [
        ({}, "No preferences provided to update"),
        ({f"k{n}": "v" for n in range(51)}, "Too many preference keys (max 50)"),
        ({"k" * 51: "v"}, "Preference key too long or empty: " + repr("k" * 50) + " (max 50 chars)"),
    ],
)
def test_chart_preferences_over_the_limits_are_refused(trader, preferences, message):
    body = trader("chart", 400, **preferences)

    assert body["message"] == message


def test_chart_preferences_keep_at_most_fifty_keys_per_user(trader):
    trader("chart", **{f"a{n}": "v" for n in range(30)})

    body = trader("chart", 400, **{f"b{n}": "v" for n in range(30)})

    assert body["message"] == "Too many preference keys (max 50; 30 already saved)"


def test_chart_preference_value_over_one_megabyte_is_refused(app, api_key):
    user = app.services.accounts.authenticate(api_key)

    with pytest.raises(ValidationFailed, match="Preference value too large for key: big"):
        ChartPreferences(app.services.engine).save(user, {"big": "x" * (1024 * 1024 + 1)})

    assert ChartPreferences(app.services.engine).read(user) == {}
