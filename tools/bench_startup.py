"""Start-up and memory: time from `brokergate serve` to the first answered request, and the idle RSS.

Measured twice in a fresh folder: the first start (it writes `.env`, creates the database and runs
every migration) and a second start on what the first left. The RSS is that of the whole server,
REST and WebSocket feed together, summed over the process and any children, after it has idled.
The CPU seconds the server had used by its first answer are reported too: on a shared machine they
move far less than the wall-clock time does. So is the floor under both: the time a bare interpreter
takes to import the libraries any start needs (SQLAlchemy, connexion, numpy, ...), which is what the
machine's speed alone decides.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tools.bench_http import HOST, free_port

IDLE_SECONDS = 3.0


def _process_tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(children.get(current, []))
    return tree


def _rss_kib(pid: int) -> int:
    """Resident memory of `pid` and its descendants, in KiB, from /proc."""
    total = 0
    for current in _process_tree(pid):
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of `pid` and its descendants (those reaped included), from /proc."""
    ticks = 0
    for current in _process_tree(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _start(folder: str) -> dict:
    port, feed_port = free_port(), free_port()
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        "DATABASE_URL": f"sqlite:///{Path(folder) / 'brokergate.db'}",
        "HISTORY_DATABASE": str(Path(folder) / "history.duckdb"),
        "WEBSOCKET_PORT": str(feed_port),
        "ZMQ_ADDRESS": "tcp://127.0.0.1:*",
    }
    command = [str(Path(sys.executable).parent / "brokergate"), "serve", "--port", str(port)]
    began = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=folder, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"brokergate serve exited with {process.returncode}")
            if time.perf_counter() - began > 60:
                raise RuntimeError("brokergate serve did not answer within 60 s")
            try:
                if httpx.get(f"http://{HOST}:{port}/health", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.02)
        ready = time.perf_counter() - began
        cpu = _cpu_seconds(process.pid)
        time.sleep(IDLE_SECONDS)
        return {
            "seconds_to_first_answer": round(ready, 3),
            "cpu_seconds_to_first_answer": round(cpu, 2),
            "idle_rss_mb": round(_rss_kib(process.pid) / 1024, 1),
        }
    finally:
        process.terminate()
        process.wait(timeout=15)


# What any start must import, whatever brokergate does with it: the floor under the start-up time (with
# the cyclic collector off while importing, as `brokergate` runs it).
FLOOR_LIBRARIES = ("sqlalchemy", "sqlmodel", "connexion", "uvicorn", "numpy", "zmq", "websockets", "typer")
_FLOOR = (
    "import gc, resource, time; gc.disable(); import {modules}; used = resource.getrusage(resource.RUSAGE_SELF); "
    "print(time.time(), used.ru_utime + used.ru_stime)"
)


def library_floor() -> dict:
    """Seconds (wall and CPU, the interpreter's own start included) to import FLOOR_LIBRARIES; best of three each."""
    code = _FLOOR.format(modules=", ".join(FLOOR_LIBRARIES))
    runs = []
    for _ in range(3):
        began = time.time()  # the clock the child prints, once its imports are done (its exit is not counted)
        printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        imported, cpu = (float(value) for value in printed.split())
        runs.append((imported - began, cpu))
    wall, cpu = min(run[0] for run in runs), min(run[1] for run in runs)
    return {"libraries": list(FLOOR_LIBRARIES), "seconds": round(wall, 3), "cpu_seconds": round(cpu, 2)}


def run() -> dict:
    with tempfile.TemporaryDirectory() as folder:
        return {"first_start": _start(folder), "second_start": _start(folder), "library_floor": library_floor()}


if __name__ == "__main__":
    print(run())
