"""DhanClient: DhanHQ API v2 over the shared BrokerHttp, paced to the manifest, failures translated once.

Every API request carries `access-token` and `client-id` headers (https://dhanhq.co/docs/v2/; the data
APIs require `client-id`, the trading APIs accept it). Bodies are JSON both ways. Reads may retry on
transport failures; orders never do, because an order whose answer was lost must be looked for in the
order book, not sent again. Three hosts are used: the API, the login host and the scrip master's file host.
"""

from __future__ import annotations

from typing import Any

import httpx

from brokers.common.http import BrokerHttp, path_segment
from brokers.dhan import auth
from brokers.dhan.errors import BROKER, NO_HOLDINGS, error_from_upstream
from generated.contract import RateLimit
from generated.errors import BrokerBadResponse, BrokerSessionExpired, BrokerUnavailable, ValidationFailed

API_URL = "https://api.dhan.co"
# https://dhanhq.co/docs/v2/instruments/: the compact scrip master, refreshed by Dhan every morning.
MASTER_URL = "https://images.dhan.co"
MASTER_PATH = "/api-data/api-scrip-master.csv"


class DhanClient:
    def __init__(
        self,
        *,
        base_url: str = API_URL,
        auth_url: str = auth.AUTH_URL,
        master_url: str = MASTER_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limits: list[RateLimit] | None = None,
    ) -> None:
        headers = {"Accept": "application/json"}
        self._api = BrokerHttp(BROKER, base_url, transport=transport, rate_limits=rate_limits, headers=headers)
        self._auth = BrokerHttp(BROKER, auth_url, transport=transport, headers=headers)
        self._files = BrokerHttp(BROKER, master_url, transport=transport)

    async def aclose(self) -> None:
        for http in (self._api, self._auth, self._files):
            await http.aclose()

    async def request(
        self,
        token: str | None,
        method: str,
        path: str,
        *,
        rate_class: str = "other",
        idempotent: bool = False,
        json: Any = None,
    ) -> Any:
        """Send one API request and answer Dhan's JSON body, or raise ours."""
        return self._answer(
            await self._send(token, method, path, rate_class=rate_class, idempotent=idempotent, json=json)
        )

    async def _send(self, token: str | None, method: str, path: str, **options: Any) -> httpx.Response:
        client_id, access_token = auth.split_session_token(token or "")
        if not access_token:
            raise BrokerSessionExpired("no dhan access token; log in to the broker again", broker=BROKER)
        headers = {"access-token": access_token, "client-id": client_id}
        return await self._api.send(method, path, pacing_key=client_id, headers=headers, **options)

    def _answer(self, response: httpx.Response) -> Any:
        body = self._api.json_body(response)
        if isinstance(body, dict):
            if body.get("errorCode"):
                raise error_from_upstream(
                    str(body["errorCode"]), str(body.get("errorMessage") or body.get("errorType") or "")
                )
            if body.get("status") == "failed":
                code, message = _data_api_error(body.get("data"))
                raise error_from_upstream(code, message)
        if response.status_code == 401:
            raise BrokerSessionExpired("dhan refused the access token (HTTP 401)", broker=BROKER)
        if response.status_code >= 500:
            raise BrokerUnavailable(f"dhan answered HTTP {response.status_code}", broker=BROKER)
        if not response.is_success:
            raise BrokerBadResponse(f"dhan answered HTTP {response.status_code} without an error code", broker=BROKER)
        return body

    # Login

    async def generate_access_token(self, client_id: str, pin: str, totp: str) -> dict:
        params = {"dhanClientId": client_id, "pin": pin, "totp": totp}
        response = await self._auth.send("POST", auth.TOKEN_PATH, pacing_key=client_id, params=params)
        body = self._auth.json_body(response)
        if not response.is_success or not isinstance(body, dict) or not body.get("accessToken"):
            said = (
                body.get("errorMessage") or body.get("message") or body.get("remarks")
                if isinstance(body, dict)
                else None
            )
            raise ValidationFailed(
                f"dhan refused the login: {said or f'HTTP {response.status_code}'}", field="totp", broker=BROKER
            )
        return body

    # Orders (rate class `orders`; never retried)

    async def place_order(self, token: str, body: dict) -> dict:
        return await self.request(token, "POST", "/v2/orders", rate_class="orders", json=body)

    async def modify_order(self, token: str, order_id: str, body: dict) -> dict:
        return await self.request(token, "PUT", f"/v2/orders/{path_segment(order_id)}", rate_class="orders", json=body)

    async def cancel_order(self, token: str, order_id: str) -> dict:
        return await self.request(token, "DELETE", f"/v2/orders/{path_segment(order_id)}", rate_class="orders")

    async def forever_place(self, token: str, body: dict) -> dict:
        return await self.request(token, "POST", "/v2/forever/orders", rate_class="orders", json=body)

    async def forever_modify(self, token: str, order_id: str, body: dict) -> dict:
        return await self.request(token, "PUT", f"/v2/forever/orders/{path_segment(order_id)}", rate_class="orders", json=body)

    async def forever_cancel(self, token: str, order_id: str) -> dict:
        return await self.request(token, "DELETE", f"/v2/forever/orders/{path_segment(order_id)}", rate_class="orders")

    async def forever_orders(self, token: str) -> list[dict]:
        return await self.request(token, "GET", "/v2/forever/all", idempotent=True)

    # Reads (Non Trading APIs, class `other`)

    async def orders(self, token: str) -> list[dict]:
        return await self.request(token, "GET", "/v2/orders", idempotent=True)

    async def order(self, token: str, order_id: str) -> dict:
        answer = await self.request(token, "GET", f"/v2/orders/{path_segment(order_id)}", idempotent=True)
        # The docs show one object; some accounts have seen a one-row list. Both read the same.
        return answer[0] if isinstance(answer, list) and answer else answer

    async def trades(self, token: str) -> list[dict]:
        return await self.request(token, "GET", "/v2/trades", idempotent=True)

    async def positions(self, token: str) -> list[dict]:
        return await self.request(token, "GET", "/v2/positions", idempotent=True)

    async def holdings(self, token: str) -> list[dict]:
        response = await self._send(token, "GET", "/v2/holdings", idempotent=True)
        body = self._api.json_body(response)
        if isinstance(body, dict) and body.get("errorCode") == NO_HOLDINGS:
            return []  # Dhan says "No holdings available" as an error; it is an empty demat account
        return self._answer(response)

    async def fund_limit(self, token: str) -> dict:
        return await self.request(token, "GET", "/v2/fundlimit", idempotent=True)

    async def margin(self, token: str, body: dict) -> dict:
        return await self.request(token, "POST", "/v2/margincalculator", json=body, idempotent=True)

    # Market data: quotes (1/s) and charts (Data APIs, class `history`)

    async def market_quote(self, token: str, kind: str, instruments: dict[str, list[int]]) -> dict:
        """POST /v2/marketfeed/{ltp,ohlc,quote}: answers `data`, by segment and then security id."""
        body = await self.request(
            token, "POST", f"/v2/marketfeed/{kind}", rate_class="quotes", json=instruments, idempotent=True
        )
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise BrokerBadResponse("dhan answered a market quote without `data`", broker=BROKER)
        return data

    async def historical(self, token: str, body: dict) -> dict:
        return await self.request(
            token, "POST", "/v2/charts/historical", rate_class="history", json=body, idempotent=True
        )

    async def intraday(self, token: str, body: dict) -> dict:
        return await self.request(
            token, "POST", "/v2/charts/intraday", rate_class="history", json=body, idempotent=True
        )

    async def scrip_master(self) -> str:
        response = await self._files.send("GET", MASTER_PATH, idempotent=True)
        if not response.is_success:
            raise BrokerUnavailable(f"dhan's scrip master answered HTTP {response.status_code}", broker=BROKER)
        return response.text


def _data_api_error(data: Any) -> tuple[str, str]:
    """`{"805": "Too many requests ..."}` as (code, message)."""
    if isinstance(data, dict) and data:
        code, message = next(iter(data.items()))
        return str(code), str(message)
    return "", str(data or "no error detail")
