"""ZerodhaClient: Kite Connect v3 over httpx, paced to the manifest's limits, failures translated once.

Every request carries `X-Kite-Version: 3` and `Authorization: token api_key:access_token`
(https://kite.trade/docs/connect/v3/). Reads may retry on transport failures; writes never do,
because Kite says an order whose answer was lost must be looked for in the order book, not resent.
"""

from __future__ import annotations

from typing import Any

import httpx

from brokers.common.http import BrokerHttp, path_segment
from brokers.zerodha.auth import split_session_token
from brokers.zerodha.errors import error_from_upstream
from generated.contract import RateLimit
from generated.errors import BrokerBadResponse, BrokerSessionExpired

API_URL = "https://api.kite.trade"
KITE_VERSION = "3"


class ZerodhaClient:
    def __init__(
        self,
        *,
        base_url: str = API_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limits: list[RateLimit] | None = None,
    ) -> None:
        self.http = BrokerHttp(
            "zerodha", base_url, transport=transport, rate_limits=rate_limits, headers={"X-Kite-Version": KITE_VERSION}
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def request(
        self,
        token: str | None,
        method: str,
        path: str,
        *,
        rate_class: str = "other",
        params: Any = None,
        data: dict[str, str] | None = None,
        json: Any = None,
        idempotent: bool = False,
        raw: bool = False,
    ) -> Any:
        """Send one request and answer Kite's `data` (or the body text with `raw`), or raise ours."""
        headers, pacing_key = {}, "anonymous"
        if token is not None:
            pacing_key, access_token = split_session_token(token)
            if not access_token:
                raise BrokerSessionExpired("no zerodha access token; log in to the broker again", broker="zerodha")
            headers["Authorization"] = f"token {token}"
        response = await self.http.send(
            method, path, rate_class=rate_class, pacing_key=pacing_key, idempotent=idempotent,
            params=params, data=data, json=json, headers=headers,
        )  # fmt: skip
        return self._answer(response, raw=raw)

    # The endpoints the plugin uses, each with its rate class.

    async def create_session(self, form: dict[str, str]) -> dict:
        return await self.request(None, "POST", "/session/token", data=form)

    async def place_order(self, token: str, variety: str, form: dict[str, str]) -> dict:
        return await self.request(token, "POST", f"/orders/{variety}", rate_class="orders", data=form)

    async def modify_order(self, token: str, variety: str, order_id: str, form: dict[str, str]) -> dict:
        return await self.request(token, "PUT", f"/orders/{variety}/{path_segment(order_id)}", rate_class="orders", data=form)

    async def cancel_order(self, token: str, variety: str, order_id: str) -> dict:
        return await self.request(token, "DELETE", f"/orders/{variety}/{path_segment(order_id)}", rate_class="orders")

    async def orders(self, token: str) -> list[dict]:
        return await self.request(token, "GET", "/orders", idempotent=True)

    async def order_history(self, token: str, order_id: str) -> list[dict]:
        return await self.request(token, "GET", f"/orders/{path_segment(order_id)}", idempotent=True)

    async def trades(self, token: str) -> list[dict]:
        return await self.request(token, "GET", "/trades", idempotent=True)

    async def positions(self, token: str) -> dict:
        return await self.request(token, "GET", "/portfolio/positions", idempotent=True)

    async def holdings(self, token: str) -> list[dict]:
        return await self.request(token, "GET", "/portfolio/holdings", idempotent=True)

    async def margins(self, token: str) -> dict:
        return await self.request(token, "GET", "/user/margins", idempotent=True)

    async def order_margins(self, token: str, orders: list[dict]) -> list[dict]:
        return await self.request(token, "POST", "/margins/orders", json=orders, idempotent=True)

    async def quote(self, token: str, keys: list[str]) -> dict:
        return await self.request(token, "GET", "/quote", rate_class="quotes", params={"i": keys}, idempotent=True)

    async def historical(self, token: str, instrument_token: str, interval: str, params: dict[str, str]) -> dict:
        path = f"/instruments/historical/{instrument_token}/{interval}"
        return await self.request(token, "GET", path, rate_class="history", params=params, idempotent=True)

    async def gtt_place(self, token: str, form: dict[str, str]) -> dict:
        return await self.request(token, "POST", "/gtt/triggers", rate_class="orders", data=form)

    async def gtt_modify(self, token: str, trigger_id: str, form: dict[str, str]) -> dict:
        return await self.request(token, "PUT", f"/gtt/triggers/{path_segment(trigger_id)}", rate_class="orders", data=form)

    async def gtt_cancel(self, token: str, trigger_id: str) -> dict:
        return await self.request(token, "DELETE", f"/gtt/triggers/{path_segment(trigger_id)}", rate_class="orders")

    async def gtt_book(self, token: str) -> list[dict]:
        return await self.request(token, "GET", "/gtt/triggers", idempotent=True)

    async def instruments(self, token: str) -> str:
        return await self.request(token, "GET", "/instruments", idempotent=True, raw=True)


    def _answer(self, response: httpx.Response, *, raw: bool) -> Any:
        content_type = response.headers.get("content-type", "")
        if raw and response.is_success and "json" not in content_type:
            return response.text
        body = self.http.json_body(response)
        if not isinstance(body, dict):
            raise BrokerBadResponse("zerodha answered with JSON that is not an object", broker="zerodha")
        if body.get("status") == "error" or body.get("error_type") or not response.is_success:
            raise error_from_upstream(body.get("error_type"), str(body.get("message") or f"HTTP {response.status_code}"))
        if "data" not in body:
            raise BrokerBadResponse("zerodha answered success without `data`", broker="zerodha")
        return body["data"]
