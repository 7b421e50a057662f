"""`brokergate serve --workers 2` keeps every guarantee of one process: one rate limit across workers,
one order per client_order_id, one leader (and another when it dies), and every order update on the
WebSocket feed whichever worker placed the order. Real processes, on SQLite and on PostgreSQL."""

import asyncio
import json
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import redis
import websockets
from sqlalchemy import create_engine, text

from tests.conftest import eventually
from tests.e2e.conftest import BIN, answers, cli, free_port

pytestmark = pytest.mark.databases

LEASE_SECONDS = 3


@pytest.fixture
def workers(tmp_path, database_backend, database_url, keyvalue_url):
    """Start `brokergate serve --workers 2` with extra environment; answers (folder, port, environment)."""
    started: list[subprocess.Popen] = []

    def start(**overrides: str) -> tuple:
        redis.Redis.from_url(keyvalue_url).flushall()  # a fresh count for every test
        port = free_port()
        environment = {key: value for key, value in os.environ.items() if key not in ("APP_KEY", "API_KEY_PEPPER")}
        environment |= {
            "DATABASE_URL": database_url,
            "RATE_LIMIT_STORAGE_URL": keyvalue_url,
            "LEADER_LEASE_SECONDS": str(LEASE_SECONDS),
            "WEBSOCKET_PORT": str(free_port()),
            "ZMQ_ADDRESS": f"tcp://127.0.0.1:{free_port()}",
            "ORDER_RATE_LIMIT": "1000 per second",
            "API_RATE_LIMIT": "1000 per second",
            # `connections` probes /health in concurrent rounds until both workers answered; under load
            # the kernel may hand several rounds to one worker within a second.
            "MONITORING_RATE_LIMIT": "1000 per second",
            **overrides,
        }
        log = open(tmp_path / "serve.log", "w")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            [BIN / "brokergate", "serve", "--workers", "2", "--port", str(port)],
            cwd=tmp_path,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the test stops the supervisor and its workers together
        )
        started.append(process)
        try:
            eventually(lambda: answers(f"http://127.0.0.1:{port}/api/v1/openapi.json"), timeout=90)
            eventually(lambda: _lease(database_url) is not None, timeout=30)
        except AssertionError:
            raise AssertionError((tmp_path / "serve.log").read_text()[-4000:]) from None
        return tmp_path, port, environment

    yield start
    for process in started:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _lease(database_url: str) -> tuple[str, int] | None:
    """(holder, term) of the background lease while it is unexpired."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT holder, term, expires_at FROM leader_lease WHERE name = 'background'")
            ).first()
    except Exception:
        return None  # not migrated yet
    finally:
        engine.dispose()
    if row is None:
        return None
    expires = row.expires_at if isinstance(row.expires_at, str) else row.expires_at.isoformat()
    from datetime import UTC, datetime

    moment = datetime.fromisoformat(expires)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (row.holder, row.term) if moment > datetime.now(UTC) else None


def _pid(holder: str) -> int:
    return int(holder.split(":")[1])


def _user(folder, environment) -> str:
    cli(folder, environment, "user", "create", "--username", "meera", "--password", "a long password")
    return cli(folder, environment, "apikey", "create", "--username", "meera").strip().splitlines()[-1]


def _fresh_post(port: int, path: str, body: dict) -> httpx.Response:
    """One request on a new connection."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        return client.post(path, json=body)


def _which_worker(client: httpx.Client) -> str:
    """'leader' or 'follower': the worker at the other end of this keep-alive connection."""
    response = client.get("/health")
    assert response.status_code == 200, response.text
    return "follower" if response.json()["checks"]["bus"].get("leader") == 0 else "leader"


def _open(port: int) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30, limits=httpx.Limits(max_connections=1))


@pytest.fixture
def connections():
    """`connect(port, each)`: keep-alive connections, at least `each` to the leader and to the follower.

    A kept-alive connection stays with the worker that accepted it, so a test can send a request to
    the worker of its choice. Connections are opened in concurrent rounds until both have enough; on a
    busy machine the follower may still be starting while the leader takes the first rounds."""
    opened: list[httpx.Client] = []

    def connect(port: int, each: int = 1) -> dict[str, list[httpx.Client]]:
        by_worker: dict[str, list[httpx.Client]] = {"leader": [], "follower": []}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if min(len(clients) for clients in by_worker.values()) >= each:
                return by_worker
            batch = [_open(port) for _ in range(8)]
            with ThreadPoolExecutor(8) as pool:
                for client, worker in zip(batch, pool.map(_which_worker, batch), strict=True):
                    if len(by_worker[worker]) < each:
                        by_worker[worker].append(client)
                        opened.append(client)
                    else:
                        client.close()  # that worker has enough; do not pile up idle connections
            time.sleep(0.1)
        raise AssertionError(f"connections never reached both workers: {[len(c) for c in by_worker.values()]}")

    yield connect
    for client in opened:
        client.close()


