"""XtsClient: the interactive and market-data APIs over httpx, paced to the manifest, failures translated once.

Both APIs answer `{"type": "success", "code": ..., "description": ..., "result": ...}` or the same
with `"type": "error"`. Interactive endpoints live under `/interactive`, market data under
`/apimarketdata`, each on the host the member's `xts.yaml` names. Reads may retry on transport
failures; order placement never does.
"""

from __future__ import annotations

from typing import Any

import httpx

from brokers.common.http import BrokerHttp, path_segment
from brokers.common.pacing import Pacer
from brokers.families.xts.auth import Session
from brokers.families.xts.errors import error_from_upstream
from generated.contract import RateLimit
from generated.errors import BrokerBadResponse

INTERACTIVE = "/interactive"
MARKET = "/apimarketdata"
# Dealer logins act for many clients; an investor's own key names itself with this placeholder.
CLIENT_ID = "*****"


class XtsClient:
    def __init__(
        self,
        broker: str,
        interactive_url: str,
        market_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limits: list[RateLimit] | None = None,
    ) -> None:
        self.broker = broker
        pacer = Pacer(rate_limits or [], broker=broker)  # the manifest's windows count both hosts' requests
        self.interactive = BrokerHttp(broker, interactive_url, transport=transport, pacer=pacer)
        self.market = BrokerHttp(broker, market_url, transport=transport, pacer=pacer)

    async def request(
        self,
        http: BrokerHttp,
        session: Session | None,
        method: str,
        path: str,
        *,
        rate_class: str = "other",
        idempotent: bool = False,
        **request: Any,
    ) -> Any:
        """Send one request and answer XTS's `result`, or raise ours."""
        headers, pacing_key = {}, "anonymous"
        if session is not None:
            headers["Authorization"] = session.interactive if http is self.interactive else session.market
            pacing_key = session.user_id
        response = await http.send(
            method, path, rate_class=rate_class, pacing_key=pacing_key,
            idempotent=idempotent, headers=headers, **request,
        )  # fmt: skip
        body = http.json_body(response)
        if not isinstance(body, dict):
            raise BrokerBadResponse(f"{self.broker} answered with JSON that is not an object", broker=self.broker)
        if body.get("type") != "success" or not response.is_success:
            description = str(body.get("description") or f"HTTP {response.status_code}")
            raise error_from_upstream(body.get("code"), description, self.broker, response.status_code)
        return body.get("result")

    # Sessions

    async def interactive_login(self, form: dict[str, str]) -> dict:
        return await self.request(self.interactive, None, "POST", f"{INTERACTIVE}/user/session", json=form)

    async def market_login(self, form: dict[str, str]) -> dict:
        return await self.request(self.market, None, "POST", f"{MARKET}/auth/login", json=form)

    # Interactive

    async def place_order(self, session: Session, body: dict) -> dict:
        return await self.request(
            self.interactive, session, "POST", f"{INTERACTIVE}/orders", rate_class="orders", json=body
        )

    async def modify_order(self, session: Session, body: dict) -> dict:
        return await self.request(
            self.interactive, session, "PUT", f"{INTERACTIVE}/orders", rate_class="orders", json=body
        )

    async def cancel_order(self, session: Session, order_id: str, tag: str) -> dict:
        params = {"appOrderID": path_segment(order_id), "orderUniqueIdentifier": tag, "clientID": CLIENT_ID}
        return await self.request(
            self.interactive, session, "DELETE", f"{INTERACTIVE}/orders", rate_class="orders", params=params
        )

    async def orders(self, session: Session) -> list[dict]:
        return await self._read(session, "/orders")

    async def trades(self, session: Session) -> list[dict]:
        return await self._read(session, "/orders/trades")

    async def positions(self, session: Session) -> dict:
        return await self._read(session, "/portfolio/positions", dayOrNet="NetWise")

    async def holdings(self, session: Session) -> dict:
        return await self._read(session, "/portfolio/holdings")

    async def balance(self, session: Session) -> dict:
        return await self._read(session, "/user/balance")

    async def _read(self, session: Session, path: str, **params: str) -> Any:
        params = {"clientID": CLIENT_ID} | params
        return await self.request(
            self.interactive, session, "GET", f"{INTERACTIVE}{path}", params=params, idempotent=True
        )

    # Market data

    async def quotes(self, session: Session, instruments: list[dict], message_code: int) -> dict:
        body = {"instruments": instruments, "xtsMessageCode": message_code, "publishFormat": "JSON"}
        path = f"{MARKET}/instruments/quotes"
        return await self.request(self.market, session, "POST", path, rate_class="quotes", json=body, idempotent=True)

    async def subscribe(self, session: Session, instruments: list[dict], message_code: int) -> dict:
        body = {"instruments": instruments, "xtsMessageCode": message_code}
        return await self.request(self.market, session, "POST", f"{MARKET}/instruments/subscription", json=body)

    async def ohlc(self, session: Session, params: dict[str, str]) -> dict:
        path = f"{MARKET}/instruments/ohlc"
        return await self.request(
            self.market, session, "GET", path, rate_class="history", params=params, idempotent=True
        )

    async def master(self, session: Session, segments: list[str]) -> str:
        body = {"exchangeSegmentList": segments}
        return await self.request(
            self.market, session, "POST", f"{MARKET}/instruments/master", json=body, idempotent=True
        )
