"""The httpRequest node's HTTP client: public addresses only, checked after DNS resolution.

A workflow's author picks the URL, so the server must not become a way into its own network. The
host name is resolved here, every address it resolves to is checked (private, loopback,
link-local, reserved, multicast and unspecified ranges are refused, IPv4 inside IPv6 too), and the
request goes to that checked address, with the name kept for the Host header and TLS (SNI and
certificate check). A second resolution by the HTTP library, which a rebinding DNS server could
answer differently, never happens. Redirects are not followed; time and answer size are capped.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

Resolver = Callable[[str, int], Awaitable[list[str]]]
MAX_ANSWER_BYTES = 65_536
MAX_TIMEOUT_SECONDS = 15.0


class UnsafeTarget(Exception):
    """The URL is not http(s), or its host is (or resolves to) an address the node may not reach."""


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


class OutboundHttp:
    def __init__(self, resolver: Resolver = system_resolver, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.resolver = resolver
        self._transport = transport  # tests pass a MockTransport; production uses the network

    async def checked_address(self, url: httpx.URL) -> str:
        if url.scheme not in ("http", "https"):
            raise UnsafeTarget(f"only http and https URLs may be called, not {url.scheme or 'none'}")
        host = url.host
        if not host:
            raise UnsafeTarget("the URL has no host")
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            try:
                addresses = await self.resolver(host, url.port or (443 if url.scheme == "https" else 80))
            except (OSError, UnicodeError) as e:
                raise UnsafeTarget(f"{host} could not be resolved ({e})") from e
        if not addresses:
            raise UnsafeTarget(f"{host} resolves to no address")
        refused = [address for address in addresses if not is_public(address)]
        if refused:
            raise UnsafeTarget(f"{host} resolves to {refused[0]}, which is not a public address")
        return addresses[0]

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        """Send one request to a checked public address; the status and (JSON or text) answer."""
        try:
            target = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as e:
            raise UnsafeTarget(f"{url[:100]!r} is not a URL") from e
        address = await self.checked_address(target)
        pinned = target.copy_with(host=address)
        sent_headers = {key: value for key, value in (headers or {}).items() if key.lower() != "host"}
        sent_headers["Host"] = target.netloc.decode("ascii")
        content = None
        if body is not None and method != "GET":
            content = json.dumps(body).encode()
            sent_headers.setdefault("Content-Type", "application/json")
        seconds = min(max(timeout, 1.0), MAX_TIMEOUT_SECONDS)
        async with httpx.AsyncClient(transport=self._transport, follow_redirects=False, timeout=seconds) as client:
            request = client.build_request(
                method, pinned, headers=sent_headers, content=content, extensions={"sni_hostname": target.host}
            )
            response = await client.send(request, stream=True)
            try:
                raw = b""
                async for chunk in response.aiter_bytes():
                    raw += chunk
                    if len(raw) > MAX_ANSWER_BYTES:
                        raw = raw[:MAX_ANSWER_BYTES]
                        break
            finally:
                await response.aclose()
        try:
            answer: Any = json.loads(raw)
        except ValueError:
            answer = raw.decode("utf-8", "replace")
        return {"status_code": response.status_code, "body": answer}
