"""The broker page: choose a broker, log in through its flow, see the session, log out; the analyzer toggle.

A broker's OAuth callback is believed only when it arrives in a signed-in console session, for the
broker that session started a login with, carrying the `state` issued to it (once, within ten minutes).
OpenAlgo's callback accepted any broker folder, with no session, and signed the visitor in as admin.
"""

from __future__ import annotations

import logging

from starlette.responses import RedirectResponse, Response

from gateway.console.web import Call, Console
from generated.contract import Account, LoginCallback, LoginStart
from generated.errors import BrokergateError

log = logging.getLogger(__name__)
SANDBOX = "sandbox"


def routes(console: Console) -> list[tuple[str, str, object, list[str]]]:
    services = console.services

    def _brokers(user_id: int) -> list[dict]:
        stored = services.credentials.brokers(user_id)
        listed = []
        for broker_id in services.registry.ids():
            if broker_id == SANDBOX:
                continue
            manifest = services.registry.manifest(broker_id)
            data = manifest.data
            listed.append(
                {
                    "id": broker_id,
                    "name": manifest.name,
                    "auth": data.get("auth", "none"),
                    "credentials": data.get("credentials") or [],
                    "login_fields": data.get("login_fields") or [],
                    "has_credentials": broker_id in stored or not data.get("credentials"),
                    "callback": _redirect_url(broker_id),
                    "demo": _demo(broker_id, data),
                }
            )
        return listed

    def _redirect_url(broker_id: str) -> str:
        """Where a broker sends the user back after its login page; the URL to register with the broker."""
        return f"{console.settings.host_server.rstrip('/')}/{broker_id}/callback"

    def _demo(broker_id: str, data: dict) -> dict[str, str] | None:
        """A simulated broker's made-up credentials and login answers, shown so anyone can try its login."""
        simulator = services.simulators.get(broker_id)
        if simulator is None:
            return None
        login = simulator.login_params() if data.get("auth") == "form_totp" else {}
        return dict(simulator.credentials) | login

    def _account(user_id: int, broker_id: str) -> Account:
        return Account(broker=broker_id, user_id=user_id, credentials=services.credentials.get(user_id, broker_id))

    async def broker(call: Call) -> Response:
        user_id = call.session.user_id
        session = services.sessions.latest(user_id)
        return console.render(
            call,
            "broker.html",
            brokers=_brokers(user_id),
            broker_session=session,
            analyze_mode=services.accounts.settings(user_id).analyze_mode,
            error=call.request.query_params.get("error") == "login" and "The broker login did not complete.",
        )

    def _live_broker(call: Call) -> str | None:
        broker_id = str(call.form.get("broker", ""))
        return broker_id if broker_id in services.registry and broker_id != SANDBOX else None

    async def save_credentials(call: Call) -> Response:
        broker_id = _live_broker(call)
        if broker_id is None:
            return console.refuse(call, "Choose one of the installed brokers.", status=400)
        names = services.registry.manifest(broker_id).data.get("credentials") or []
        fields = {name: str(call.form.get(name, "")) for name in names}
        try:
            services.credentials.store(call.session.user_id, broker_id, fields, names)
        except BrokergateError as e:
            return console.refuse(call, e.message, status=400)
        return RedirectResponse("/broker?notice=credentials-saved", status_code=303)

    async def forget_credentials(call: Call) -> Response:
        broker_id = _live_broker(call)
        if broker_id is None:
            return console.refuse(call, "Choose one of the installed brokers.", status=400)
        services.credentials.forget(call.session.user_id, broker_id)
        return RedirectResponse("/broker?notice=credentials-forgotten", status_code=303)

    async def start_login(call: Call) -> Response:
        broker_id = _live_broker(call)
        if broker_id is None:
            return console.refuse(call, "Choose one of the installed brokers; the sandbox needs no login.", status=400)
        name, manifest = services.registry.manifest(broker_id).name, services.registry.manifest(broker_id).data
        account = _account(call.session.user_id, broker_id)
        if manifest.get("credentials") and account.credentials is None:
            return console.refuse(call, f"Save your {name} credentials first.", status=400)
        plugin = services.registry.get(broker_id)
        if manifest.get("auth") == "form_totp":
            # What the user typed (client code, PIN, TOTP) goes to the broker once and is never stored.
            params = {name: str(call.form.get(name, "")).strip() for name in manifest.get("login_fields") or []}
            return await _finish_login(call, broker_id, account, LoginCallback(params=params))
        if manifest.get("auth") == "api_secret":
            # The stored app keys alone open the session (XTS); the user types nothing.
            return await _finish_login(call, broker_id, account, LoginCallback(params={}))
        if manifest.get("auth") != "oauth_redirect":
            return console.refuse(call, f"The {broker_id} plugin has no login flow the console can drive.", status=400)
        state = console.sessions.issue_oauth_state(call.session.id, broker_id)
        try:
            target = await plugin.login_url(account, LoginStart(redirect_url=_redirect_url(broker_id), state=state))
        except BrokergateError as e:
            return console.refuse(call, e.message, status=400)
        return RedirectResponse(target.url, status_code=303)

    async def _finish_login(call: Call, broker_id: str, account: Account, answer: LoginCallback) -> Response:
        try:
            grant = await services.registry.get(broker_id).complete_login(account, answer)
        except BrokergateError as e:
            log.info("the %s login failed: %s", broker_id, e.code)
            return RedirectResponse("/broker?error=login", status_code=303)
        services.sessions.store(call.session.user_id, broker_id, grant.token, grant.valid_until)
        return RedirectResponse("/broker?notice=broker-connected", status_code=303)

    async def callback(call: Call) -> Response:
        broker_id = call.request.path_params["broker"]
        if call.session is None or not call.session.is_verified:
            log.warning("refused a %s callback without a console session", broker_id)
            return console.refuse(call, "A broker login must start from a signed-in console.")
        if broker_id not in services.registry or broker_id == SANDBOX:
            return console.refuse(call, "That broker is not installed.", status=404)
        if not console.sessions.consume_oauth_state(call.session.id, broker_id, call.request.query_params.get("state")):
            log.warning("refused a %s callback with a missing, stale or foreign state", broker_id)
            return console.refuse(call, "The login answer did not match a login started here; start again.")
        params = {key: value for key, value in call.request.query_params.items() if key != "state"}
        answer = LoginCallback(params=params, redirect_url=_redirect_url(broker_id))
        return await _finish_login(call, broker_id, _account(call.session.user_id, broker_id), answer)

    async def broker_logout(call: Call) -> Response:
        services.sessions.revoke(call.session.user_id)
        return RedirectResponse("/broker?notice=broker-disconnected", status_code=303)

    async def analyzer(call: Call) -> Response:
        services.accounts.set_analyze_mode(call.session.user_id, call.form.get("mode") == "analyze")
        return RedirectResponse("/broker?notice=mode-changed", status_code=303)

    guard = console.route
    return [
        ("/broker", "broker", guard("broker", broker), ["GET"]),
        ("/broker/login", "broker_login", guard("broker_login", start_login), ["POST"]),
        ("/broker/credentials", "broker_credentials", guard("broker_credentials", save_credentials), ["POST"]),
        ("/broker/credentials/forget", "broker_credentials_forget", guard("broker_credentials_forget", forget_credentials), ["POST"]),
        ("/broker/logout", "broker_logout", guard("broker_logout", broker_logout), ["POST"]),
        ("/analyzer", "analyzer", guard("analyzer", analyzer), ["POST"]),
        ("/{broker}/callback", "broker_callback", guard("broker_callback", callback, needs_login=False), ["GET"]),
    ]
