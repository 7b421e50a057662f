"""What a handler may ask about the request it serves: the caller and the gateway's services."""

from __future__ import annotations

from connexion import request

from gateway.accounts import Principal
from gateway.routing import Route, with_mode
from gateway.services import Services
from generated.contract import Account

USER = "brokergate.user"
SERVICES = "brokergate.services"
answer = with_mode  # handlers add the analyze marker with it


def current_user() -> Principal:
    return request.scope[USER]


def services() -> Services:
    return request.scope[SERVICES]


def routed() -> tuple[Route, Account]:
    """The broker that serves the caller, and the account it acts on."""
    user = current_user()
    route = services().router.route(user)
    return route, route.account(user.user_id)


def idempotency_key() -> str | None:
    return request.headers.get("idempotency-key")
