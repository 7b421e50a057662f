"""`POST /postback/{broker}`: order updates pushed by brokers, believed only once their signature checks out.

OpenAlgo accepted a forged Dhan postback and put it on its event bus. Here an unknown broker is a 404,
a postback without a valid signature is refused, and a verified one is acknowledged; turning its
payload into an order update is the broker plugin's job, which arrives with each broker.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from brokers import Registry
from gateway.clientip import client_ip
from gateway.observability import note
from gateway.ratelimit import WEBHOOK, RateLimits
from gateway.signatures import SIGNATURE_HEADER, is_valid_signature
from generated.errors import Forbidden

log = logging.getLogger(__name__)


def postback_route(registry: Registry, limits: RateLimits, secret: str):
    async def postback(request: Request) -> Response:
        note(request.scope, route="postback")
        limits.hit(WEBHOOK, "ip:" + client_ip(request.scope))
        broker = request.path_params["broker"]
        if broker not in registry:
            raise HTTPException(404)
        body = await request.body()
        if not secret:
            raise Forbidden("Postbacks are refused until POSTBACK_SECRET is set")
        if not is_valid_signature(secret, body, request.headers.get(SIGNATURE_HEADER)):
            log.warning("refused an unsigned or badly signed postback for %s from %s", broker, client_ip(request.scope))
            raise Forbidden("The postback signature is missing, stale or wrong")
        log.info("verified a postback for %s (%d bytes)", broker, len(body))
        return JSONResponse({"status": "success", "message": "postback verified"}, status_code=202)

    return postback
