"""AngelClient: SmartAPI over the shared BrokerHttp, with Angel's headers and envelope, failures translated once.

Every call sends JSON with the headers smartapi-python's `requestHeaders()` sends
(https://github.com/angel-one/smartapi-python, SmartApi/smartConnect.py): `X-PrivateKey` (the app's
api_key), `X-UserType: USER`, `X-SourceID: WEB`, `X-ClientLocalIP`, `X-ClientPublicIP`,
`X-MACAddress`, and `Authorization: Bearer <jwtToken>` once logged in. Answers are
`{"status": true, "message": "SUCCESS", "errorcode": "", "data": ...}`. Reads (including the
quote, margin and candle POSTs, which change nothing) may retry; order calls never do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx

from brokers.angel.auth import Session
from brokers.angel.errors import THROTTLE_WORDS, error_from_upstream
from brokers.common.http import BrokerHttp
from generated.contract import RateLimit
from generated.errors import BrokerBadResponse, BrokerUnavailable, RateLimited

BROKER = "angel"
API_URL = "https://apiconnect.angelone.in"
MASTER_URL = "https://margincalculator.angelbroking.com/OpenAPI_File/files/OpenAPIScripMaster.json"

LOGIN = "/rest/auth/angelbroking/user/v1/loginByPassword"
_SECURE = "/rest/secure/angelbroking"
PLACE_ORDER = f"{_SECURE}/order/v1/placeOrder"
MODIFY_ORDER = f"{_SECURE}/order/v1/modifyOrder"
CANCEL_ORDER = f"{_SECURE}/order/v1/cancelOrder"
ORDER_BOOK = f"{_SECURE}/order/v1/getOrderBook"
TRADE_BOOK = f"{_SECURE}/order/v1/getTradeBook"
POSITIONS = f"{_SECURE}/order/v1/getPosition"
HOLDINGS = f"{_SECURE}/portfolio/v1/getAllHolding"
RMS = f"{_SECURE}/user/v1/getRMS"
MARGIN = f"{_SECURE}/margin/v1/batch"
QUOTE = f"{_SECURE}/market/v1/quote"
CANDLES = f"{_SECURE}/historical/v1/getCandleData"
GTT_CREATE = f"{_SECURE}/gtt/v1/createRule"
GTT_MODIFY = f"{_SECURE}/gtt/v1/modifyRule"
GTT_CANCEL = f"{_SECURE}/gtt/v1/cancelRule"
GTT_DETAILS = f"{_SECURE}/gtt/v1/ruleDetails"
GTT_LIST = f"{_SECURE}/gtt/v1/ruleList"


class AngelClient:
    def __init__(
        self,
        *,
        base_url: str = API_URL,
        master_url: str = MASTER_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limits: list[RateLimit] | None = None,
        local_ip: str = "127.0.0.1",
        public_ip: str = "127.0.0.1",
        mac_address: str = "00:00:00:00:00:00",
    ) -> None:
        self.http = BrokerHttp(BROKER, base_url, transport=transport, rate_limits=rate_limits)
        # The scrip master lives on its own host, so it has its own pool; it has no documented limit.
        master = urlsplit(master_url)
        self._master_http = BrokerHttp(BROKER, f"{master.scheme}://{master.netloc}", transport=transport)
        self._master_path = master.path
        self._machine = {"X-ClientLocalIP": local_ip, "X-ClientPublicIP": public_ip, "X-MACAddress": mac_address}

    def headers(self, api_key: str, jwt_token: str | None = None) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-UserType": "USER",
            "X-SourceID": "WEB",
            "X-PrivateKey": api_key,
            **self._machine,
        }
        if jwt_token:
            headers["Authorization"] = f"Bearer {jwt_token}"
        return headers

    async def request(
        self,
        session: Session,
        method: str,
        path: str,
        *,
        rate_class: str,
        json: Any = None,
        idempotent: bool = False,
        is_order: bool = False,
    ) -> Any:
        """Send one call with the session's headers and answer SmartAPI's `data`, or raise ours."""
        response = await self.http.send(
            method,
            path,
            rate_class=rate_class,
            pacing_key=session.api_key,
            idempotent=idempotent,
            headers=self.headers(session.api_key, session.jwt_token),
            json=json,
        )
        return self._answer(response, is_order=is_order)

    def _answer(self, response: httpx.Response, *, is_order: bool = False, is_login: bool = False) -> Any:
        with _guard_text(response):
            body = self.http.json_body(response)
        if not isinstance(body, dict):
            raise BrokerBadResponse("angel answered with JSON that is not an object", broker=BROKER)
        succeeded = body.get("status", body.get("success"))
        if succeeded is not True or not response.is_success:
            code = body.get("errorcode") or body.get("errorCode")
            message = str(body.get("message") or f"HTTP {response.status_code}")
            raise error_from_upstream(code, message, is_order=is_order, is_login=is_login)
        return body.get("data")

    # The endpoints the plugin uses, each with its rate class.

    async def login(self, api_key: str, body: dict[str, str]) -> dict:
        response = await self.http.send(
            "POST", LOGIN, rate_class="login", pacing_key=api_key, headers=self.headers(api_key), json=body
        )
        return self._answer(response, is_login=True) or {}

    async def place_order(self, session: Session, body: dict[str, str]) -> dict:
        return await self.request(session, "POST", PLACE_ORDER, rate_class="orders", json=body, is_order=True) or {}

    async def modify_order(self, session: Session, body: dict[str, str]) -> dict:
        return await self.request(session, "POST", MODIFY_ORDER, rate_class="orders", json=body, is_order=True) or {}

    async def cancel_order(self, session: Session, body: dict[str, str]) -> dict:
        return await self.request(session, "POST", CANCEL_ORDER, rate_class="orders", json=body, is_order=True) or {}

    # SmartAPI answers `data: null` for an empty book.

    async def orders(self, session: Session) -> list[dict]:
        return await self.request(session, "GET", ORDER_BOOK, rate_class="other", idempotent=True) or []

    async def trades(self, session: Session) -> list[dict]:
        return await self.request(session, "GET", TRADE_BOOK, rate_class="trades", idempotent=True) or []

    async def positions(self, session: Session) -> list[dict]:
        return await self.request(session, "GET", POSITIONS, rate_class="positions", idempotent=True) or []

    async def holdings(self, session: Session) -> dict:
        return await self.request(session, "GET", HOLDINGS, rate_class="holdings", idempotent=True) or {}

    async def funds(self, session: Session) -> dict:
        return await self.request(session, "GET", RMS, rate_class="funds", idempotent=True) or {}

    async def margin(self, session: Session, positions: list[dict]) -> dict:
        body = {"positions": positions}
        return await self.request(session, "POST", MARGIN, rate_class="margin", json=body, idempotent=True) or {}

    async def quote(self, session: Session, mode: str, tokens: dict[str, list[str]]) -> dict:
        body = {"mode": mode, "exchangeTokens": tokens}
        return await self.request(session, "POST", QUOTE, rate_class="quotes", json=body, idempotent=True) or {}

    async def candles(self, session: Session, body: dict[str, str]) -> list[list]:
        return await self.request(session, "POST", CANDLES, rate_class="history", json=body, idempotent=True) or []

    # GTT rules: every call a POST; the writes pace with orders, the reads with the order book.

    async def gtt_create(self, session: Session, body: dict[str, str]) -> dict:
        return await self.request(session, "POST", GTT_CREATE, rate_class="orders", json=body, is_order=True) or {}

    async def gtt_modify(self, session: Session, body: dict[str, str]) -> dict:
        return await self.request(session, "POST", GTT_MODIFY, rate_class="orders", json=body, is_order=True) or {}

    async def gtt_cancel(self, session: Session, body: dict[str, str]) -> dict:
        return await self.request(session, "POST", GTT_CANCEL, rate_class="orders", json=body, is_order=True) or {}

    async def gtt_details(self, session: Session, rule_id: str) -> dict:
        body = {"id": rule_id}
        return await self.request(session, "POST", GTT_DETAILS, rate_class="other", json=body, idempotent=True) or {}

    async def gtt_list(self, session: Session, statuses: list[str], page: int, count: int) -> Any:
        body = {"status": statuses, "page": page, "count": count}
        return await self.request(session, "POST", GTT_LIST, rate_class="other", json=body, idempotent=True)

    async def master(self) -> list[dict]:
        """OpenAPIScripMaster.json: public, on its own host, so no credentials go with it."""
        response = await self._master_http.send("GET", self._master_path, rate_class="master", idempotent=True)
        if not response.is_success:
            raise BrokerUnavailable(f"angel's scrip master answered HTTP {response.status_code}", broker=BROKER)
        rows = self._master_http.json_body(response)
        if not isinstance(rows, list):
            raise BrokerBadResponse("angel's scrip master is not a JSON list", broker=BROKER)
        return rows


@contextmanager
def _guard_text(response: httpx.Response) -> Iterator[None]:
    """A body that is not JSON: Angel's gateway refusing a burst in plain text is throttling, and an
    HTML error page from a 5xx is an outage; anything else is a bad response."""
    try:
        yield
    except BrokerBadResponse as e:
        if response.status_code >= 500:
            raise BrokerUnavailable(f"angel answered HTTP {response.status_code}", broker=BROKER) from e
        if THROTTLE_WORDS in response.text.lower():
            retry_after = int(response.headers.get("Retry-After") or 1)
            raise RateLimited(
                f"angel throttled the request: {response.text[:100]}", broker=BROKER, retry_after=retry_after
            ) from e
        raise
