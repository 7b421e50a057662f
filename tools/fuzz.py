"""Fuzz the REST API with schemathesis against a real brokergate server, with any installed broker behind it.

    python -m tools.fuzz [--broker sandbox] [--max-examples 100] [--phases examples,fuzzing,stateful]

starts `brokergate serve` in a fresh temporary folder on free ports (its own `.env` and database),
creates a user and an API key with the CLI, and runs `schemathesis run` on the server's
`/api/v1/openapi.json`, sending the key in `X-API-KEY` so generated requests reach the handlers.
Every response is checked for no 5xx (`not_a_server_error`), a status, content type and body the
spec declares. The stateful phase follows the spec's links: placeorder -> modifyorder, cancelorder,
orderstatus -> orderbook, with the `orderid` of each answer.

The webhooks outside `/api/v1` (`spec/webhooks.yaml`, loaded from the file; the server does not
serve it) are fuzzed in a run of their own, after the setup creates a TradingView strategy and a
Chartink strategy that map SBIN, and an active flow workflow with a webhook trigger: `tools.fuzz_hooks` sends part of the generated alerts to their real
tokens with the mapped symbol, so bodies reach validation and order placement, and the rest to
random tokens (404). The strategies are not intraday, so alerts are taken at any hour.

A live broker (`--broker zerodha`) runs on its offline simulator (`BROKER_SIMULATORS`): the fuzzer
stores the simulator's app credentials with the CLI, logs in to the console and through the broker's
own login flow as a user would, and switches analyzer mode off, so every request reaches the
broker's plugin. Nothing leaves the machine. Operations that never call the plugin (the tags in
`LIVE_EXCLUDED_TAGS`: admin, Flow, strategies, ...) are the same code for every broker and are left to
the sandbox's run.

`make fuzz` runs it with many examples; `tests/fuzz/test_schemathesis.py` runs a bounded number
on every `make test`. `tools.fuzz_hooks` lets part of the generated orders name listed instruments,
so that orders are placed and the links have an `orderid` to follow. The exit code is 0 when
schemathesis found nothing, else its own non-zero code.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
WEBHOOK_SPEC = Path(__file__).resolve().parent.parent / "spec" / "webhooks.yaml"
# Read by `tools.fuzz_hooks`: JSON of each webhook path template -> a real strategy token for it.
WEBHOOK_TOKENS_ENV = "BROKERGATE_FUZZ_WEBHOOK_TOKENS"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
PHASES = "examples,fuzzing,stateful"
SANDBOX = "sandbox"
PASSWORD = "fuzz pass 123"
# Operations left out of the run, each with the reason; empty when every operation passes.
EXCLUDED: dict[str, str] = {}
# Left out when a live broker is fuzzed: switching analyzer mode on would send the rest of the run to the sandbox.
LIVE_EXCLUDED = {"handlers.analyzer.toggle": "it would route the rest of the run to the sandbox"}
# Tags whose operations never call the broker's plugin (Flow and the webhooks place through the order desk,
# fuzzed here through placeorder): the same code whatever the broker, so the sandbox's run covers them.
LIVE_EXCLUDED_TAGS = {
    tag: "never calls the broker's plugin; the sandbox's run covers it"
    for tag in ("admin", "brokers", "flow", "market", "strategies", "telegram")
}


def left_out(broker: str) -> tuple[dict[str, str], dict[str, str]]:
    """The operation ids and the tags a run with `broker` behind the API leaves out, each with its reason."""
    if broker == SANDBOX:
        return EXCLUDED, {}
    return EXCLUDED | LIVE_EXCLUDED, LIVE_EXCLUDED_TAGS


@dataclass(frozen=True)
class Server:
    url: str
    api_key: str
    folder: Path  # temporary; schemathesis runs here, so its `.schemathesis/` cache goes with it


def _free_ports(count: int) -> list[int]:
    """`count` distinct free ports: each probe stays bound until all are picked, so no two can be the same."""
    with contextlib.ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]


def _answers(url: str) -> bool:
    try:
        # The spec document takes most of a second to render on a loaded machine; a shorter wait never sees it.
        return httpx.get(url, timeout=5.0).status_code == 200
    except httpx.HTTPError:
        return False


def _cli(folder: Path, environment: dict[str, str], *arguments: str) -> str:
    done = subprocess.run(
        [str(BIN / "brokergate"), *arguments], cwd=folder, env=environment, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"brokergate {' '.join(arguments)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def fuzzable_brokers() -> list[str]:
    """The sandbox and every installed live broker with a simulator."""
    from brokers import Registry
    from gateway.simulated import simulated_brokers

    return [SANDBOX, *simulated_brokers("all", Registry.discover())]


@contextmanager
def broker_server(broker: str = SANDBOX, startup_timeout: float = 60.0) -> Iterator[Server]:
    """A `brokergate serve` in a temporary folder, with one user and key, routed to `broker`; stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="brokergate-fuzz-") as folder:
        port, websocket_port, bus_port = _free_ports(3)
        environment = {key: value for key, value in os.environ.items() if key not in ("APP_KEY", "API_KEY_PEPPER")}
        environment |= {
            "HOST_SERVER": f"http://127.0.0.1:{port}",
            "BROKER_SIMULATORS": "" if broker == SANDBOX else broker,
            "WEBSOCKET_PORT": str(websocket_port),
            "ZMQ_ADDRESS": f"tcp://127.0.0.1:{bus_port}",
            "LOG_LEVEL": "WARNING",
            # The fuzzer is one fast client: rate limits would only answer 429.
            "API_RATE_LIMIT": "100000 per second",
            "ORDER_RATE_LIMIT": "100000 per second",
            "SMART_ORDER_RATE_LIMIT": "100000 per second",
            "GREEKS_RATE_LIMIT": "100000 per second",
            "PORTFOLIO_API_RATE_LIMIT": "100000 per second",
            "PORTFOLIO_TEARSHEET_RATE_LIMIT": "100000 per second",
            "SIP_API_RATE_LIMIT": "100000 per second",
            "TELEGRAM_RATE_LIMIT": "100000 per second",
            "WEBHOOK_RATE_LIMIT": "100000 per second",
        }
        log = Path(folder) / "server.log"
        with log.open("w") as output:
            process = subprocess.Popen(
                [str(BIN / "brokergate"), "serve", "--port", str(port)],
                cwd=folder,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            try:
                url = f"http://127.0.0.1:{port}"
                deadline = time.monotonic() + startup_timeout
                while not _answers(f"{url}/api/v1/openapi.json"):
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"brokergate serve did not start:\n{log.read_text()[-4000:]}")
                    time.sleep(0.1)
                _cli(Path(folder), environment, "user", "create", "--username", "fuzzer", "--password", PASSWORD)
                issued = _cli(Path(folder), environment, "apikey", "create", "--username", "fuzzer")
                if broker != SANDBOX:
                    connect_broker(url, broker, Path(folder), environment)
                yield Server(url=url, api_key=issued.strip().splitlines()[-1], folder=Path(folder))
            finally:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def connect_broker(url: str, broker: str, folder: Path, environment: dict[str, str]) -> None:
    """Store the simulator's app credentials, then log in to the console and the broker as a user would."""
    import asyncio
    import importlib
    import re

    from brokers import Registry

    manifest = Registry.discover().manifest(broker)
    simulator = importlib.import_module(f"{manifest.module}.simulator").Simulator()
    try:
        credentials, login_fields = dict(simulator.credentials), {}
        if manifest.data.get("auth") == "form_totp":
            login_fields = simulator.login_params()
    finally:
        asyncio.run(simulator.close())
    secrets_env = environment | {f"BROKER_{name.upper()}": value for name, value in credentials.items()}
    _cli(folder, secrets_env, "broker", "credentials", broker, "--user", "fuzzer")

    def csrf(page: httpx.Response) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if found is None:
            raise RuntimeError(f"no CSRF token on {page.url}")
        return found.group(1)

    with httpx.Client(base_url=url, follow_redirects=True, timeout=30) as browser:
        signed_in = browser.post("/login", data={"username": "fuzzer", "password": PASSWORD, "csrf_token": csrf(browser.get("/login"))})
        token = csrf(browser.get("/broker"))
        connected = browser.post("/broker/login", data={"csrf_token": token, "broker": broker, **login_fields})
        if "broker-connected" not in str(connected.url):
            raise RuntimeError(f"the {broker} login through its simulator failed ({signed_in.url} -> {connected.url})")
        browser.post("/analyzer", data={"csrf_token": csrf(browser.get("/broker")), "mode": "live"})


