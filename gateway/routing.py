"""Which broker serves a user: the live broker of their session, or the sandbox in analyzer mode."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from brokers import Registry
from gateway.accounts import Accounts, Principal
from gateway.brokertime import TimedPlugin
from gateway.credentials import BrokerCredentials
from gateway.sessions import BrokerSessions
from generated.contract import Account
from generated.errors import BrokerNotConnected, BrokerSessionExpired

SANDBOX = "sandbox"


@dataclass(frozen=True, slots=True)
class Route:
    broker: str
    plugin: Any
    is_analyze: bool
    token: str | None = None
    credentials: dict[str, str] | None = None

    @property
    def mode(self) -> str:
        return "analyze" if self.is_analyze else "live"

    def account(self, user_id: int) -> Account:
        """The account a plugin acts on: the user, with their broker session token and app credentials."""
        return Account(user_id=user_id, broker=self.broker, token=self.token, credentials=self.credentials)


class BrokerRouter:
    def __init__(self, registry: Registry, accounts: Accounts, sessions: BrokerSessions, credentials: BrokerCredentials) -> None:
        self._registry = registry
        self._accounts = accounts
        self._sessions = sessions
        self._credentials = credentials

    def is_analyze(self, user: Principal) -> bool:
        """Analyzer mode is the user's choice, and implied while they have no live broker session."""
        return self._accounts.settings(user.user_id).analyze_mode or self._sessions.latest(user.user_id) is None

    def route(self, user: Principal) -> Route:
        if self.is_analyze(user):
            return Route(SANDBOX, TimedPlugin(self._registry.get(SANDBOX), SANDBOX), is_analyze=True)
        session = self._sessions.latest(user.user_id)
        if session.is_expired:
            raise BrokerSessionExpired(
                f"The {session.broker} session expired at {session.valid_until:%Y-%m-%d %H:%M} UTC; "
                "log in to the broker again",
                broker=session.broker,
            )
        if session.broker not in self._registry:
            raise BrokerNotConnected(f"broker {session.broker!r} is not installed", broker=session.broker)
        credentials = self._credentials.get(user.user_id, session.broker)
        # Its calls count toward the request's broker_ms.
        plugin = TimedPlugin(self._registry.get(session.broker), session.broker)
        return Route(session.broker, plugin, False, session.token, credentials)


def with_mode(body: dict, route: Route) -> dict:
    """OpenAlgo's `"mode": "analyze"` marker when the sandbox served the request; absent fields dropped."""
    if route.is_analyze:
        body["mode"] = "analyze"
    return {key: value for key, value in body.items() if value is not None}
