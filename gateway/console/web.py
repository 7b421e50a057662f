"""The console's request plumbing: its collaborators, templates, cookies, and the guard around each route.

Every console endpoint is wrapped by `Console.route`, which names it for the traffic log, finds the
session behind the cookie, sends visitors to setup or login, and checks the CSRF token and origin of
every POST before the handler runs. Handlers therefore never see an unauthenticated or forged request.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from gateway.bans import BanList
from gateway.clientip import client_ip
from gateway.console.identity import Identity
from gateway.console.sessions import ConsoleSessions
from gateway.csrf import TOKEN_FIELD, TOKEN_HEADER, CsrfTokens, is_same_origin
from gateway.observability import Health, TrafficLog, note
from gateway.ratelimit import RateLimits
from gateway.services import Services
from gateway.settings import Settings
from storage import ConsoleSession

TEMPLATES = Path(__file__).resolve().parent / "templates"
PRESESSION_COOKIE = "bg_presession"
NOTICES = {
    "key-created": "A new API key was created.",
    "key-revoked": "The API key was revoked.",
    "password-changed": "Your password was changed; other sessions were signed out.",
    "totp-enabled": "Two-factor authentication is on.",
    "totp-disabled": "Two-factor authentication is off.",
    "sessions-revoked": "Your other sessions were signed out.",
    "ban-lifted": "The ban was lifted.",
    "broker-connected": "The broker session is connected.",
    "broker-disconnected": "You are logged out of the broker.",
    "credentials-saved": "The broker credentials were saved, encrypted.",
    "credentials-forgotten": "The broker credentials were deleted.",
    "mode-changed": "The analyzer mode was changed.",
    # operations pages
    "telegram-saved": "The Telegram settings were saved.",
    "telegram-unlinked": "This account's Telegram chat was unlinked.",
    "sandbox-reset": "The sandbox was reset: books emptied, capital restored.",
    # Admin data.
    "holiday-saved": "The holiday was saved; the calendar uses it now.",
    "holiday-removed": "The holiday was removed.",
    "timing-saved": "The session timing was saved.",
    "freeze-saved": "The freeze quantity was saved.",
    "freeze-removed": "The freeze quantity was removed.",
    "freeze-uploaded": "The freeze quantities of the file were saved.",
}


@dataclass
class Call:
    """What a guarded handler receives: the request, the signed-in session and (for POST) the form."""

    request: Request
    session: ConsoleSession | None
    form: FormData | None


Handler = Callable[[Call], Awaitable[Response]]


class Console:
    def __init__(
        self,
        *,
        settings: Settings,
        services: Services,
        limits: RateLimits,
        bans: BanList,
        traffic: TrafficLog,
        health: Health,
        api_app: Any,
    ) -> None:
        self.settings = settings
        self.services = services
        self.limits = limits
        self.bans = bans
        self.traffic = traffic
        self.health = health
        self.api_app = api_app  # the whole ASGI app, for in-process API calls on the user's behalf
        self.sessions = ConsoleSessions(services.engine, expiry_time=settings.session_expiry_time)
        self.identity = Identity(services.engine, services.accounts, app_key=settings.app_key)
        self.csrf = CsrfTokens(settings.app_key)
        self.is_tls = settings.host_server.startswith("https://")
        # The __Host- prefix makes the browser refuse the cookie unless it is Secure, host-only and Path=/.
        self.cookie_name = "__Host-bg_session" if self.is_tls else "bg_session"
        self.templates = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), auto_reload=False
        )

    # -- sessions and cookies ------------------------------------------------------------------------

    def session_token(self, request: Request) -> str | None:
        return request.cookies.get(self.cookie_name)

    def find_session(self, request: Request) -> ConsoleSession | None:
        return self.sessions.find(self.session_token(request))

    def start_session(self, request: Request, response: Response, user_id: int, *, is_verified: bool) -> None:
        """Rotate: end whatever session this browser had, then issue a new id in the cookie."""
        if (old := self.find_session(request)) is not None:
            self.sessions.revoke(old.id)
        token, row = self.sessions.create(
            user_id,
            is_verified=is_verified,
            client_ip=client_ip(request.scope),
            user_agent=request.headers.get("user-agent", ""),
        )
        response.set_cookie(
            self.cookie_name,
            token,
            expires=row.expires_at,
            path="/",
            secure=self.is_tls,
            httponly=True,
            samesite="lax",  # lax, not strict: the broker's OAuth redirect back to us must carry it
        )

    def end_session(self, request: Request, response: Response) -> None:
        if (session := self.find_session(request)) is not None:
            self.sessions.revoke(session.id)
        response.delete_cookie(self.cookie_name, path="/", secure=self.is_tls, httponly=True, samesite="lax")

    def _csrf_binding(self, request: Request) -> str | None:
        return self.session_token(request) or request.cookies.get(PRESESSION_COOKIE)

    # -- rendering ----------------------------------------------------------------------------------

    def render(self, call: Call, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        binding = self._csrf_binding(call.request)
        new_binding = None
        if binding is None:
            binding = new_binding = secrets.token_urlsafe(32)
        user = self.identity.user_by_id(call.session.user_id) if call.session and call.session.is_verified else None
        notice = NOTICES.get(call.request.query_params.get("notice", ""))
        html = self.templates.get_template(template).render(
            csrf_token=self.csrf.token(binding), user=user, notice=notice, path=call.request.url.path, **context
        )
        response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
        if new_binding is not None:
            response.set_cookie(
                PRESESSION_COOKIE,
                new_binding,
                max_age=3600,
                path="/",
                secure=self.is_tls,
                httponly=True,
                samesite="strict",
            )
        return response

    def refuse(self, call: Call, message: str, *, status: int = 403) -> HTMLResponse:
        return self.render(call, "message.html", status=status, title="Refused", message=message)

    # -- the guard ----------------------------------------------------------------------------------

    def route(self, name: str, handler: Handler, *, needs_login: bool = True, is_json: bool = False):
        async def endpoint(request: Request) -> Response:
            note(request.scope, route=f"console:{name}")
            session = self.find_session(request)
            if session is not None and session.is_verified:
                note(request.scope, user_id=session.user_id)
            call = Call(request, session, None)
            if needs_login and (session is None or not session.is_verified):
                if is_json:
                    return JSONResponse({"status": "error", "message": "Log in to the console"}, status_code=401)
                return RedirectResponse("/setup" if self.identity.needs_setup() else "/login", status_code=303)
            if request.method == "POST":
                form = await request.form()
                presented = request.headers.get(TOKEN_HEADER) or form.get(TOKEN_FIELD)
                if not (
                    is_same_origin(request, self.settings.host_server)
                    and self.csrf.is_valid(
                        self._csrf_binding(request), presented if isinstance(presented, str) else None
                    )
                ):
                    if is_json:
                        return JSONResponse({"status": "error", "message": "CSRF check failed"}, status_code=403)
                    return self.refuse(
                        call, "The form expired or came from another site. Reload the page and try again."
                    )
                call.form = form
            return await handler(call)

        return endpoint