def webhook_strategies(server: Server) -> dict[str, str]:
    """Create one strategy per webhook route, mapping SBIN; their tokens by the route's path template."""
    platforms = {"/strategy/webhook/{token}": "tradingview", "/chartink/webhook/{token}": "chartink"}
    tokens = {}
    for path, platform in platforms.items():
        created = httpx.post(
            f"{server.url}/api/v1/strategies/create",
            json={
                "apikey": server.api_key,
                "name": f"Fuzz {platform}",
                "platform": platform,
                "product": "CNC",
                "is_intraday": False,  # an intraday strategy refuses alerts outside its window
                "symbols": [{"symbol": "SBIN", "exchange": "NSE", "quantity": 1}],
            },
            timeout=30,
        )
        if created.status_code != 200:
            raise RuntimeError(f"creating the {platform} webhook strategy failed: {created.text}")
        tokens[path] = created.json()["data"]["webhook_url"].rsplit("/", 1)[-1]
    tokens["/flow/webhook/{token}"] = _webhook_workflow(server)
    return tokens


def _webhook_workflow(server: Server) -> str:
    """An active flow workflow whose webhook records the delivered symbol; its token."""
    nodes = [
        {"id": "hook", "type": "webhookTrigger"},
        {"id": "note", "type": "setVariable", "data": {"name": "seen", "value": "{{webhook.symbol}}"}},
    ]
    body = {"apikey": server.api_key, "workflow": {"name": "Fuzz flow", "nodes": nodes, "edges": [{"source": "hook", "target": "note"}]}}
    created = httpx.post(f"{server.url}/api/v1/flow/create", json=body, timeout=30)
    if created.status_code != 200:
        raise RuntimeError(f"creating the flow webhook workflow failed: {created.text}")
    workflow_id = created.json()["data"]["workflow_id"]
    httpx.post(f"{server.url}/api/v1/flow/activate", json={"apikey": server.api_key, "workflow_id": workflow_id, "active": True}, timeout=30)
    return created.json()["data"]["webhook_url"].rsplit("/", 1)[-1]


