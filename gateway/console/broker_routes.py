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

    def _brokers() -> list[dict]:
        listed = []
        for broker_id in services.registry.ids():
            manifest = services.registry.manifest(broker_id)
            listed.append({"id": broker_id, "name": manifest.name})
        return listed

    async def broker(call: Call) -> Response:
        user_id = call.session.user_id
        session = services.sessions.latest(user_id)
        return console.render(
            call,
            "broker.html",
            brokers=_brokers(),
            broker_session=session,
            analyze_mode=services.accounts.settings(user_id).analyze_mode,
            error=call.request.query_params.get("error") == "login" and "The broker login did not complete.",
        )

    async def start_login(call: Call) -> Response:
        broker_id = str(call.form.get("broker", ""))
        if broker_id not in services.registry or broker_id == SANDBOX:
            return console.refuse(call, "Choose one of the installed brokers; the sandbox needs no login.", status=400)
        plugin = services.registry.get(broker_id)
        if not hasattr(plugin, "login_url"):
            return console.refuse(call, f"The {broker_id} plugin has no login flow yet.", status=400)
        state = console.sessions.issue_oauth_state(call.session.id, broker_id)
        redirect_url = f"{console.settings.host_server.rstrip('/')}/{broker_id}/callback"
        account = Account(broker=broker_id, user_id=call.session.user_id)
        target = await plugin.login_url(account, LoginStart(redirect_url=redirect_url, state=state))
        return RedirectResponse(target.url, status_code=303)

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
        account = Account(broker=broker_id, user_id=call.session.user_id)
        params = {key: value for key, value in call.request.query_params.items() if key != "state"}
        try:
            grant = await services.registry.get(broker_id).complete_login(account, LoginCallback(params=params))
        except BrokergateError as e:
            log.info("the %s login failed: %s", broker_id, e.code)
            return RedirectResponse("/broker?error=login", status_code=303)
        services.sessions.store(call.session.user_id, broker_id, grant.token, grant.valid_until)
        return RedirectResponse("/broker?notice=broker-connected", status_code=303)

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
        ("/broker/logout", "broker_logout", guard("broker_logout", broker_logout), ["POST"]),
        ("/analyzer", "analyzer", guard("analyzer", analyzer), ["POST"]),
        ("/{broker}/callback", "broker_callback", guard("broker_callback", callback, needs_login=False), ["GET"]),
    ]
