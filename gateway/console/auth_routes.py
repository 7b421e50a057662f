"""First-run setup, login with optional TOTP, logout, and the account page (password, 2FA, sessions)."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from gateway.accounts import AccountError
from gateway.clientip import client_ip
from gateway.console.web import Call, Console
from gateway.ratelimit import LOGIN
from generated.errors import RateLimited


def _field(call: Call, name: str) -> str:
    value = call.form.get(name, "") if call.form is not None else ""
    return value if isinstance(value, str) else ""


def _throttled(console: Console, call: Call) -> str | None:
    """Count one attempt against LOGIN_RATE_LIMIT for this address; the refusal text when over it."""
    try:
        console.limits.hit(LOGIN, "ip:" + client_ip(call.request.scope))
    except RateLimited as e:
        return f"Too many attempts. Try again in {max(1, round(e.context['retry_after']))} seconds."
    return None


def routes(console: Console) -> list[tuple[str, str, object, list[str]]]:
    async def setup(call: Call) -> Response:
        if not console.identity.needs_setup():
            return RedirectResponse("/login", status_code=303)
        if call.form is None:
            return console.render(call, "setup.html")
        username, password = _field(call, "username"), _field(call, "password")
        if password != _field(call, "confirm"):
            return console.render(call, "setup.html", status=400, error="The passwords differ.", username=username)
        try:
            user = console.identity.create_admin(username, password)
        except AccountError as e:
            return console.render(call, "setup.html", status=400, error=str(e), username=username)
        response = RedirectResponse("/keys", status_code=303)
        console.start_session(call.request, response, user.id, is_verified=True)
        return response

    async def login(call: Call) -> Response:
        if console.identity.needs_setup():
            return RedirectResponse("/setup", status_code=303)
        if call.form is None:
            if call.session is not None and call.session.is_verified:
                return RedirectResponse("/", status_code=303)
            return console.render(call, "login.html")
        if refusal := _throttled(console, call):
            return console.render(call, "login.html", status=429, error=refusal)
        username = _field(call, "username")
        user = await console.identity.check_password(username, _field(call, "password"))
        if user is None:
            return console.render(
                call, "login.html", status=401, error="Wrong username or password.", username=username
            )
        needs_code = console.identity.is_totp_enabled(user.id)
        response = RedirectResponse("/login/totp" if needs_code else "/", status_code=303)
        console.start_session(call.request, response, user.id, is_verified=not needs_code)
        return response

    async def login_totp(call: Call) -> Response:
        pending = call.session
        if pending is None:
            return RedirectResponse("/login", status_code=303)
        if pending.is_verified:
            return RedirectResponse("/", status_code=303)
        if call.form is None:
            return console.render(call, "totp.html")
        if refusal := _throttled(console, call):
            return console.render(call, "totp.html", status=429, error=refusal)
        if not console.identity.verify_totp(pending.user_id, _field(call, "code")):
            return console.render(call, "totp.html", status=401, error="That code is wrong or was used already.")
        response = RedirectResponse("/", status_code=303)
        console.start_session(call.request, response, pending.user_id, is_verified=True)
        return response

    async def logout(call: Call) -> Response:
        response = RedirectResponse("/login", status_code=303)
        console.end_session(call.request, response)
        return response

    async def account(call: Call) -> Response:
        return console.render(
            call,
            "account.html",
            is_totp_enabled=console.identity.is_totp_enabled(call.session.user_id),
            sessions=console.sessions.active(call.session.user_id),
            current_session_id=call.session.id,
        )

    async def change_password(call: Call) -> Response:
        if refusal := _throttled(console, call):
            return console.refuse(call, refusal, status=429)
        new = _field(call, "new_password")
        try:
            if new != _field(call, "confirm"):
                raise AccountError("the new passwords differ")
            await console.identity.change_password(call.session.user_id, _field(call, "current_password"), new)
        except AccountError as e:
            return console.refuse(call, f"The password was not changed: {e}.", status=400)
        console.sessions.revoke_all(call.session.user_id)
        response = RedirectResponse("/account?notice=password-changed", status_code=303)
        console.start_session(call.request, response, call.session.user_id, is_verified=True)
        return response

    async def totp_start(call: Call) -> Response:
        user = console.identity.user_by_id(call.session.user_id)
        secret, uri = console.identity.start_totp(user.id, user.username)
        return console.render(call, "totp_setup.html", secret=secret, uri=uri)

    async def totp_enable(call: Call) -> Response:
        if not console.identity.verify_totp(call.session.user_id, _field(call, "code"), enable=True):
            return console.refuse(call, "That code did not match; start the set-up again.", status=400)
        return RedirectResponse("/account?notice=totp-enabled", status_code=303)

    async def totp_disable(call: Call) -> Response:
        if refusal := _throttled(console, call):
            return console.refuse(call, refusal, status=429)
        user = console.identity.user_by_id(call.session.user_id)
        if await console.identity.check_password(user.username, _field(call, "password")) is None:
            return console.refuse(call, "The password is wrong; two-factor authentication stays on.", status=401)
        console.identity.disable_totp(user.id)
        return RedirectResponse("/account?notice=totp-disabled", status_code=303)

    async def revoke_sessions(call: Call) -> Response:
        console.sessions.revoke_all(call.session.user_id, except_id=call.session.id)
        return RedirectResponse("/account?notice=sessions-revoked", status_code=303)

    guard = console.route
    return [
        ("/setup", "setup", guard("setup", setup, needs_login=False), ["GET", "POST"]),
        ("/login", "login", guard("login", login, needs_login=False), ["GET", "POST"]),
        ("/login/totp", "login_totp", guard("login_totp", login_totp, needs_login=False), ["GET", "POST"]),
        ("/logout", "logout", guard("logout", logout), ["POST"]),
        ("/account", "account", guard("account", account), ["GET"]),
        ("/account/password", "account_password", guard("account_password", change_password), ["POST"]),
        ("/account/totp/start", "totp_start", guard("totp_start", totp_start), ["POST"]),
        ("/account/totp/enable", "totp_enable", guard("totp_enable", totp_enable), ["POST"]),
        ("/account/totp/disable", "totp_disable", guard("totp_disable", totp_disable), ["POST"]),
        ("/account/sessions/revoke", "sessions_revoke", guard("sessions_revoke", revoke_sessions), ["POST"]),
    ]