def test_requests_spread_over_both_workers_count_against_one_limit(workers, connections):
    folder, port, environment = workers(API_RATE_LIMIT="15 per minute")
    api_key = _user(folder, environment)
    by_worker = connections(port)
    alternate = [by_worker["leader"][0], by_worker["follower"][0]] * 12
    statuses = [client.post("/api/v1/ping", json={"apikey": api_key}).status_code for client in alternate]
    # One budget: the first 15 pings, half of them at each worker, then 429 at both (alone, each allows 15).
    assert statuses == [200] * 15 + [429] * 9, statuses


def test_a_burst_of_one_client_order_id_at_both_workers_places_one_order(workers, connections):
    folder, port, environment = workers()
    api_key = _user(folder, environment)
    by_worker = connections(port, each=4)
    order = {"apikey": api_key, "strategy": "burst", "symbol": "SBIN", "exchange": "NSE", "action": "BUY",
             "quantity": "1", "pricetype": "MARKET", "product": "MIS", "client_order_id": "once-only"}  # fmt: skip
    clients = by_worker["leader"][:4] + by_worker["follower"][:4]

    def burst(client: httpx.Client) -> list[httpx.Response]:
        return [client.post("/api/v1/placeorder", json=order) for _ in range(4)]

    with ThreadPoolExecutor(len(clients)) as pool:
        responses = [response for answered in pool.map(burst, clients) for response in answered]
    assert {response.status_code for response in responses} == {200}, [r.text for r in responses]
    assert len({response.json()["orderid"] for response in responses}) == 1
    for worker in ("leader", "follower"):  # both workers' books say the same: one order
        book = by_worker[worker][0].post("/api/v1/orderbook", json={"apikey": api_key}).json()["data"]["orders"]
        assert len(book) == 1


def test_one_leader_and_another_takes_over_when_it_is_killed(workers, connections, database_url):
    folder, port, environment = workers()
    holder, term = _lease(database_url)
    connections(port)  # one worker reports the feed as its own (leader), the other as the leader's (follower)
    ws_port = int(environment["WEBSOCKET_PORT"])
    assert _websocket_answers(ws_port)

    os.kill(_pid(holder), signal.SIGKILL)
    eventually(lambda: (lease := _lease(database_url)) is not None and lease[0] != holder, timeout=LEASE_SECONDS * 5)
    new_holder, new_term = _lease(database_url)
    assert new_term == term + 1 and _pid(new_holder) != _pid(holder)
    eventually(lambda: _websocket_answers(ws_port), timeout=20)  # the new leader serves the feed
    api_key = _user(folder, environment)
    body = {"apikey": api_key, "strategy": "after", "symbol": "SBIN", "exchange": "NSE", "action": "BUY",
            "quantity": "1", "pricetype": "MARKET", "product": "MIS"}  # fmt: skip
    by_worker = connections(port)  # the survivor and the worker started in place of the dead one
    for worker in ("leader", "follower"):
        placed = by_worker[worker][0].post("/api/v1/placeorder", json=body)
        assert placed.status_code == 200, placed.text


def _websocket_answers(ws_port: int) -> bool:
    async def probe() -> bool:
        async with websockets.connect(f"ws://127.0.0.1:{ws_port}", open_timeout=3):
            return True

    try:
        return asyncio.run(probe())
    except OSError:
        return False


