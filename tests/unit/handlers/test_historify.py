"""The historify routes and `history` with `source: db`, through the API as a client calls it."""

from __future__ import annotations

import pytest

from brokers.sandbox import SandboxPlugin
from gateway.app import create_app
from gateway.historify import Historify
from storage.history import HistoryStore
from tests.compat import shapes
from tests.conftest import eventually
from tests.unit.gateway.historify_fixtures import NOW, FixedRouter, pinned_market

SBIN = {"symbol": "SBIN", "exchange": "NSE"}


@pytest.fixture
def app(settings):
    app = create_app(settings, validate_responses=True)
    services = app.services
    router = FixedRouter(SandboxPlugin(None, pinned_market()))
    services.historify = Historify(
        HistoryStore(settings.history_database), router, services.scheduler, clock=lambda: NOW
    )
    return app


def _download(trader, **fields) -> dict:
    job = trader("historify/download", symbols=[SBIN], **fields)["data"]

    def finished() -> bool:
        job.update(trader("historify/job", job_id=job["job_id"])["data"])
        return job["status"] in ("done", "failed")

    eventually(finished, timeout=20)
    return job


def test_download_then_history_from_the_store_in_the_openalgo_shape(trader):
    job = _download(trader, interval="1m", start_date="2026-11-25", end_date="2026-11-26")
    answer = trader("history", source="db", interval="15m", start_date="2026-11-26", end_date="2026-11-26", **SBIN)
    catalogue = trader("historify/catalogue")["data"]

    assert job["status"] == "done" and job["rows"] == 2 * 375
    assert shapes.mismatches(answer, shapes.HISTORY) == []
    assert len(answer["data"]) == 25  # 09:15 to 15:30 in quarter hours
    assert [
        (row["symbol"], row["interval"], row["first_date"], row["last_date"], row["count"]) for row in catalogue
    ] == [("SBIN", "1m", "2026-11-25", "2026-11-26", 750)]


def test_history_from_an_empty_store_is_a_404_naming_the_download(trader):
    answer = trader(
        "history", expect=404, source="db", interval="D", start_date="2026-11-02", end_date="2026-11-06", **SBIN
    )

    assert answer["code"] == "HISTORY_NOT_STORED"
    assert "--interval D" in answer["message"]


def test_history_from_the_store_refuses_seconds_and_a_reversed_range(trader):
    seconds = trader(
        "history", expect=422, source="db", interval="5s", start_date="2026-11-02", end_date="2026-11-02", **SBIN
    )
    reversed_range = trader(
        "history", expect=400, source="db", interval="5m", start_date="2026-11-03", end_date="2026-11-02", **SBIN
    )

    assert seconds["code"] == "NOT_SUPPORTED" and reversed_range["code"] == "VALIDATION_FAILED"


def test_a_download_of_an_interval_the_store_does_not_keep_is_a_400(trader):
    answer = trader(
        "historify/download", expect=400, symbols=[SBIN], interval="5m", start_date="2026-11-02", end_date="2026-11-03"
    )

    assert answer["code"] == "VALIDATION_FAILED"


def test_delete_empties_the_catalogue_and_an_unknown_job_is_a_404(trader):
    _download(trader, interval="D", start_date="2026-11-02", end_date="2026-11-27")

    deleted = trader("historify/delete", **SBIN)["deleted"]
    catalogue = trader("historify/catalogue")["data"]
    unknown = trader("historify/job", expect=404, job_id="nope")

    assert deleted > 15 and catalogue == []
    assert unknown["code"] == "NOT_FOUND"


def test_the_watchlist_adds_and_removes(trader):
    added = trader("historify/watchlist", action="add", symbols=[SBIN, {"symbol": "INFY", "exchange": "NSE"}])["data"]
    removed = trader("historify/watchlist", action="remove", symbols=[SBIN])["data"]

    assert added == [{"symbol": "INFY", "exchange": "NSE"}, SBIN]
    assert removed == [{"symbol": "INFY", "exchange": "NSE"}]


def test_jobs_list_only_the_callers_own(trader, app):
    _download(trader, interval="D", start_date="2026-11-02", end_date="2026-11-27")
    app.services.accounts.create_user("other", "another horse battery")
    other_key = app.services.accounts.create_api_key("other")

    mine = trader("historify/jobs")["data"]

    assert len(mine) == 1
    assert trader("historify/jobs", apikey=other_key)["data"] == []


def test_a_download_of_days_already_stored_is_a_finished_job_of_no_items(trader):
    # Fuzzing found this: 1m from 2026-11-02 after a wider download had stored the month answered a 500,
    # because a job with nothing missing wrote an empty batch of items.
    wider = _download(trader, interval="1m", start_date="2026-11-02", end_date="2026-11-06")
    again = trader("historify/download", symbols=[SBIN], interval="1m", start_date="2026-11-02", end_date="2026-11-02")

    assert wider["status"] == "done" and wider["rows"] == 5 * 375
    assert again["data"]["status"] == "done"
    assert (again["data"]["items"], again["data"]["rows"]) == (0, 0)
