"""A stand-in for the `openalgo` SDK in tests, importable as `openalgo` by a strategy script.

The real SDK needs Python >= 3.12; this one sends exactly what it sends (the wire mirror in
tests/compat/openalgo_sdk.py) over HTTP and, like the SDK, returns the decoded JSON answer, so a
script written for the SDK runs unchanged. Only `api` (the REST client) is provided.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from tests.compat.openalgo_sdk import OpenAlgoWire

__all__ = ["api"]


class api:
    def __init__(self, api_key, host="http://127.0.0.1:5000", version="v1", ws_port=8765, ws_url=None, **_):
        self.base_url = f"{host.rstrip('/')}/api/{version}/"
        self.ws_url = ws_url
        self._wire = OpenAlgoWire(api_key, self._send)

    def _send(self, method: str, endpoint: str, payload: dict):
        url = self.base_url + endpoint
        if method == "GET":
            request = urllib.request.Request(f"{url}?{urllib.parse.urlencode(payload)}")
        else:
            body = json.dumps(payload).encode()
            request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def __getattr__(self, name):
        method = getattr(self._wire, name)

        def call(*args, **kwargs):
            return method(*args, **kwargs)[1]  # the SDK returns the body

        return call
