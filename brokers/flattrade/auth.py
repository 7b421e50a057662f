"""Flattrade's own login: a redirect to its auth page, then the request code exchanged for the session key.

https://pi.flattrade.in/docs ("Authentication"): the user signs in at
`https://auth.flattrade.in/?app_key=<API key>`; Flattrade redirects to the redirect URL registered with
the key, adding `code` (the request code) and `client` (the user id). POST
`https://authapi.flattrade.in/trade/apitoken` with `{"api_key", "request_code", "api_secret":
SHA-256(api_key + request_code + api_secret)}` answers `{"token", "client", "stat": "Ok"}`; the
token is the `jKey` of every PiConnect call (NorenWClient's jData wire).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from brokers.common.http import BrokerHttp
from brokers.families.noren.auth import Session, needed, sha256, typed
from generated.contract import LoginRedirect, LoginStart
from generated.errors import BrokerBadResponse, ValidationFailed

AUTH_URL = "https://auth.flattrade.in/"
TOKEN_URL = "https://authapi.flattrade.in/trade/apitoken"


class FlattradeLogin:
    kind = "oauth_redirect"

    def __init__(
        self, *, auth_url: str = AUTH_URL, token_url: str = TOKEN_URL, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.auth_url = auth_url
        token = urlsplit(token_url)
        self._http = BrokerHttp("flattrade", f"{token.scheme}://{token.netloc}", transport=transport)
        self._token_path = token.path

    async def login_url(self, broker: str, credentials: dict[str, str], request: LoginStart) -> LoginRedirect:
        api_key = (credentials.get("api_key") or "").strip()
        needed(broker, api_key=api_key)
        # Flattrade sends the user back to the redirect URL registered with the key; `state` rides along.
        return LoginRedirect(url=f"{self.auth_url}?{urlencode({'app_key': api_key, 'state': request.state})}")

    async def log_in(self, broker: str, client: Any, credentials: dict[str, str], params: dict[str, str]) -> Session:
        api_key, api_secret = (credentials.get("api_key") or "").strip(), (credentials.get("api_secret") or "").strip()
        code = typed(params, "code", "request_code")
        needed(broker, api_key=api_key, api_secret=api_secret, code=code)
        body = {"api_key": api_key, "request_code": code, "api_secret": sha256(f"{api_key}{code}{api_secret}")}
        response = await self._http.send("POST", self._token_path, rate_class="login", pacing_key=api_key, json=body)
        answer = self._http.json_body(response)
        if not isinstance(answer, dict):
            raise BrokerBadResponse(
                "flattrade answered the token exchange with something that is not an object", broker=broker
            )
        if answer.get("stat") != "Ok" or not answer.get("token"):
            raise ValidationFailed(f"flattrade refused the login: {answer.get('emsg') or 'no token'}", broker=broker)
        client_id = str(answer.get("client") or params.get("client") or "")
        return Session(client_id, client_id, str(answer["token"]))
