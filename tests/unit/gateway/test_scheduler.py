"""The shared scheduler: jobs stored in the gateway's database run their registered task, survive a
restart, and a job whose time passed while the server was down runs once at the next start."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from apscheduler.triggers.date import DateTrigger

from gateway.scheduler import Scheduler, crontab
from sandbox.market import IST
from storage import make_engine


def _engine(tmp_path):
    return make_engine(f"sqlite:///{tmp_path / 'jobs.db'}")


def test_a_due_job_runs_its_registered_task_with_its_arguments(tmp_path):
    seen: list[dict] = []

    async def main():
        scheduler = Scheduler(_engine(tmp_path))
        scheduler.task("note")(lambda **kwargs: seen.append(kwargs))
        scheduler.start()
        scheduler.once("note-1", "note", datetime.now(IST) + timedelta(milliseconds=50), strategy=7)
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.02)
        scheduler.stop()

    asyncio.run(main())

    assert seen == [{"strategy": 7}]


def test_jobs_survive_a_restart_and_a_missed_one_runs_once_at_start(tmp_path):
    engine = _engine(tmp_path)
    runs: list[str] = []

    async def first_life():
        scheduler = Scheduler(engine)
        scheduler.start()
        scheduler.daily("square-off-3", "square_off", 15, 15, strategy=3)
        scheduler.schedule("missed", "square_off", DateTrigger(datetime.now(IST) + timedelta(seconds=1)), strategy=4)
        scheduler.stop()

    async def second_life():
        scheduler = Scheduler(engine)
        scheduler.task("square_off")(lambda strategy: runs.append(f"strategy {strategy}"))
        await asyncio.sleep(1.1)  # the server is down when the job falls due
        scheduler.start()
        assert "square-off-3" in scheduler.job_ids()
        assert scheduler.next_run("square-off-3").timetz().replace(tzinfo=None).isoformat() == "15:15:00"
        for _ in range(100):
            if runs:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        scheduler.stop()

    asyncio.run(first_life())
    asyncio.run(second_life())

    assert runs == ["strategy 4"]


def test_cancel_removes_a_job_and_reports_an_unknown_one(tmp_path):
    async def main():
        scheduler = Scheduler(_engine(tmp_path))
        scheduler.start()
        scheduler.daily("report", "daily_report", 16, 0)
        assert scheduler.cancel("report") is True
        assert scheduler.cancel("report") is False
        assert scheduler.job_ids() == []
        scheduler.stop()

    asyncio.run(main())


def test_the_app_starts_and_stops_its_scheduler_with_its_lifespan(app):
    with app.test_client():
        assert app.services.scheduler.running
    assert not app.services.scheduler.running
    with app.test_client():  # a test client may start the same app again
        assert app.services.scheduler.running


def test_a_crontab_weekday_field_is_read_as_cron_reads_it():
    christmas_morning = datetime(2026, 12, 25, 11, 0, tzinfo=IST)  # a Friday, past 09:20
    weekdays = crontab("20 9 * * 1-5")
    fires, moment = [], christmas_morning
    for _ in range(5):
        moment = weekdays.get_next_fire_time(None, moment + timedelta(minutes=1))
        fires.append(moment.strftime("%a %d"))

    # APScheduler counts Monday as 0, so "1-5" handed over as written would fire Tuesday to Saturday.
    assert fires == ["Mon 28", "Tue 29", "Wed 30", "Thu 31", "Fri 01"]
    assert crontab("0 10 * * 0").get_next_fire_time(None, christmas_morning).strftime("%a") == "Sun"
    assert crontab("0 10 * * 7").get_next_fire_time(None, christmas_morning).strftime("%a") == "Sun"
    for wrong in ("20 9 * * 8", "20 9 * * 5-1", "20 9 * *"):
        with pytest.raises(ValueError):
            crontab(wrong)
