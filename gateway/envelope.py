"""The one place an exception becomes brokergate's error envelope.

`{"status": "error", "message": ..., "code": ...}` plus the error's context (`errors`,
`retry_after`, `reason`, `mode`). 5xx are logged with a traceback, 4xx as one line.
"""

from __future__ import annotations

import json
import logging

from connexion.lifecycle import ConnexionResponse
from pydantic import ValidationError as PydanticValidationError
from starlette.exceptions import HTTPException

from gateway.validation import from_pydantic
from gateway.webhooks.tokens import masked_path, masked_text
from generated.errors import BY_CODE, BrokergateError, InternalError

log = logging.getLogger(__name__)

_CODE_FOR_STATUS = {
    400: "VALIDATION_FAILED",
    401: "MISSING_API_KEY",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
}
_CONTEXT_FIELDS = ("errors", "retry_after", "reason", "mode")


def render(error: BrokergateError) -> ConnexionResponse:
    body = {"status": "error", "message": masked_text(error.message), "code": error.code}
    body.update({key: error.context[key] for key in _CONTEXT_FIELDS if error.context.get(key) is not None})
    if "errors" not in body and isinstance(error.context.get("field"), str):
        body["errors"] = {error.context["field"]: [error.message]}  # raised with one field named
    headers = {}
    if error.context.get("retry_after") is not None:
        headers["Retry-After"] = str(max(1, round(error.context["retry_after"])))
    return ConnexionResponse(
        status_code=error.http_status,
        body=json.dumps(body),
        content_type="application/json",
        mimetype="application/json",
        headers=headers,
    )


def brokergate_error(request, error: BrokergateError) -> ConnexionResponse:
    if error.http_status >= 500:
        log.error("%s %s failed: %s", request.method, masked_path(request.url.path), error.code, exc_info=error)
    else:
        log.info("%s %s -> %s %s", request.method, masked_path(request.url.path), error.http_status, error.code)
    return render(error)


def http_error(request, error: HTTPException) -> ConnexionResponse:
    """connexion's and starlette's own errors (validation of parameters, 404, 405, 415)."""
    code = _CODE_FOR_STATUS.get(error.status_code, "INTERNAL_ERROR")
    detail = getattr(error, "detail", None)
    message = detail if isinstance(detail, str) and detail and error.status_code != 404 else None
    return brokergate_error(request, BY_CODE[code](message))


def model_error(request, error: PydanticValidationError) -> ConnexionResponse:
    return brokergate_error(request, from_pydantic(error))


def unexpected_error(request, error: Exception) -> ConnexionResponse:
    log.error("%s %s raised an unexpected error", request.method, masked_path(request.url.path), exc_info=error)
    return render(InternalError())