def test_the_feed_sends_order_updates_of_orders_placed_at_either_worker(workers, connections):
    folder, port, environment = workers()
    api_key = _user(folder, environment)
    by_worker = connections(port)
    ws_port = environment["WEBSOCKET_PORT"]
    body = {"apikey": api_key, "strategy": "feed", "symbol": "SBIN", "exchange": "NSE", "action": "BUY",
            "quantity": "1", "pricetype": "MARKET", "product": "MIS"}  # fmt: skip

    async def scenario() -> tuple[dict[str, str], dict[str, list[dict]]]:
        async with websockets.connect(f"ws://127.0.0.1:{ws_port}") as websocket:
            await websocket.send(json.dumps({"action": "authenticate", "api_key": api_key}))
            while json.loads(await websocket.recv()).get("type") != "auth":
                pass
            await websocket.send(json.dumps({"action": "subscribe_orders"}))
            while json.loads(await websocket.recv()).get("type") != "subscribe_orders":
                pass
            placed_at: dict[str, str] = {}
            for worker in ("leader", "follower") * 5:
                response = await asyncio.to_thread(by_worker[worker][0].post, "/api/v1/placeorder", json=body)
                assert response.status_code == 200, response.text
                placed_at[response.json()["orderid"]] = worker
            seen: dict[str, list[dict]] = {}
            async with asyncio.timeout(20):
                while not all(
                    any(update["order_status"] == "complete" for update in seen.get(order, [])) for order in placed_at
                ):
                    message = json.loads(await websocket.recv())
                    if message.get("type") == "order_update":
                        seen.setdefault(message["orderid"], []).append(message)
            return placed_at, seen

    placed_at, seen = asyncio.run(scenario())
    assert sorted(placed_at.values()) == ["follower"] * 5 + ["leader"] * 5
    assert set(seen) == set(placed_at)  # every order, whichever worker placed it
    sequences = [update["sequence"] for updates in seen.values() for update in updates]
    assert sorted(sequences) == list(range(1, len(sequences) + 1))  # one numbering, none twice, none missing


def test_an_order_update_trigger_hears_orders_placed_at_either_worker(workers, connections):
    folder, port, environment = workers()
    api_key = _user(folder, environment)
    by_worker = connections(port)
    watch = {"id": "filled", "type": "orderUpdateTrigger", "data": {"status": "complete", "symbol": "SBIN"}}
    note = {"id": "note", "type": "setVariable", "data": {"name": "seen", "value": "{{order.orderid}}"}}
    # Both fills may arrive in one read of the journal: queue the second run rather than drop it.
    edges = [{"source": "filled", "target": "note"}]
    document = {"name": "Fills", "nodes": [watch, note], "edges": edges, "overlap": "queue"}
    leader = by_worker["leader"][0]
    created = leader.post("/api/v1/flow/create", json={"apikey": api_key, "workflow": document}).json()["data"]
    workflow = {"apikey": api_key, "workflow_id": created["workflow_id"]}
    assert leader.post("/api/v1/flow/activate", json={**workflow, "active": True}).status_code == 200
    body = {"apikey": api_key, "strategy": "flow", "symbol": "SBIN", "exchange": "NSE", "action": "BUY",
            "quantity": "1", "pricetype": "MARKET", "product": "MIS"}  # fmt: skip
    placed = {
        worker: by_worker[worker][0].post("/api/v1/placeorder", json=body).json()["orderid"]
        for worker in ("follower", "leader")
    }

    def heard() -> list[str]:
        runs = leader.post("/api/v1/flow/runs", json=workflow).json()["data"]
        details = [
            leader.post("/api/v1/flow/runs/get", json={"apikey": api_key, "run_id": run["run_id"]}).json()["data"]
            for run in runs
            if run["status"] == "succeeded"
        ]
        return sorted(detail["steps"][1]["output"] for detail in details)

    eventually(lambda: heard() == sorted(placed.values()), timeout=20)  # once each, the follower's included


def test_a_workflow_runs_once_at_a_time_whichever_worker_its_webhooks_reach(workers, connections):
    folder, port, environment = workers()
    api_key = _user(folder, environment)
    by_worker = connections(port)
    pause = {"id": "pause", "type": "delay", "data": {"seconds": 2}}
    document = {
        "name": "One at a time",
        "nodes": [{"id": "hook", "type": "webhookTrigger"}, pause],
        "edges": [{"source": "hook", "target": "pause"}],
        "overlap": "drop",
    }
    leader = by_worker["leader"][0]
    created = leader.post("/api/v1/flow/create", json={"apikey": api_key, "workflow": document}).json()["data"]
    workflow = {"apikey": api_key, "workflow_id": created["workflow_id"]}
    assert leader.post("/api/v1/flow/activate", json={**workflow, "active": True}).status_code == 200
    path = "/" + created["webhook_url"].split("://", 1)[-1].split("/", 1)[1]

    with ThreadPoolExecutor(2) as pool:  # both arrive while the other's run would still be pausing
        answers = list(pool.map(lambda worker: by_worker[worker][0].post(path, json={}), ("follower", "leader")))

    assert [answer.status_code for answer in answers] == [200, 200], [answer.text for answer in answers]
    assert sorted(answer.json()["run_status"] for answer in answers) == ["dropped", "succeeded"]
    runs = leader.post("/api/v1/flow/runs", json=workflow).json()["data"]
    assert sorted(run["status"] for run in runs) == ["dropped", "succeeded"]
