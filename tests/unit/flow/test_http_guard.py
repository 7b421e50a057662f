"""The httpRequest node reaches public addresses only, checked after DNS resolution, and connects to
the address it checked (so a rebinding DNS answer cannot slip a private address in later)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from gateway.flow.outbound import OutboundHttp, UnsafeTarget, is_public
from tests.unit.flow.conftest import workflow


def _resolving_to(*addresses: str):
    async def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "::ffff:10.0.0.1",
        "100.64.0.1",
        "240.0.0.1",
    ],
)
def test_private_loopback_link_local_reserved_and_multicast_addresses_are_not_public(address):
    assert not is_public(address)


def test_a_literal_loopback_address_is_refused_without_a_request():
    seen = []
    http = OutboundHttp(transport=httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(200)))

    with pytest.raises(UnsafeTarget, match=r"127\.0\.0\.1"):
        asyncio.run(http.request("GET", "http://127.0.0.1:8080/admin"))
    assert seen == []


def test_a_name_resolving_to_a_private_address_is_refused():
    seen = []
    http = OutboundHttp(
        _resolving_to("93.184.216.34", "10.0.0.7"), httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(200))
    )

    with pytest.raises(UnsafeTarget, match=r"10\.0\.0\.7"):
        asyncio.run(http.request("POST", "https://hooks.example.com/x", body={"a": 1}))
    assert seen == []


def test_a_public_name_is_called_at_the_checked_address_with_its_host_header_and_no_redirects():
    seen = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": "http://127.0.0.1/"}, json={"ok": True})

    http = OutboundHttp(_resolving_to("93.184.216.34"), httpx.MockTransport(answer))

    result = asyncio.run(http.request("POST", "https://hooks.example.com/notify?x=1", body={"a": 1}))

    assert result == {"status_code": 302, "body": {"ok": True}}
    assert len(seen) == 1 and seen[0].url.host == "93.184.216.34" and seen[0].url.path == "/notify"
    assert seen[0].headers["Host"] == "hooks.example.com" and seen[0].extensions["sni_hostname"] == "hooks.example.com"


def test_only_http_and_https_are_called():
    with pytest.raises(UnsafeTarget, match="file"):
        asyncio.run(OutboundHttp().request("GET", "file:///etc/passwd"))


def test_a_workflow_calling_loopback_or_a_name_resolving_to_10x_fails_its_node(app, create, trader, monkeypatch):
    actions = app.services.flow.engine.actions
    monkeypatch.setattr(actions.http, "resolver", _resolving_to("10.20.30.40"))
    start = {"id": "start", "type": "manualTrigger"}
    loopback = create(
        workflow(start, {"id": "call", "type": "httpRequest", "data": {"url": "http://127.0.0.1:5000/api/v1/funds"}})
    )["data"]
    rebound = create(
        workflow(start, {"id": "call", "type": "httpRequest", "data": {"url": "http://internal.example.com/"}})
    )["data"]

    runs = [trader("flow/run", workflow_id=created["workflow_id"])["data"] for created in (loopback, rebound)]

    assert [run["status"] for run in runs] == ["failed", "failed"]
    assert "127.0.0.1" in runs[0]["error"] and "10.20.30.40" in runs[1]["error"]
    assert all("not a public address" in run["error"] for run in runs)
