"""NorenClient: every Noren endpoint is one POST to `<root>/<Name>`; the wire module says how it travels.

Reads (the books, limits, quotes, candles and the symbol master) may retry; order calls never do. A
book with nothing in it is answered `Not_Ok` with `emsg` "no data", which is an empty list here.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any
from urllib.parse import urlsplit

import httpx

from brokers.common.http import BrokerHttp
from brokers.families.noren import wire
from brokers.families.noren.auth import Session
from brokers.families.noren.errors import NO_DATA, error_from_upstream
from brokers.families.noren.profile import NorenProfile
from generated.contract import RateLimit
from generated.errors import BrokerBadResponse, BrokerUnavailable

# The endpoints whose answer is a list of rows ("no data" when there are none).
BOOKS = {"OrderBook", "TradeBook", "PositionBook", "Holdings", "TPSeries", "EODChartData"}


class NorenClient:
    def __init__(
        self,
        profile: NorenProfile,
        *,
        api_url: str | None = None,
        master_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limits: list[RateLimit] | None = None,
    ) -> None:
        self.profile = profile
        self.broker = profile.broker
        api = urlsplit(api_url or profile.api_url)
        self.http = BrokerHttp(
            self.broker, f"{api.scheme}://{api.netloc}", transport=transport, rate_limits=rate_limits
        )
        master = urlsplit(master_url or profile.master_url)
        self._master_http = BrokerHttp(self.broker, f"{master.scheme}://{master.netloc}", transport=transport)
        self._master_root = master.path.rstrip("/")

    async def call(
        self,
        endpoint: str,
        data: dict[str, Any],
        session: Session | None,
        *,
        rate_class: str = "other",
        idempotent: bool = False,
        is_order: bool = False,
        is_login: bool = False,
    ) -> Any:
        """One endpoint's answer in Noren's names, or the brokergate error its failure means."""
        body = ({"uid": session.uid} if session else {}) | data
        response = await self.http.send(
            "POST",
            self.profile.path(endpoint),
            rate_class=rate_class,
            pacing_key=session.uid if session else str(data.get("uid") or "login"),
            idempotent=idempotent,
            **wire.request_body(self.profile, body, session.key if session else None),
        )
        if response.status_code >= 500:
            raise BrokerUnavailable(
                f"{self.broker} answered HTTP {response.status_code} to {endpoint}", broker=self.broker
            )
        answer, failure = wire.read_answer(self.profile, self.http.json_body(response))
        if failure is not None:
            if endpoint in BOOKS and failure.strip().lower() == NO_DATA:
                return []
            raise error_from_upstream(self.broker, failure, is_order=is_order, is_login=is_login)
        if endpoint in BOOKS and not isinstance(answer, list):
            raise BrokerBadResponse(
                f"{self.broker} answered {endpoint} with something that is not a list", broker=self.broker
            )
        return answer

    async def login(self, endpoint: str, data: dict[str, Any]) -> dict[str, Any]:
        answer = await self.call(endpoint, data, None, rate_class="login", is_login=True)
        if not isinstance(answer, dict):
            raise BrokerBadResponse(
                f"{self.broker} answered the login with something that is not an object", broker=self.broker
            )
        return answer

    async def master(self, exchange: str) -> str:
        """`<EXCH>_symbols.txt.zip`: public, so no credentials go with it; the CSV inside, as text."""
        path = f"{self._master_root}/{exchange}_symbols.txt.zip"
        response = await self._master_http.send("GET", path, rate_class="master", idempotent=True)
        if response.status_code == 404:
            return ""  # the broker lists no such segment
        if not response.is_success:
            raise BrokerUnavailable(
                f"{self.broker}'s {exchange} symbol file answered HTTP {response.status_code}", broker=self.broker
            )
        try:
            with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
                return archive.read(archive.namelist()[0]).decode()
        except (zipfile.BadZipFile, IndexError) as e:
            raise BrokerBadResponse(
                f"{self.broker}'s {exchange} symbol file is not a zip archive", broker=self.broker
            ) from e
