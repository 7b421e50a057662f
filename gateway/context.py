"""What a handler may ask about the request it serves: the caller and the gateway's services."""

from __future__ import annotations

from connexion import request

from gateway.accounts import Principal
from gateway.services import Services

USER = "brokergate.user"
SERVICES = "brokergate.services"


def current_user() -> Principal:
    return request.scope[USER]


def services() -> Services:
    return request.scope[SERVICES]
