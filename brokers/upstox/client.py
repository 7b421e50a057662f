"""UpstoxClient: Upstox API v2 over the shared BrokerHttp, with Upstox's envelope and errors read once.

Every request carries `Accept: application/json` and `Authorization: Bearer <access token>`
(https://upstox.com/developer/api-documentation/authentication). A success is
`{"status": "success", "data": ...}`; a failure is Upstox's error list, turned into ours by
`errors.py`. Reads may retry on transport failures; orders never do: an order whose answer was lost
must be looked for in the order book, since Upstox takes no idempotency key.
"""

from __future__ import annotations

import gzip
import json
from typing import Any
from urllib.parse import quote

import httpx

from brokers.common.http import BrokerHttp
from brokers.upstox.auth import API_URL
from brokers.upstox.errors import BROKER, error_from_upstream, first_error
from generated.contract import RateLimit
from generated.errors import BrokerBadResponse, BrokerSessionExpired

# Orders go to Upstox's low-latency host (https://upstox.com/developer/api-documentation/place-order).
ORDER_URL = "https://api-hft.upstox.com"
# The daily instruments file (https://upstox.com/developer/api-documentation/instruments).
ASSETS_URL = "https://assets.upstox.com"
INSTRUMENTS_PATH = "/market-quote/instruments/exchange/complete.json.gz"


