"""How a Noren request and answer travel: both directions of both wires, so client and simulator agree.

- `jdata` (NorenWClient: Shoonya, Zebu, Tradesmart, Flattrade's PiConnect): a form POST of
  `jData=<the request as JSON>` and, once logged in, `jKey=<session key>`. Answers are JSON: an object
  with `"stat": "Ok"` or `"stat": "Not_Ok"` and `emsg`, or a list of rows for a book.
- `json` (Firstock): a JSON POST of the same request with the session key as `jKey`, each field under
  the broker's own name (the member's `fields` table); answers are `{"status": "success", "data": ...}`
  or `{"status": "failed", "error": {"message": ...}}`, their fields renamed back the same way.

Everything above this module speaks Noren's own field names only.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from brokers.families.noren.profile import NorenProfile

OK, NOT_OK = "Ok", "Not_Ok"


def _renamed(value: Any, table: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {table.get(key, key): _renamed(item, table) for key, item in value.items()}
    if isinstance(value, list):
        return [_renamed(item, table) for item in value]
    return value


def _back(profile: NorenProfile) -> dict[str, str]:
    return {theirs: ours for ours, theirs in profile.fields.items()}


# The client's side


def request_body(profile: NorenProfile, data: dict[str, Any], key: str | None) -> dict[str, Any]:
    """httpx keyword arguments carrying `data` (and the session key) the member's way."""
    if profile.wire == "json":
        return {"json": _renamed(data | ({"jKey": key} if key else {}), profile.fields)}
    form = {"jData": json.dumps(data, separators=(",", ":"))}
    return {"data": form | {"jKey": key} if key else form}


def read_answer(profile: NorenProfile, body: Any) -> tuple[Any, str | None]:
    """(the answer in Noren's names, None) or (None, the failure's text)."""
    if profile.wire == "json":
        if not isinstance(body, dict):
            return None, "an answer that is not a JSON object"
        if str(body.get("status", "")).lower() != "success":
            error = body.get("error") or {}
            return None, str(
                error.get("message") if isinstance(error, dict) else error or body.get("message") or "failed"
            )
        return _renamed(body.get("data"), _back(profile)), None
    if isinstance(body, dict) and body.get("stat") == NOT_OK:
        return None, str(body.get("emsg") or "Not_Ok")
    return body, None


# The simulator's side


def parse_request(profile: NorenProfile, content: bytes) -> tuple[dict[str, Any], str | None]:
    """(the request in Noren's names, the session key or None); ValueError when it is not the wire's shape."""
    if profile.wire == "json":
        data = _renamed(json.loads(content or b"{}"), _back(profile))
        if not isinstance(data, dict):
            raise ValueError("the body is not a JSON object")
        return data, data.pop("jKey", None)
    form = {key: values[-1] for key, values in parse_qs(content.decode()).items()}
    data = json.loads(form.get("jData") or "null")
    if not isinstance(data, dict):
        raise ValueError("jData is not a JSON object")
    return data, form.get("jKey")


def answer_body(profile: NorenProfile, payload: Any) -> Any:
    if profile.wire == "json":
        return {"status": "success", "data": _renamed(payload, profile.fields)}
    if isinstance(payload, dict):
        return {"stat": OK} | payload
    return payload


def failure_body(profile: NorenProfile, message: str) -> dict[str, Any]:
    if profile.wire == "json":
        return {"status": "failed", "error": {"message": message}}
    return {"stat": NOT_OK, "emsg": message}
