"""FyersClient: Fyers API v3 over the shared BrokerHttp, with Fyers' envelope and errors translated once.

Trading calls live under https://api-t1.fyers.in/api/v3, market data under https://api-t1.fyers.in/data
(the official SDK's `Config.API` and `Config.DATA_API`), and the symbol master is a set of public CSV
files at https://public.fyers.in/sym_details/. Every authenticated request carries
`Authorization: <app_id>:<access_token>`. A success is `{"s": "ok", ...}`; a failure is
`{"s": "error", "code": <negative>, "message": ...}`, which `errors.py` turns into ours. Reads retry on
transport failures (BrokerHttp); orders never do.
"""

from __future__ import annotations

from typing import Any

import httpx

from brokers.common.http import BrokerHttp
from brokers.fyers.auth import split_session_token
from brokers.fyers.errors import error_from_upstream
from generated.contract import RateLimit
from generated.errors import BrokerBadResponse, BrokerSessionExpired

BROKER = "fyers"
API_URL = "https://api-t1.fyers.in"
MASTER_URL = "https://public.fyers.in"
MASTER_PATH = "/sym_details"
# The per-segment master files (https://myapi.fyers.in/docsv3#tag/Appendix/Symbol-Master).
GTT_SYNC = "/api/v3/gtt/orders/sync"
MASTER_FILES = ("NSE_CM", "BSE_CM", "NSE_FO", "BSE_FO", "NSE_CD", "MCX_COM")


class FyersClient:
    def __init__(
        self,
        *,
        base_url: str = API_URL,
        master_url: str = MASTER_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limits: list[RateLimit] | None = None,
    ) -> None:
        self.http = BrokerHttp(BROKER, base_url, transport=transport, rate_limits=rate_limits)
        # The master files are static files on another host, outside the API's rate limits.
        self.public = BrokerHttp(BROKER, master_url, transport=transport)

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.public.aclose()

    async def request(
        self,
        token: str | None,
        method: str,
        path: str,
        *,
        rate_class: str = "other",
        idempotent: bool = False,
        is_order: bool = False,
        **request: Any,
    ) -> dict:
        """Send one request and answer Fyers' body (a dict with `s` = "ok"), or raise ours."""
        headers, key = {}, "anonymous"
        if token is not None:
            app_id, access_token = split_session_token(token)
            if not access_token:
                raise BrokerSessionExpired("no fyers access token; log in to the broker again", broker=BROKER)
            headers["Authorization"] = token
            key = app_id
        response = await self.http.send(
            method, path, rate_class=rate_class, pacing_key=key, idempotent=idempotent, headers=headers, **request
        )
        body = self.http.json_body(response)
        if not isinstance(body, dict):
            raise BrokerBadResponse("fyers answered with JSON that is not an object", broker=BROKER)
        if body.get("s") != "ok" or not response.is_success:
            message = str(body.get("message") or f"HTTP {response.status_code}")
            raise error_from_upstream(body.get("code"), message, http_status=response.status_code, is_order=is_order)
        return body

    # Login

    async def validate_authcode(self, body: dict[str, str]) -> dict:
        return await self.request(None, "POST", "/api/v3/validate-authcode", json=body)

    # Orders: POST, PATCH and DELETE on /orders/sync (the SDK's `orders_endpoint`).

    async def place_order(self, token: str, body: dict) -> dict:
        return await self.request(token, "POST", "/api/v3/orders/sync", rate_class="orders", is_order=True, json=body)

    async def modify_order(self, token: str, body: dict) -> dict:
        return await self.request(token, "PATCH", "/api/v3/orders/sync", rate_class="orders", is_order=True, json=body)

    async def cancel_order(self, token: str, order_id: str) -> dict:
        return await self.request(token, "DELETE", "/api/v3/orders/sync", rate_class="orders", json={"id": order_id})

    # GTT orders: POST, PATCH and DELETE on /gtt/orders/sync, the book at /gtt/orders.

    async def gtt_place(self, token: str, body: dict) -> dict:
        return await self.request(token, "POST", GTT_SYNC, rate_class="orders", is_order=True, json=body)

    async def gtt_modify(self, token: str, body: dict) -> dict:
        return await self.request(token, "PATCH", GTT_SYNC, rate_class="orders", is_order=True, json=body)

    async def gtt_cancel(self, token: str, gtt_id: str) -> dict:
        return await self.request(token, "DELETE", GTT_SYNC, rate_class="orders", json={"id": gtt_id})

    async def gtt_orders(self, token: str) -> list[dict]:
        return (await self.request(token, "GET", "/api/v3/gtt/orders", idempotent=True)).get("orderBook") or []

    async def orders(self, token: str) -> list[dict]:
        return (await self.request(token, "GET", "/api/v3/orders", idempotent=True)).get("orderBook") or []

    async def trades(self, token: str) -> list[dict]:
        return (await self.request(token, "GET", "/api/v3/tradebook", idempotent=True)).get("tradeBook") or []

    async def positions(self, token: str) -> list[dict]:
        return (await self.request(token, "GET", "/api/v3/positions", idempotent=True)).get("netPositions") or []

    async def holdings(self, token: str) -> list[dict]:
        return (await self.request(token, "GET", "/api/v3/holdings", idempotent=True)).get("holdings") or []

    async def funds(self, token: str) -> list[dict]:
        return (await self.request(token, "GET", "/api/v3/funds", idempotent=True)).get("fund_limit") or []

    async def order_margin(self, token: str, orders: list[dict]) -> dict:
        # A read that happens to be a POST: asking for margins changes nothing, so it may retry.
        body = await self.request(token, "POST", "/api/v3/multiorder/margin", idempotent=True, json={"data": orders})
        return body.get("data") or {}

    # Market data

    async def quotes(self, token: str, symbols: list[str]) -> list[dict]:
        params = {"symbols": ",".join(symbols)}
        body = await self.request(token, "GET", "/data/quotes", rate_class="quotes", idempotent=True, params=params)
        return body.get("d") or []

    async def depth(self, token: str, symbol: str) -> dict:
        params = {"symbol": symbol, "ohlcv_flag": "1"}
        body = await self.request(token, "GET", "/data/depth", rate_class="quotes", idempotent=True, params=params)
        return body.get("d") or {}

    async def history(self, token: str, params: dict[str, str]) -> list[list]:
        body = await self.request(token, "GET", "/data/history", rate_class="history", idempotent=True, params=params)
        return body.get("candles") or []

    async def master_file(self, name: str) -> str:
        """One segment's symbol master CSV (public, no Authorization)."""
        response = await self.public.send("GET", f"{MASTER_PATH}/{name}.csv", idempotent=True)
        if not response.is_success:
            raise BrokerBadResponse(
                f"fyers answered HTTP {response.status_code} for the {name} symbol master", broker=BROKER
            )
        return response.text
