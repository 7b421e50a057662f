"""A Python strategy written for the `openalgo` SDK runs under `brokergate serve` and trades.

The script is what a user uploads: it imports `openalgo.api`, reads its key and host from the
environment brokergate gives it, asks for a quote and places an order, and the order is in the
user's order book. The SDK itself needs Python 3.12, so an `openalgo` package built from the SDK's
wire mirror (tests/compat/openalgo_shim) is on the scripts' PYTHONPATH instead.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import eventually
from tests.e2e.conftest import _environment, cli, start_server

ROOT = Path(__file__).resolve().parents[2]
SHIM = ROOT / "tests" / "compat" / "openalgo_shim"

STRATEGY = """\
import os
import subprocess
import sys
import time

from openalgo import api

client = api(api_key=os.environ["OPENALGO_API_KEY"], host=os.environ["OPENALGO_HOST"])
quote = client.quotes(symbol="SBIN", exchange="NSE")
print("SBIN ltp", quote["data"]["ltp"])
order = client.placeorder(
    strategy="pystrat", symbol="SBIN", action="BUY", exchange="NSE", price_type="MARKET", product="MIS", quantity=1
)
print("order", order["status"], order.get("orderid"))
helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
print("helper", helper.pid)
while True:
    time.sleep(0.2)
"""


@pytest.fixture
def gateway(tmp_path, database_backend, request):
    """`brokergate serve` with the SDK stand-in on the scripts' path; `restart(hard)` stops (or kills) and starts it."""
    port, environment = _environment(database_backend, request)
    environment |= {
        "PYTHON_STRATEGY_PYTHONPATH": os.pathsep.join([str(SHIM), str(ROOT)]),
        "MARKET_START": "2026-12-07T10:00:00",  # a Monday session, whatever the hour of the test
        "SANDBOX_CLOSED_ON_HOLIDAYS": "false",
        "PYTHON_STRATEGY_STOP_SECONDS": "3",
    }
    processes = [start_server(tmp_path, environment, port)]

    def restart(hard: bool = False) -> None:
        stop(processes[-1], hard)
        processes.append(start_server(tmp_path, environment, port))

    try:
        yield tmp_path, port, environment, restart, lambda: stop(processes[-1], False)
    finally:
        stop(processes[-1], False)


def stop(process: subprocess.Popen, hard: bool) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
        process.wait(timeout=30)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def logged(folder, _environment, prefix: str) -> list[str]:
    """Lines of the strategy's log (after the IST date and time) that start with `prefix`."""
    path = folder / "db" / "strategies" / "logs" / "1.log"
    lines = path.read_text().splitlines() if path.exists() else []
    return [
        line.split(" ", 2)[2] for line in lines if line.split(" ", 2)[2:] and line.split(" ", 2)[2].startswith(prefix)
    ]


def test_an_sdk_script_trades_under_the_supervisor_and_stops_with_brokergate(gateway):
    folder, port, environment, _restart, stop_server = gateway
    cli(folder, environment, "user", "create", "--username", "ravi", "--password", "a long password")
    api_key = cli(folder, environment, "apikey", "create", "--username", "ravi").strip().splitlines()[-1]
    (folder / "sdk_demo.py").write_text(STRATEGY)

    added = cli(folder, environment, "strategy", "add", "sdk_demo.py", "--name", "sdk-demo", "--user", "ravi")
    started = cli(folder, environment, "strategy", "start", "sdk-demo", "--user", "ravi")
    eventually(lambda: logged(folder, environment, "helper "), timeout=30)
    orderid = logged(folder, environment, "order ")[0].split()[-1]
    ltp = float(logged(folder, environment, "SBIN ltp ")[0].split()[-1])
    pid = int(logged(folder, environment, "[brokergate] started (pid ")[0].split()[3].rstrip(","))
    helper = int(logged(folder, environment, "helper ")[0].split()[-1])
    book = httpx.post(f"http://127.0.0.1:{port}/api/v1/orderbook", json={"apikey": api_key}, timeout=10).json()
    shown = cli(folder, environment, "strategy", "logs", "sdk-demo", "--user", "ravi", "-n", "200")
    running = alive(pid) and alive(helper)
    stop_server()

    assert added.startswith("added 1\tsdk-demo\tstopped") and "running" in started
    assert ltp > 0 and logged(folder, environment, "order success ")
    assert f"order success {orderid}" in shown and api_key not in shown
    placed = [order for order in book["data"]["orders"] if order["orderid"] == orderid]
    assert placed and placed[0]["strategy"] == "pystrat" and placed[0]["symbol"] == "SBIN"
    assert running and not alive(pid) and not alive(helper)  # brokergate's stop ended the script's whole group
    assert logged(folder, environment, "[brokergate] stopped with brokergate")


def test_after_a_crash_of_brokergate_the_script_left_behind_is_ended_and_the_strategy_resumes(gateway):
    folder, _port, environment, restart, _stop = gateway
    cli(folder, environment, "user", "create", "--username", "ravi", "--password", "a long password")
    (folder / "sdk_demo.py").write_text(STRATEGY)
    cli(folder, environment, "strategy", "add", "sdk_demo.py", "--name", "sdk-demo", "--user", "ravi")
    cli(folder, environment, "strategy", "start", "sdk-demo", "--user", "ravi")
    eventually(lambda: logged(folder, environment, "helper "), timeout=30)
    helper = int(logged(folder, environment, "helper ")[0].split()[-1])

    restart(hard=True)  # kill -9: no shutdown runs, the script's helper outlives the server

    eventually(lambda: len(logged(folder, environment, "helper ")) == 2, timeout=30)
    listed = cli(folder, environment, "strategy", "list", "--user", "ravi")
    notes = logged(folder, environment, "[brokergate] brokergate stopped while this ran")
    assert not alive(helper)  # the old group is gone, none of it orphaned
    assert notes and "running" in listed  # the state was corrected, and the wanted state resumed it
