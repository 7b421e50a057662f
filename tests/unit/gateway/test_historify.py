"""Historify: downloads from the offline market, incremental re-runs, jobs, resampling, import and export."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from brokers.sandbox import SandboxPlugin
from gateway.accounts import Principal
from gateway.historify import REFRESH_TASK
from generated.api import HistoryRequest
from generated.errors import HistoryNotStored, ValidationFailed
from storage.history import HistoryStore, ImportRejected, ist_midnight
from tests.unit.gateway.historify_fixtures import FailingPlugin, build_historify, pinned_market

USER = Principal(1, "trader")
ROOT = Path(__file__).resolve().parents[3]


def _bar(ts: int, o: float, h: float, lo: float, c: float, v: int = 10, oi: int = 0) -> tuple:
    return (ts, o, h, lo, c, v, oi)


async def test_download_from_the_offline_market_then_a_rerun_adds_no_duplicate(tmp_path):
    market = pinned_market()
    historify, _ = build_historify(tmp_path, market=market)
    served = len(market.history("NSE", "SBIN", "1m", date(2026, 11, 23), date(2026, 11, 27)))

    first = await historify.download(USER, [("SBIN", "NSE")], "1m", date(2026, 11, 23), date(2026, 11, 27), run=False)
    done = await historify.run(first["job_id"])
    stored = historify.store.catalogue("SBIN", "NSE")
    again = await historify.download(USER, [("SBIN", "NSE")], "1m", date(2026, 11, 23), date(2026, 11, 27), run=False)
    await historify.run(again["job_id"])

    assert served > 3 * 375  # sessions of 09:15-15:30, a holiday, and the live bar of the evening
    assert done["status"] == "done" and done["rows"] == served
    assert stored[0].count == served
    assert again["items"] == 1  # only the last stored day is fetched again
    assert historify.store.catalogue("SBIN", "NSE")[0].count == served


async def test_history_from_the_store_matches_the_broker_path(tmp_path):
    market = pinned_market()
    historify, _ = build_historify(tmp_path, market=market)
    job = await historify.download(USER, [("SBIN", "NSE")], "1m", date(2026, 11, 26), date(2026, 11, 26), run=False)
    await historify.run(job["job_id"])
    request = HistoryRequest(
        symbol="SBIN", exchange="NSE", interval="5m", start_date="2026-11-26", end_date="2026-11-26"
    )

    from_store = await historify.history(request)
    from_broker = await SandboxPlugin(None, market).history(None, request)

    assert [c["timestamp"] for c in from_store] == [c.timestamp for c in from_broker]
    assert from_store[0]["timestamp"] == ist_midnight(date(2026, 11, 26)) + 9 * 3600 + 15 * 60
    assert from_store == [c.model_dump() for c in from_broker]


async def test_an_empty_range_says_what_to_download(tmp_path):
    historify, _ = build_historify(tmp_path)
    request = HistoryRequest(
        symbol="SBIN", exchange="NSE", interval="15m", start_date="2026-11-02", end_date="2026-11-03"
    )

    with pytest.raises(HistoryNotStored) as raised:
        await historify.history(request)

    assert "brokergate history download SBIN --exchange NSE --interval 1m" in raised.value.message


def test_resampling_aligns_to_0915_on_nse_and_0900_on_mcx(tmp_path):
    store = HistoryStore(tmp_path / "h.duckdb")
    day = date(2026, 11, 20)
    nse_open, mcx_open = ist_midnight(day) + 9 * 3600 + 15 * 60, ist_midnight(day) + 9 * 3600
    minutes = [(10, 12, 9, 11, 100), (11, 15, 10, 14, 200), (14, 14, 8, 9, 50), (9, 10, 9, 10, 5), (10, 20, 10, 18, 1)]
    store.upsert("SBIN", "NSE", "1m", [_bar(nse_open + 60 * i, *m[:4], m[4]) for i, m in enumerate(minutes)])
    store.upsert("CRUDEOIL", "MCX", "1m", [_bar(mcx_open + 60 * (13 + i), *m[:4], m[4]) for i, m in enumerate(minutes)])

    nse = store.read("SBIN", "NSE", "3m", day, day)
    mcx = store.read("CRUDEOIL", "MCX", "15m", day, day)

    # NSE: 09:15-09:17 holds the first three minutes, 09:18 the last two.
    assert nse == [(nse_open, 10, 15, 8, 9, 350, 0), (nse_open + 180, 9, 20, 9, 18, 6, 0)]
    # MCX: minutes 09:13..09:17 straddle the 09:15 bucket boundary counted from 09:00.
    assert mcx == [(mcx_open, 10, 15, 9, 14, 300, 0), (mcx_open + 900, 14, 20, 8, 18, 56, 0)]


def test_weeks_and_months_fold_from_daily_bars(tmp_path):
    store = HistoryStore(tmp_path / "h.duckdb")
    days = [date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 30), date(2026, 12, 1)]  # Thu Fri Mon Tue
    epoch = date(1970, 1, 1)
    store.upsert(
        "SBIN", "NSE", "D", [_bar((d - epoch).days * 86400, 10 + i, 20 + i, 5, 11 + i) for i, d in enumerate(days)]
    )

    weeks = store.read("SBIN", "NSE", "W", days[0], days[-1])
    months = store.read("SBIN", "NSE", "M", days[0], days[-1])

    monday = (date(2026, 11, 23) - epoch).days * 86400
    assert [w[:5] for w in weeks] == [(monday, 10, 21, 5, 12), (monday + 7 * 86400, 12, 23, 5, 14)]
    assert [m[0] for m in months] == [
        (date(2026, 11, 1) - epoch).days * 86400,
        (date(2026, 12, 1) - epoch).days * 86400,
    ]


def test_dates_are_ist_whatever_the_server_time_zone(tmp_path):
    script = textwrap.dedent(
        """
        import sys, time
        from datetime import date
        time.tzset()
        from storage.history import HistoryStore, ist_midnight
        store = HistoryStore(sys.argv[1])
        open_ = ist_midnight(date(2026, 11, 20)) + 9 * 3600 + 15 * 60
        store.upsert("SBIN", "NSE", "1m", [(open_ - 86400, 1, 1, 1, 1, 1, 0), (open_, 2, 2, 2, 2, 1, 0)])
        rows = store.read("SBIN", "NSE", "1h", date(2026, 11, 20), date(2026, 11, 20))
        info = store.catalogue()[0].as_dict()
        print(rows[0][0] - open_, len(rows), info["last_date"])
        """
    )
    environment = os.environ | {"TZ": "America/New_York", "PYTHONPATH": str(ROOT)}

    answer = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "h.duckdb")], env=environment, capture_output=True, text=True
    )

    assert answer.stdout.split() == ["0", "1", "2026-11-20"], answer.stderr


def test_csv_and_parquet_round_trip(tmp_path):
    store = HistoryStore(tmp_path / "h.duckdb")
    start = ist_midnight(date(2026, 11, 20)) + 9 * 3600 + 15 * 60
    bars = [_bar(start + 60 * i, 100 + i, 101 + i, 99 + i, 100.5 + i, 10 * i, 5) for i in range(30)]
    store.upsert("SBIN", "NSE", "1m", bars)
    day = date(2026, 11, 20)

    for suffix in ("csv", "parquet"):
        path = tmp_path / f"sbin.{suffix}"
        assert store.export(path, "SBIN", "NSE", "1m", day, day) == 30
        store.import_file(path, "COPY", "NSE", "1m")
        assert store.read("COPY", "NSE", "1m", day, day) == store.read("SBIN", "NSE", "1m", day, day)
        store.delete("COPY", "NSE")


def test_a_bad_csv_is_rejected_with_row_numbers_and_nothing_loaded(tmp_path):
    store = HistoryStore(tmp_path / "h.duckdb")
    path = tmp_path / "bad.csv"
    path.write_text(
        "timestamp,open,high,low,close,volume\n"
        "2026-11-20 09:15:00,100,101,99,100.5,10\n"
        "2026-11-20 09:16:00,100,99,98,100.5,10\n"
        "yesterday,100,101,99,100.5,10\n"
        "2026-11-20 09:18:00,abc,101,99,100.5,10\n"
        "2026-11-20 09:15:00,100,101,99,100.5,10\n"
    )

    with pytest.raises(ImportRejected) as raised:
        store.import_file(path, "SBIN", "NSE", "1m")

    problems = raised.value.problems
    assert [p.split(":")[0] for p in problems] == ["row 1", "row 2", "row 3", "row 4", "row 5"]
    assert "high is below" in problems[1] and "'yesterday'" in problems[2] and "numbers" in problems[3]
    assert store.catalogue() == []


def test_an_import_reads_naive_times_as_ist(tmp_path):
    store = HistoryStore(tmp_path / "h.duckdb")
    path = tmp_path / "good.csv"
    path.write_text("timestamp,open,high,low,close,volume,oi\n2026-11-20 09:15:00,100,101,99,100.5,10,7\n")

    store.import_file(path, "SBIN", "NSE", "1m")

    assert store.catalogue()[0].first == ist_midnight(date(2026, 11, 20)) + 9 * 3600 + 15 * 60


async def test_failed_items_are_reported_and_retried(tmp_path):
    inner = SandboxPlugin(None, pinned_market())
    plugin = FailingPlugin(inner, failing="INFY")
    historify, _ = build_historify(tmp_path, plugin)
    job = await historify.download(
        USER, [("SBIN", "NSE"), ("INFY", "NSE")], "D", date(2026, 11, 2), date(2026, 11, 27), run=False
    )

    failed = await historify.run(job["job_id"])
    plugin.failing = ""
    await historify.control(job["job_id"], "retry", USER)
    retried = await historify.wait(job["job_id"])

    assert (failed["status"], failed["done"], failed["failed"]) == ("failed", 1, 1)
    assert (retried["status"], retried["done"], retried["failed"]) == ("done", 2, 0)
    assert {row.symbol for row in historify.store.catalogue()} == {"SBIN", "INFY"}


async def test_a_paused_job_stops_between_items_and_resumes(tmp_path):
    historify, _ = build_historify(tmp_path)
    job = await historify.download(
        USER, [("SBIN", "NSE"), ("INFY", "NSE"), ("TCS", "NSE")], "D", date(2026, 11, 2), date(2026, 11, 27), run=False
    )

    def pause_after_first(progress):
        if progress["done"] == 1:
            historify.journal.set_status(job["job_id"], "paused")

    paused = await historify.run(job["job_id"], progress=pause_after_first)
    await historify.control(job["job_id"], "resume", USER)
    resumed = await historify.wait(job["job_id"])

    assert (paused["status"], paused["done"]) == ("paused", 1)
    assert (resumed["status"], resumed["done"]) == ("done", 3)


def test_a_download_rejects_an_interval_the_store_does_not_keep(tmp_path):
    historify, _ = build_historify(tmp_path)

    with pytest.raises(ValidationFailed):
        historify.plan([("SBIN", "NSE")], "5m", date(2026, 11, 2), date(2026, 11, 3))


async def test_a_scheduled_refresh_downloads_the_watchlist(tmp_path):
    historify, _ = build_historify(tmp_path)
    await historify.watch([("SBIN", "NSE")])

    schedule = historify.schedule_refresh(USER, "D", 16, 0)
    refreshed = await historify._scheduler.run(REFRESH_TASK, user_id=USER.user_id, username=USER.username, interval="D")

    assert [s["id"] for s in historify.schedules(USER)] == [schedule["id"]]
    assert refreshed["status"] == "done"
    assert historify.store.catalogue("SBIN", "NSE")[0].interval == "D"


def test_a_job_killed_mid_way_resumes_where_it_stopped(tmp_path):
    script = textwrap.dedent(
        """
        import asyncio, sys, time
        from pathlib import Path
        from datetime import date
        from gateway.accounts import Principal
        from tests.unit.gateway.historify_fixtures import build_historify

        historify, _ = build_historify(Path(sys.argv[1]))
        async def main():
            job = await historify.download(
                Principal(1, "trader"), [("SBIN", "NSE"), ("INFY", "NSE"), ("TCS", "NSE"), ("ITC", "NSE")],
                "1m", date(2026, 11, 2), date(2026, 11, 6), run=False)
            print("job", job["job_id"], flush=True)
            def report(progress):
                print("done", progress["done"], flush=True)
                time.sleep(30)  # hold still after the first item, to be killed here
            await historify.run(job["job_id"], progress=report)
        asyncio.run(main())
        """
    )
    symbols = ("SBIN", "INFY", "TCS", "ITC")
    environment = os.environ | {"PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], env=environment, stdout=subprocess.PIPE, text=True
    )
    try:
        job_id = child.stdout.readline().split()[1]
        assert child.stdout.readline().split() == ["done", "1"]
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)

    async def resume():
        historify, _ = build_historify(tmp_path)
        assert await historify.resume_interrupted() == [job_id]
        return await historify.wait(job_id), historify.store.catalogue()

    import asyncio

    finished, catalogue = asyncio.run(resume())

    assert (finished["status"], finished["done"], finished["items"]) == ("done", 4, 4)
    market = pinned_market()
    expected = [(s, len(market.history("NSE", s, "1m", date(2026, 11, 2), date(2026, 11, 6)))) for s in sorted(symbols)]
    assert [(row.symbol, row.count) for row in catalogue] == expected


def test_a_download_reaching_back_centuries_is_refused_before_any_job_is_planned(tmp_path):
    from datetime import date

    from gateway.historify import Historify
    from gateway.scheduler import Scheduler
    from generated.errors import ValidationFailed
    from storage import make_engine
    from storage.history import HistoryStore

    scheduler = Scheduler(make_engine(f"sqlite:///{tmp_path / 'jobs.db'}"))
    historify = Historify(HistoryStore(str(tmp_path / "h.duckdb")), router=None, scheduler=scheduler)
    with pytest.raises(ValidationFailed, match="spans at most"):
        historify.plan([("SBIN", "NSE")], "1m", date(11, 4, 26), date(2026, 1, 15))
