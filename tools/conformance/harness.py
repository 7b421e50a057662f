"""What the checks run against: a plugin, a logged-in account, and the exchange core that holds the truth.

A live broker's plugin is wired to its folder's `simulator.py` (an object named `Simulator`) through
a transport that checks every request against `contracts/upstream/<id>.yaml`; the simulator is backed
by the sandbox engine, which the checks read as the truth. The sandbox plugin has no simulator: it is
built on its own engine, which is its truth.
"""

from __future__ import annotations

import importlib
import importlib.util
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, create_engine

import storage.sandbox_tables  # noqa: F401  (registers the sandbox engine's tables)
from brokers import Registry
from generated.api import PlaceOrderRequest
from generated.contract import Account, LoginCallback, LoginStart, SessionGrant
from sandbox.engine import SandboxConfig, SandboxEngine
from sandbox.market import OfflineMarket
from tools.conformance.upstream import CheckedTransport, UpstreamSpec

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = "sandbox"
PluginWrapper = Callable[[Any], Any]


class NotCheckable(Exception):
    """The broker cannot be checked offline: its folder has no simulator."""


@dataclass
class Harness:
    broker: str
    manifest: dict
    plugin: Any
    account: Account
    engine: SandboxEngine
    market: OfflineMarket
    truth_user: int
    simulator: Any | None = None
    transport: CheckedTransport | None = None
    grant: SessionGrant | None = None
    login_state: tuple[str, dict[str, str]] | None = field(default=None, repr=False)

    @property
    def capabilities(self) -> dict[str, str]:
        return {key: value for key, value in self.manifest.get("capabilities", {}).items() if value}

    async def relogin(self) -> Account:
        """Run the broker's own login flow again, as a user would after the session ended."""
        self.account, self.grant, self.login_state = await log_in(self.plugin, self.simulator, self.broker, self.manifest)
        return self.account

    def arrange_refusal(self, reason: str) -> PlaceOrderRequest:
        """An order the broker will refuse outright, with a reason."""
        if self.simulator is not None:
            self.simulator.refuse_next_order(reason)
            return order_request("NSE", "SBIN", "BUY", 1, product="CNC")
        # The sandbox refuses NRML on a cash segment, naming CNC and MIS as the choices.
        return order_request("NSE", "SBIN", "BUY", 1, product="NRML")


def order_request(exchange: str, symbol: str, action: str, quantity: int, **fields: Any) -> PlaceOrderRequest:
    values = {"pricetype": "MARKET", "product": "CNC"} | fields
    return PlaceOrderRequest(strategy="conformance", exchange=exchange, symbol=symbol, action=action, quantity=quantity, **values)


async def log_in(
    plugin: Any, simulator: Any, broker: str, manifest: dict
) -> tuple[Account, SessionGrant | None, tuple[str, dict] | None]:
    """The broker's own login, as a user would do it: a redirect, a form, or (auth `none`) nothing."""
    if manifest.get("auth") == "oauth_redirect":
        return await oauth_login(plugin, simulator, broker)
    if manifest.get("auth") == "form_totp":
        return await form_login(plugin, simulator, broker)
    if manifest.get("auth") == "api_secret":
        return await key_login(plugin, simulator, broker)
    return simulator.issue_session(), None, None


async def key_login(plugin: Any, simulator: Any, broker: str) -> tuple[Account, SessionGrant, None]:
    """The app-key login (XTS): the stored credentials alone open the session; the user types nothing."""
    anonymous = Account(user_id=simulator.user_id, broker=broker, credentials=simulator.credentials)
    grant = await plugin.complete_login(anonymous, LoginCallback(params={}))
    return anonymous.model_copy(update={"token": grant.token}), grant, None


async def form_login(plugin: Any, simulator: Any, broker: str) -> tuple[Account, SessionGrant, None]:
    """The form login: what the user types (client code, PIN, a fresh TOTP) straight to complete_login."""
    anonymous = Account(user_id=simulator.user_id, broker=broker, credentials=simulator.credentials)
    grant = await plugin.complete_login(anonymous, LoginCallback(params=simulator.login_params()))
    return anonymous.model_copy(update={"token": grant.token}), grant, None


async def oauth_login(plugin: Any, simulator: Any, broker: str) -> tuple[Account, SessionGrant, tuple[str, dict]]:
    """The redirect login end to end: login URL, the broker's page (the simulator), callback, token exchange."""
    anonymous = Account(user_id=simulator.user_id, broker=broker, credentials=simulator.credentials)
    state = secrets.token_urlsafe(16)
    redirect = await plugin.login_url(anonymous, LoginStart(redirect_url=simulator.redirect_url, state=state))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=simulator.app)) as browser:
        answer = await browser.get(redirect.url)
    params = {key: values[0] for key, values in parse_qs(urlsplit(answer.headers.get("location", "")).query).items()}
    answer = LoginCallback(params={k: v for k, v in params.items() if k != "state"}, redirect_url=simulator.redirect_url)
    grant = await plugin.complete_login(anonymous, answer)
    return anonymous.model_copy(update={"token": grant.token}), grant, (state, params)


def _sandbox_engine(market: OfflineMarket) -> SandboxEngine:
    database = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    SQLModel.metadata.create_all(database)
    config = SandboxConfig(square_off_enabled=False, is_trading_day=market.calendar.is_trading_day)
    return SandboxEngine(database, market, config)


@asynccontextmanager
async def open_harness(
    broker_id: str,
    *,
    registry: Registry | None = None,
    wrap_plugin: PluginWrapper | None = None,
    plugin_options: dict[str, Any] | None = None,
) -> AsyncIterator[Harness]:
    """A ready harness for one installed broker; NotCheckable when it has no simulator."""
    registry = registry or Registry.discover()
    manifest = registry.manifest(broker_id)
    wrap = wrap_plugin or (lambda plugin: plugin)
    if broker_id == SANDBOX:
        from brokers.sandbox import SandboxPlugin

        market = OfflineMarket(7)
        engine = _sandbox_engine(market)
        plugin = wrap(SandboxPlugin(engine, market))
        harness = Harness(broker_id, manifest.data, plugin, Account(user_id=1, broker=broker_id), engine, market, 1)
        try:
            yield harness
        finally:
            await engine.close()
        return
    module_name = f"{manifest.module}.simulator"
    try:
        has_simulator = importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:  # the plugin is a module, not a package, so it has no folder at all
        has_simulator = False
    if not has_simulator:
        raise NotCheckable(f"{manifest.module.replace('.', '/')} has no simulator.py; see docs/adding-a-broker.md")
    simulator = importlib.import_module(module_name).Simulator()
    # A family's members share one description: their simulator names its file (`upstream_spec`) or its
    # name (`upstream`); otherwise it is the broker's own.
    spec_path = getattr(simulator, "upstream_spec", None) or (
        ROOT / "contracts" / "upstream" / f"{getattr(simulator, 'upstream', broker_id)}.yaml"
    )
    inner = httpx.ASGITransport(app=simulator.app)
    transport = CheckedTransport(inner, UpstreamSpec.load(spec_path)) if spec_path.exists() else None
    plugin = wrap(simulator.plugin(transport=transport or inner, **(plugin_options or {})))
    try:
        account, grant, state = await log_in(plugin, simulator, broker_id, manifest.data)
        yield Harness(
            broker_id, manifest.data, plugin, account, simulator.engine, simulator.market, simulator.user_id,
            simulator, transport, grant, state,
        )  # fmt: skip
    finally:
        await simulator.close()
