"""A stand-in broker with an OAuth-style login, so callback handling can be attacked before real brokers land."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from generated.contract import Account, LoginCallback, LoginRedirect, LoginStart, SessionGrant
from generated.errors import BrokerBadResponse

VALID_CODE = "code-from-the-real-broker"


class FakeBrokerPlugin:
    def __init__(self) -> None:
        self.completed: list[dict[str, str]] = []

    async def login_url(self, account: Account, request: LoginStart) -> LoginRedirect:
        return LoginRedirect(url=f"https://broker.example/login?state={request.state}&redirect={request.redirect_url}")

    async def complete_login(self, account: Account, request: LoginCallback) -> SessionGrant:
        # A real plugin exchanges the code with the broker; this one knows the single valid code.
        if request.params.get("code") != VALID_CODE:
            raise BrokerBadResponse("the broker refused the code")
        self.completed.append(request.params)
        return SessionGrant(token="broker-token-value", valid_until=datetime.now(UTC) + timedelta(hours=8))


plugin = FakeBrokerPlugin()
