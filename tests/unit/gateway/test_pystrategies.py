"""Python strategies under the supervisor: real processes, limits, logs, crashes, schedules and orphans."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import datetime

import pytest

from gateway.pystrategies import PythonStrategies
from gateway.pystrategies.process import process_start
from gateway.pystrategies.scripts import check_source
from gateway.services import Services
from generated.errors import NotFound, PayloadTooLarge, RateLimited, ValidationFailed
from sandbox.market import IST

SLEEPER = "import time\nprint('ready', flush=True)\nwhile True:\n    time.sleep(0.1)\n"
PINNED = [datetime(2026, 12, 7, 9, 20, tzinfo=IST)]  # a Monday and a trading day; tests move it


@pytest.fixture
def strategies_settings(settings, tmp_path):
    return settings.model_copy(
        update={
            "python_strategies_dir": str(tmp_path / "strategies"),
            "python_strategy_stop_seconds": 2.0,
            "python_strategy_memory_mb": 256,
            "python_strategy_rate_limit": "1000 per minute",
        }
    )


def build(settings) -> tuple[Services, PythonStrategies, int]:
    services = Services.build(settings)
    strategies = PythonStrategies(
        services.engine, services.accounts, settings, services.market.calendar, services.scheduler,
        clock=lambda: PINNED[0],
    )  # fmt: skip
    user = services.accounts.create_user("meera", "a long password")
    return services, strategies, user.id


@pytest.fixture
async def running(strategies_settings):
    services, strategies, user_id = build(strategies_settings)
    await strategies.start()
    try:
        yield services, strategies, user_id
    finally:
        await strategies.stop()


async def until(condition, timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:
        stat = handle.read()
    return stat.rpartition(")")[2].split()[0] != "Z"


async def test_a_started_script_runs_with_its_environment_and_stops_with_its_process_group(running):
    _, strategies, user_id = running
    script = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "print('child', child.pid, flush=True)\n"
        "print('host', os.environ['OPENALGO_HOST'], 'ws', os.environ['OPENALGO_WS_URL'], flush=True)\n"
        "print('key', os.environ['OPENALGO_API_KEY'], flush=True)\n"
        "print('secret' if 'APP_KEY' in os.environ or 'API_KEY_PEPPER' in os.environ else 'clean', flush=True)\n"
        "while True:\n    time.sleep(0.1)\n"
    )
    added = await strategies.add(user_id, "Env check", script)

    started = await strategies.start_strategy(user_id, "Env check")
    await until(lambda: any(line.endswith("clean") for line in strategies.logs(user_id, added["id"])))
    lines = strategies.logs(user_id, added["id"])
    child = int(next(line for line in lines if " child " in line).split()[-1])
    was_alive = alive(started["pid"]) and alive(child)
    stopped = await strategies.stop_strategy(user_id, added["id"])

    assert started["status"] == "running" and was_alive
    assert any(" host http://127.0.0.1:" in line and " ws ws://127.0.0.1:" in line for line in lines)
    assert any(line.endswith(" key ***") for line in lines)  # its own key, kept out of the log
    assert stopped["status"] == "stopped" and stopped["pid"] is None
    assert not alive(started["pid"]) and not alive(child)  # the whole group is gone


async def test_a_crashing_script_is_marked_failed_with_its_last_lines_and_not_restarted(running):
    _, strategies, user_id = running
    added = await strategies.add(user_id, "crash", "print('about to fail', flush=True)\n1 / 0\n")

    await strategies.start_strategy(user_id, "crash")
    await until(lambda: strategies.get(user_id, "crash")["status"] == "failed")
    failed = strategies.get(user_id, "crash")
    await asyncio.sleep(2.5)  # two supervision passes later
    later = strategies.get(user_id, "crash")

    assert failed["exit_code"] == 1 and failed["desired_state"] == "stopped"
    assert failed["message"].startswith("exited with code 1")
    assert "ZeroDivisionError" in failed["message"] and "about to fail" in failed["message"]
    assert later["status"] == "failed" and later["started_at"] == failed["started_at"]  # not started again
    assert any("exited with code 1" in line for line in strategies.logs(user_id, added["id"]))


async def test_a_script_over_its_memory_limit_dies_and_is_marked_failed(running):
    _, strategies, user_id = running
    await strategies.add(user_id, "hog", "print('allocating', flush=True)\nblob = bytearray(600 * 1024 * 1024)\n")

    await strategies.start_strategy(user_id, "hog")
    await until(lambda: strategies.get(user_id, "hog")["status"] == "failed")

    failed = strategies.get(user_id, "hog")
    assert failed["exit_code"] != 0 and "MemoryError" in failed["message"]


@pytest.mark.parametrize(
    ("limit", "script", "expected"),
    [
        ({"python_strategy_cpu_seconds": 1}, "while True:\n    pass\n", "killed by SIGXCPU"),
        (
            {"python_strategy_file_size_mb": 1},
            "with open('big.bin', 'wb') as f:\n    f.write(b'x' * 2 * 1024 * 1024)\n",
            "File too large",
        ),
    ],
    ids=["cpu", "file size"],
)
async def test_cpu_and_file_size_limits_end_a_script_as_failed(strategies_settings, limit, script, expected):
    _, strategies, user_id = build(strategies_settings.model_copy(update=limit))
    await strategies.start()
    try:
        await strategies.add(user_id, "greedy", script)
        await strategies.start_strategy(user_id, "greedy")
        await until(lambda: strategies.get(user_id, "greedy")["status"] == "failed", timeout=30)
    finally:
        await strategies.stop()

    assert expected in strategies.get(user_id, "greedy")["message"]


async def test_a_script_that_finishes_by_itself_is_finished_not_failed(running):
    _, strategies, user_id = running
    await strategies.add(user_id, "once", "print('done')\n")

    await strategies.start_strategy(user_id, "once")
    await until(lambda: strategies.get(user_id, "once")["status"] == "finished")

    assert strategies.get(user_id, "once")["exit_code"] == 0


async def test_logs_rotate_at_the_configured_size(strategies_settings):
    settings = strategies_settings.model_copy(
        update={"python_strategy_log_max_mb": 0.002, "python_strategy_log_files": 2}
    )
    _services, strategies, user_id = build(settings)
    await strategies.start()
    try:
        added = await strategies.add(user_id, "chatty", "for n in range(400):\n    print('line', n, 'x' * 40)\n")
        await strategies.start_strategy(user_id, "chatty")
        await until(lambda: strategies.get(user_id, "chatty")["status"] == "finished")
    finally:
        await strategies.stop()

    logs = sorted(path.name for path in (strategies.folder.root / "logs").iterdir())
    sizes = [(strategies.folder.root / "logs" / name).stat().st_size for name in logs]
    tail = strategies.logs(user_id, added["id"], 5)
    assert logs == [f"{added['id']}.log", f"{added['id']}.log.1", f"{added['id']}.log.2"]  # two kept, older dropped
    assert max(sizes) <= 2 * 1024 * 1.05 + 200
    assert tail[-2].endswith("line 399 " + "x" * 40) and "exited with code 0" in tail[-1]


async def test_uploads_are_checked_and_errors_are_typed(strategies_settings):
    settings = strategies_settings.model_copy(update={"python_strategy_max_script_kb": 1})
    _, strategies, user_id = build(settings)
    await strategies.add(user_id, "good", "print(1)\n")

    cases = {
        "bad name": (ValidationFailed, lambda: strategies.add(user_id, "../etc/passwd", "print(1)\n")),
        "empty name": (ValidationFailed, lambda: strategies.add(user_id, "", "print(1)\n")),
        "syntax": (ValidationFailed, lambda: strategies.add(user_id, "broken", "def f(:\n")),
        "not utf-8": (ValidationFailed, lambda: strategies.add(user_id, "latin", b"print('\xe9')\n")),
        "nul": (ValidationFailed, lambda: strategies.add(user_id, "nul", "print(1)\x00\n")),
        "empty": (ValidationFailed, lambda: strategies.add(user_id, "blank", "  \n")),
        "too big": (PayloadTooLarge, lambda: strategies.add(user_id, "big", "x = 1\n" * 200)),
        "taken": (ValidationFailed, lambda: strategies.add(user_id, "good", "print(2)\n")),
        "unknown": (NotFound, lambda: strategies.start_strategy(user_id, "nothing")),
        "bad days": (ValidationFailed, lambda: strategies.schedule(user_id, "good", "funday", "09:15", "15:00")),
        "bad time": (ValidationFailed, lambda: strategies.schedule(user_id, "good", "mon", "9am", "15:00")),
        "stop first": (ValidationFailed, lambda: strategies.schedule(user_id, "good", "mon", "15:00", "09:15")),
    }
    for case, (error, call) in cases.items():
        with pytest.raises(error):
            await call()
            pytest.fail(f"{case} was accepted")

    syntax = None
    try:
        await strategies.add(user_id, "broken", "x = 1\ndef f(:\n")
    except ValidationFailed as e:
        syntax = e.message
    assert "line 2" in syntax
    with pytest.raises(ValidationFailed, match="cannot be compiled"):  # too deep for the compiler: a 400, not a 500
        check_source("1" + "+1" * 100_000, max_bytes=1_000_000)
    assert [row["name"] for row in strategies.list(user_id)] == ["good"]


async def test_changes_are_rate_limited_per_user(strategies_settings):
    settings = strategies_settings.model_copy(update={"python_strategy_rate_limit": "2 per minute"})
    _, strategies, user_id = build(settings)
    await strategies.add(user_id, "one", "print(1)\n")
    await strategies.add(user_id, "two", "print(2)\n")

    with pytest.raises(RateLimited):
        await strategies.add(user_id, "three", "print(3)\n")


async def test_remove_revokes_the_strategys_key_and_deletes_its_files(running):
    services, strategies, user_id = running
    added = await strategies.add(user_id, "gone", SLEEPER)
    key_id = strategies.store.find(added["id"]).api_key_id
    api_key = services.accounts.api_key_by_id(key_id)
    await strategies.start_strategy(user_id, "gone")
    pid = strategies.get(user_id, "gone")["pid"]

    await strategies.remove(user_id, "gone")

    assert services.accounts.api_key_by_id(key_id) is None
    with pytest.raises(Exception, match="revoked"):
        services.accounts.authenticate(api_key)
    assert not alive(pid)
    assert not strategies.folder.script(added["id"]).exists() and strategies.list(user_id) == []


async def test_schedule_starts_and_stops_in_its_window_and_skips_a_holiday(running):
    services, strategies, user_id = running
    services.scheduler.start(paused=True)
    try:
        await strategies.add(user_id, "morning", SLEEPER)
        planned = await strategies.schedule(user_id, "morning", "mon,tue,wed,thu,fri", "09:20", "15:20")
        jobs = services.scheduler.job_ids()

        PINNED[0] = datetime(2026, 12, 7, 9, 20, tzinfo=IST)  # Monday, the start time
        await strategies.scheduled_start(planned["id"])
        await strategies.supervisor.settle()
        opened = strategies.get(user_id, "morning")
        PINNED[0] = datetime(2026, 12, 7, 12, 0, tzinfo=IST)
        await strategies.scheduled_stop(planned["id"])  # a stop job run inside the window does nothing
        still = strategies.get(user_id, "morning")
        PINNED[0] = datetime(2026, 12, 7, 15, 20, tzinfo=IST)
        await strategies.scheduled_stop(planned["id"])
        await strategies.supervisor.settle()
        closed = strategies.get(user_id, "morning")
        PINNED[0] = datetime(2026, 12, 7, 16, 0, tzinfo=IST)
        await strategies.scheduled_start(planned["id"])  # a start job run late, after the stop time
        late = strategies.get(user_id, "morning")
        PINNED[0] = datetime(2026, 12, 25, 9, 20, tzinfo=IST)  # Christmas, a Friday and a market holiday
        await strategies.scheduled_start(planned["id"])
        await strategies.supervisor.settle()
        holiday = strategies.get(user_id, "morning")
        cleared = await strategies.unschedule(user_id, "morning")
    finally:
        PINNED[0] = datetime(2026, 12, 7, 9, 20, tzinfo=IST)
        services.scheduler.stop()

    assert planned["schedule"]["days"] == ["mon", "tue", "wed", "thu", "fri"]
    assert f"pystrategy-{planned['id']}-start" in jobs and f"pystrategy-{planned['id']}-stop" in jobs
    assert opened["status"] == "running" and still["status"] == "running"
    assert closed["status"] == "stopped" and late["desired_state"] == "stopped"
    assert holiday["status"] == "stopped" and "2026-12-25" in holiday["message"] and "holiday" in holiday["message"]
    assert cleared["schedule"] is None


async def test_a_script_left_running_by_a_dead_server_is_ended_and_its_state_corrected(strategies_settings):
    _services, strategies, user_id = build(strategies_settings)
    added = await strategies.add(user_id, "orphan", SLEEPER)
    other = await strategies.add(user_id, "reused", SLEEPER)
    orphan = subprocess.Popen([sys.executable, "-c", SLEEPER], start_new_session=True, stdout=subprocess.DEVNULL)
    stranger = subprocess.Popen([sys.executable, "-c", SLEEPER], start_new_session=True, stdout=subprocess.DEVNULL)
    await until(lambda: process_start(orphan.pid) is not None and process_start(stranger.pid) is not None)
    strategies.store.update(added["id"], status="running", pid=orphan.pid, process_start=process_start(orphan.pid))
    # The pid of the second row now belongs to another program: its start time differs from the one recorded.
    strategies.store.update(other["id"], status="running", pid=stranger.pid, process_start="0000:1")

    await strategies.start()
    try:
        orphan.wait(timeout=10)
        corrected = strategies.get(user_id, "orphan")
        spared = stranger.poll() is None
    finally:
        await strategies.stop()
        stranger.send_signal(signal.SIGKILL)
        stranger.wait()

    assert orphan.returncode is not None and spared
    assert corrected["status"] == "stopped" and corrected["pid"] is None
    assert "ended the process it left behind" in corrected["message"]
    assert strategies.get(user_id, "reused")["message"].endswith("its process was already gone")
