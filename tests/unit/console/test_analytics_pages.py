"""The candle-charted analytics pages (IV chart, OI profile, straddle chart) and the data they load."""

from __future__ import annotations

from datetime import datetime

import pytest

from sandbox.market import IST
from tests.security.conftest import csrf_of, sign_up

PINNED = datetime(2026, 12, 2, 11, 0, tzinfo=IST)


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"market_start": PINNED})


@pytest.fixture
def signed_in(client):
    sign_up(client)
    client.post("/keys/create", data={"csrf_token": csrf_of(client.get("/keys").text)})
    return client


@pytest.mark.parametrize(
    ("tool", "charts"),
    [
        ("ivchart", ("chart", "greek-chart")),
        ("oiprofile", ("chart", "oi-chart", "change-chart")),
        ("straddle", ("chart",)),
    ],
)
def test_page_has_its_pickers_and_chart_containers(signed_in, tool, charts):
    page = signed_in.get(f"/analytics/{tool}")

    assert page.status_code == 200
    assert 'id="interval"' in page.text and 'id="days"' in page.text and 'id="expiry"' in page.text
    assert ('id="strike-count"' in page.text) == (tool == "oiprofile")
    for chart in charts:
        assert f'id="{chart}"' in page.text
    assert "/static/lightweight-charts.js" in page.text


@pytest.mark.parametrize(
    ("tool", "filled"),
    [("ivchart", "series"), ("oiprofile", "candles"), ("straddle", "series")],
)
def test_page_data_answers_like_the_api(signed_in, tool, filled):
    query = {"underlying": "NIFTY", "exchange": "NSE_INDEX", "interval": "15m", "days": "2", "strike_count": "3"}

    answer = signed_in.get(f"/console/analytics/{tool}", params=query)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["status"], body["interval"], body["days"]) == ("success", "15m", 2)
    assert body[filled]


def test_page_data_passes_bad_input_on_as_a_400(signed_in):
    answer = signed_in.get(
        "/console/analytics/straddle", params={"underlying": "NIFTY", "exchange": "NSE_INDEX", "days": "9"}
    )

    assert answer.status_code == 400 and answer.json()["status"] == "error"
