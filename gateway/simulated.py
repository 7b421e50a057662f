"""Live brokers on their offline simulators: log in, trade and stream through a broker's real plugin with
no account and no network.

`BROKER_SIMULATORS=zerodha,angel` (or `all`) makes each named broker's plugin talk to its folder's
`simulator.py` in this process. The simulator's login page is served under `/simulators/<broker>/`,
so the console's broker login runs the whole flow in the browser: the login page, the redirect back
to `/<broker>/callback` with `state`, the token exchange. Orders fill on the simulator's own exchange.
This is how a contributor tries a plugin end to end, and how `make fuzz BROKER=<name>` fuzzes one.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import Response

from brokers import Registry
from generated.contract import Account, LoginRedirect, LoginStart

log = logging.getLogger(__name__)
PREFIX = "/simulators"
SANDBOX = "sandbox"


class OnSimulator:
    """A plugin wired to its simulator; login pages are rewritten to the gateway's `/simulators/<broker>/`."""

    def __init__(self, plugin: Any, simulator: Any, public_base: str) -> None:
        self._plugin = plugin
        self.simulator = simulator
        self._public_base = public_base

    def __getattr__(self, name: str) -> Any:
        return getattr(self._plugin, name)

    async def stream(self, account: Account, on_quote: Any, *, connect: Any = None) -> Any:
        """The broker's feed, reaching the simulator's feed in process rather than the broker's servers."""
        return await self._plugin.stream(account, on_quote, connect=connect or self.simulator.feed_connector())

    async def login_url(self, account: Account, request: LoginStart) -> LoginRedirect:
        target = urlsplit((await self._plugin.login_url(account, request)).url)
        return LoginRedirect(url=f"{self._public_base}{target.path}?{target.query}")


def simulated_brokers(setting: str, registry: Registry) -> list[str]:
    """The broker ids a BROKER_SIMULATORS value names; `all` is every live broker with a simulator."""
    wanted = [name.strip() for name in setting.split(",") if name.strip()]
    if wanted == ["all"]:
        wanted = [broker for broker in registry.ids() if broker != SANDBOX and _has_simulator(registry, broker)]
    unknown = [name for name in wanted if name not in registry or name == SANDBOX]
    if unknown:
        raise ValueError(f"BROKER_SIMULATORS names {', '.join(unknown)}, which no installed live broker is")
    missing = [name for name in wanted if not _has_simulator(registry, name)]
    if missing:
        raise ValueError(f"BROKER_SIMULATORS: {', '.join(missing)} has no simulator.py")
    return wanted


def _has_simulator(registry: Registry, broker_id: str) -> bool:
    return importlib.util.find_spec(f"{registry.manifest(broker_id).module}.simulator") is not None


def attach_simulators(registry: Registry, brokers: list[str], host_server: str) -> dict[str, Any]:
    """Replace each named broker's plugin by one on its simulator; answer the simulators by broker id."""
    simulators = {}
    host = host_server.rstrip("/")
    for broker_id in brokers:
        simulator = importlib.import_module(f"{registry.manifest(broker_id).module}.simulator").Simulator()
        simulator.redirect_url = f"{host}/{broker_id}/callback"
        registry.provide(broker_id, OnSimulator(simulator.plugin(), simulator, f"{host}{PREFIX}/{broker_id}"))
        simulators[broker_id] = simulator
        log.warning("%s runs on its offline simulator (BROKER_SIMULATORS): nothing reaches the real broker", broker_id)
    return simulators


def simulator_pages(simulators: dict[str, Any]):
    """The endpoint serving each simulator's login pages to the browser, by GET only."""

    async def endpoint(request: Request) -> Response:
        simulator = simulators.get(request.path_params["broker"])
        if simulator is None:
            return Response("No simulator runs for that broker.", status_code=404, media_type="text/plain")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=simulator.app), base_url="http://simulator") as client:
            answer = await client.get(f"/{request.path_params['path']}", params=request.query_params)
        headers = {name: value for name, value in answer.headers.items() if name in ("location", "content-type")}
        return Response(answer.content, status_code=answer.status_code, headers=headers)

    return endpoint