class UpstoxClient:
    def __init__(
        self,
        *,
        base_url: str = API_URL,
        order_url: str = ORDER_URL,
        assets_url: str = ASSETS_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limits: list[RateLimit] | None = None,
    ) -> None:
        headers = {"Accept": "application/json"}
        self.http = BrokerHttp(BROKER, base_url, transport=transport, rate_limits=rate_limits, headers=headers)
        # Only orders go to the low-latency host, so the `orders` class is counted there and nowhere else.
        self.orders_http = BrokerHttp(BROKER, order_url, transport=transport, rate_limits=rate_limits, headers=headers)
        # The instruments file is a static download, outside the API's rate limits.
        self.assets_http = BrokerHttp(BROKER, assets_url, transport=transport)

    async def aclose(self) -> None:
        for http in (self.http, self.orders_http, self.assets_http):
            await http.aclose()

    async def request(
        self,
        token: str | None,
        method: str,
        path: str,
        *,
        rate_class: str = "other",
        idempotent: bool = False,
        is_order_write: bool = False,
        enveloped: bool = True,
        http: BrokerHttp | None = None,
        **request: Any,
    ) -> Any:
        """Send one request and answer Upstox's `data` (or the whole body when not `enveloped`), or raise ours."""
        headers = dict(request.pop("headers", None) or {})
        if token is not None:
            if not token:
                raise BrokerSessionExpired("no upstox access token; log in to the broker again", broker=BROKER)
            headers["Authorization"] = f"Bearer {token}"
        http = http or self.http
        response = await http.send(
            method,
            path,
            rate_class=rate_class,
            pacing_key=token or "anonymous",
            idempotent=idempotent,
            headers=headers,
            **request,
        )
        body = http.json_body(response)
        if not response.is_success or (isinstance(body, dict) and body.get("status") == "error"):
            code, message = first_error(body)
            raise error_from_upstream(response.status_code, code, message, is_order_write=is_order_write)
        if not enveloped:
            return body
        if not isinstance(body, dict) or "data" not in body:
            raise BrokerBadResponse("upstox answered success without `data`", broker=BROKER)
        return body["data"]

    # Login

    async def exchange_code(self, form: dict[str, str]) -> dict:
        """POST /v2/login/authorization/token: Upstox answers the token fields at the top level, with no envelope."""
        return await self.request(None, "POST", "/v2/login/authorization/token", data=form, enveloped=False)

    # Orders

    async def place_order(self, token: str, body: dict) -> dict:
        return await self._order_write(token, "POST", "/v2/order/place", json=body)

    async def modify_order(self, token: str, body: dict) -> dict:
        return await self._order_write(token, "PUT", "/v2/order/modify", json=body)

    async def cancel_order(self, token: str, order_id: str) -> dict:
        return await self._order_write(token, "DELETE", "/v2/order/cancel", params={"order_id": order_id})

    async def _order_write(self, token: str, method: str, path: str, **request: Any) -> dict:
        return await self.request(
            token, method, path, rate_class="orders", is_order_write=True, http=self.orders_http, **request
        )

    # GTT orders (v3) on the main host; the writes count against the order limits.

    async def gtt_place(self, token: str, body: dict) -> dict:
        return await self._gtt_write(token, "POST", "/v3/order/gtt/place", body)

    async def gtt_modify(self, token: str, body: dict) -> dict:
        return await self._gtt_write(token, "PUT", "/v3/order/gtt/modify", body)

    async def gtt_cancel(self, token: str, gtt_order_id: str) -> dict:
        return await self._gtt_write(token, "DELETE", "/v3/order/gtt/cancel", {"gtt_order_id": gtt_order_id})

    async def _gtt_write(self, token: str, method: str, path: str, body: dict) -> dict:
        return await self.request(token, method, path, rate_class="orders", is_order_write=True, json=body) or {}

    async def gtt_orders(self, token: str) -> list[dict]:
        """Every GTT order: GET /v3/order/gtt without a `gtt_order_id`."""
        return await self.request(token, "GET", "/v3/order/gtt", idempotent=True) or []

    async def orders(self, token: str) -> list[dict]:
        return await self.request(token, "GET", "/v2/order/retrieve-all", idempotent=True)

    async def order_details(self, token: str, order_id: str) -> dict:
        return await self.request(token, "GET", "/v2/order/details", params={"order_id": order_id}, idempotent=True)

    async def trades(self, token: str) -> list[dict]:
        return await self.request(token, "GET", "/v2/order/trades/get-trades-for-day", idempotent=True)

    # Portfolio and funds

    async def positions(self, token: str) -> list[dict]:
        return await self.request(token, "GET", "/v2/portfolio/short-term-positions", idempotent=True)

    async def holdings(self, token: str) -> list[dict]:
        return await self.request(token, "GET", "/v2/portfolio/long-term-holdings", idempotent=True)

    async def funds(self, token: str) -> dict:
        return await self.request(token, "GET", "/v2/user/get-funds-and-margin", idempotent=True)

    async def margin(self, token: str, body: dict) -> dict:
        return await self.request(token, "POST", "/v2/charges/margin", json=body, idempotent=True)

    # Market data

    async def quotes(self, token: str, keys: list[str]) -> dict:
        params = {"instrument_key": ",".join(keys)}
        return await self.request(
            token, "GET", "/v2/market-quote/quotes", rate_class="quotes", params=params, idempotent=True
        )

    async def candles(self, token: str, key: str, interval: str, to_date: str, from_date: str) -> dict:
        # The key comes from Upstox's own instruments file, not from a caller, and holds `|` (an index's
        # key, spaces too): it is percent-escaped into its one path segment.
        path = f"/v2/historical-candle/{quote(key, safe='')}/{interval}/{to_date}/{from_date}"
        return await self.request(token, "GET", path, rate_class="history", idempotent=True)

    async def feed_authorize(self, token: str) -> dict:
        return await self.request(token, "GET", "/v3/feed/market-data-feed/authorize", idempotent=True)

    async def instruments(self) -> list[dict]:
        """The instruments file: a gzipped JSON list, public (no token), refreshed daily by Upstox."""
        response = await self.assets_http.send("GET", INSTRUMENTS_PATH, idempotent=True)
        if not response.is_success:
            raise BrokerBadResponse(f"upstox's instruments file answered HTTP {response.status_code}", broker=BROKER)
        try:
            content = response.content
            rows = json.loads(gzip.decompress(content) if content[:2] == b"\x1f\x8b" else content)
        except (OSError, ValueError) as e:
            raise BrokerBadResponse("upstox's instruments file is not gzipped JSON", broker=BROKER) from e
        if not isinstance(rows, list):
            raise BrokerBadResponse("upstox's instruments file is not a list", broker=BROKER)
        return rows
