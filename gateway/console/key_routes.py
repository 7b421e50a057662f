"""The API key page: list keys without their values, create one, reveal after the password, revoke.

A key's value reaches the browser only in the answer to an explicit POST: right after it is created,
or after the password was entered again. Those answers are `no-store`, so the browser keeps no copy.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from gateway.clientip import client_ip
from gateway.console.web import Call, Console
from gateway.ratelimit import LOGIN
from generated.errors import RateLimited


def routes(console: Console) -> list[tuple[str, str, object, list[str]]]:
    accounts = console.services.accounts

    def _username(call: Call) -> str:
        return console.identity.user_by_id(call.session.user_id).username

    def _listing(call: Call, **context) -> Response:
        records = accounts.api_keys(_username(call))
        keys = [
            {"id": record.id, "created_at": record.created_at, "revoked_at": record.revoked_at} for record in records
        ]
        return console.render(call, "keys.html", keys=keys, **context)

    async def keys(call: Call) -> Response:
        return _listing(call)

    async def create(call: Call) -> Response:
        api_key = accounts.create_api_key(_username(call))
        return _listing(call, shown_key=api_key, shown_reason="created")

    async def reveal(call: Call) -> Response:
        try:
            console.limits.hit(LOGIN, "ip:" + client_ip(call.request.scope))
        except RateLimited:
            return console.refuse(call, "Too many password attempts; wait a minute.", status=429)
        username = _username(call)
        password = call.form.get("password", "")
        if await console.identity.check_password(username, password if isinstance(password, str) else "") is None:
            return _listing(call, error="The password is wrong; nothing was revealed.")
        wanted = call.request.path_params["key_id"]
        record = next((record for record in accounts.api_keys(username) if record.id == wanted), None)
        if record is None:
            return _listing(call, error="No such key.")
        return _listing(call, shown_key=record.api_key, shown_reason="revealed")

    async def revoke(call: Call) -> Response:
        accounts.revoke_api_keys(_username(call), call.request.path_params["key_id"])
        return RedirectResponse("/keys?notice=key-revoked", status_code=303)

    guard = console.route
    return [
        ("/keys", "keys", guard("keys", keys), ["GET"]),
        ("/keys/create", "keys_create", guard("keys_create", create), ["POST"]),
        ("/keys/{key_id:int}/reveal", "keys_reveal", guard("keys_reveal", reveal), ["POST"]),
        ("/keys/{key_id:int}/revoke", "keys_revoke", guard("keys_revoke", revoke), ["POST"]),
    ]