def webhook_command(
    server: Server, *, max_examples: int, phases: str, seed: int | None = None, extra: Sequence[str] = ()
) -> list[str]:
    """schemathesis on `spec/webhooks.yaml` against the server; no API key, the token is the credential."""
    command = schemathesis_command(server, max_examples=max_examples, phases=phases, seed=seed, extra=extra)
    key_at = command.index("--header")
    del command[key_at : key_at + 2]
    command[2:3] = [str(WEBHOOK_SPEC), "--url", server.url]
    return command


def schemathesis_command(
    server: Server,
    *,
    max_examples: int,
    phases: str = PHASES,
    seed: int | None = None,
    excluded: Sequence[str] = (),
    excluded_tags: Sequence[str] = (),
    extra: Sequence[str] = (),
) -> list[str]:
    command = [
        str(BIN / "schemathesis"),
        "run",
        f"{server.url}/api/v1/openapi.json",
        "--checks",
        CHECKS,
        "--header",
        f"X-API-KEY: {server.api_key}",
        "--max-examples",
        str(max_examples),
        "--phases",
        phases,
        "--workers",
        "1",
        "--suppress-health-check",
        "too_slow,filter_too_much",
        "--no-color",
        "--output-sanitize",
        "true",
    ]
    if seed is not None:
        command += ["--seed", str(seed)]
    for operation_id in excluded:
        command += ["--exclude-operation-id", operation_id]
    for tag in excluded_tags:
        command += ["--exclude-tag", tag]
    return [*command, *extra]


