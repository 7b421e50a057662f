"""Flattrade's offline simulator: the Noren family's on PiConnect's root, plus Flattrade's login page and token exchange."""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from brokers.families.noren.auth import sha256
from brokers.families.noren.simulator import NorenSimulator, simulator_for
from brokers.flattrade.auth import FlattradeLogin

REDIRECT_URL = "http://127.0.0.1:5000/flattrade/callback"


class FlattradeSimulator(NorenSimulator):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.api_secret = "flattrade-simulated-secret"
        self.credentials = {"api_key": self.api_key, "api_secret": self.api_secret}
        self.redirect_url = REDIRECT_URL
        self._codes: set[str] = set()

    def extra_routes(self) -> list[Route]:
        return [Route("/", self._auth_page, methods=["GET"]), Route("/trade/apitoken", self._token, methods=["POST"])]

    def login(self, transport: httpx.AsyncBaseTransport) -> FlattradeLogin:
        return FlattradeLogin(auth_url=f"{self.host}/", token_url=f"{self.host}/trade/apitoken", transport=transport)

    async def _auth_page(self, request: Request) -> Response:
        """The user signs in and is sent back at once, with a one-time request code."""
        if request.query_params.get("app_key") != self.api_key:
            return Response("Invalid app key", status_code=400, media_type="text/plain")
        code = secrets.token_hex(12)
        self._codes.add(code)
        back = {"code": code, "client": self.uid} | {k: v for k, v in request.query_params.items() if k == "state"}
        return RedirectResponse(f"{self.redirect_url}?{urlencode(back)}", status_code=302)

    async def _token(self, request: Request) -> Response:
        self.record("POST", "/trade/apitoken", "login")
        body = await request.json()
        code = str(body.get("request_code") or "")
        expected = sha256(f"{self.api_key}{code}{self.api_secret}")
        if code not in self._codes or not hmac.compare_digest(str(body.get("api_secret") or ""), expected):
            return JSONResponse({"stat": "Not_Ok", "emsg": "Invalid request code or api secret", "token": ""})
        self._codes.discard(code)
        return JSONResponse({"stat": "Ok", "emsg": "", "token": self.new_token(), "client": self.uid})


Simulator = simulator_for(__package__, FlattradeSimulator)