def run(
    *,
    broker: str = "sandbox",
    max_examples: int = 100,
    phases: str = PHASES,
    seed: int | None = None,
    extra: Sequence[str] = (),
    capture: bool = False,
    webhook_examples: int | None = None,
) -> list[subprocess.CompletedProcess]:
    """Start a server, fuzz it, stop it; return the completed schemathesis runs (all passed when every code is 0).

    The stateful phase runs first, on its own: fuzzing `ordermode` or `analyzer/toggle` may leave the
    user in semi-auto mode, where placeorder answers a queue id instead of the `orderid` links follow.
    The webhooks run last, with `webhook_examples` cases per operation (default `max_examples`; 0 skips them).
    """
    excluded, excluded_tags = left_out(broker)
    wanted = [phase.strip() for phase in phases.split(",") if phase.strip()]
    batches = [[phase] for phase in wanted if phase == "stateful"] + [[p for p in wanted if p != "stateful"]]
    environment = os.environ | {"SCHEMATHESIS_HOOKS": "tools.fuzz_hooks"}
    done = []
    with broker_server(broker) as server:
        for batch in filter(None, batches):
            command = schemathesis_command(
                server,
                max_examples=max_examples,
                phases=",".join(batch),
                seed=seed,
                excluded=list(excluded),
                excluded_tags=list(excluded_tags),
                extra=extra,
            )
            done.append(
                subprocess.run(command, env=environment, cwd=server.folder, capture_output=capture, text=True)
            )
        webhook_phases = ",".join(phase for phase in wanted if phase != "stateful")  # the webhooks have no links
        if webhook_phases and webhook_examples != 0:
            tokens = webhook_strategies(server)
            command = webhook_command(
                server,
                max_examples=max_examples if webhook_examples is None else webhook_examples,
                phases=webhook_phases,
                seed=seed,
                extra=extra,
            )
            done.append(
                subprocess.run(
                    command,
                    env=environment | {WEBHOOK_TOKENS_ENV: json.dumps(tokens)},
                    cwd=server.folder,
                    capture_output=capture,
                    text=True,
                )
            )
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--broker", default=SANDBOX, help="the broker to fuzz: sandbox, or a live broker (on its simulator)")
    parser.add_argument("--max-examples", type=int, default=100, help="test cases per operation (default 100)")
    parser.add_argument("--phases", default=PHASES, help=f"schemathesis phases (default {PHASES})")
    parser.add_argument("--seed", type=int, help="seed for a reproducible run")
    parser.add_argument("--webhook-examples", type=int, help="test cases per webhook operation (default --max-examples)")
    arguments, extra = parser.parse_known_args(argv)
    brokers = fuzzable_brokers()
    if arguments.broker not in brokers:
        print(f"tools.fuzz: BROKER={arguments.broker} cannot be fuzzed; choose one of {', '.join(brokers)}", file=sys.stderr)
        return 2
    operation_ids, tags = left_out(arguments.broker)
    for operation_id, reason in operation_ids.items():
        print(f"excluded {operation_id}: {reason}")
    for tag, reason in tags.items():
        print(f"excluded tag {tag}: {reason}")
    runs = run(
        broker=arguments.broker,
        max_examples=arguments.max_examples,
        phases=arguments.phases,
        seed=arguments.seed,
        extra=extra,
        webhook_examples=arguments.webhook_examples,
    )
    return max(done.returncode for done in runs)


if __name__ == "__main__":
    sys.exit(main())
