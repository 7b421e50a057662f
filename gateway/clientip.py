"""The address of the client behind a request: the socket's peer, unless that peer is a trusted proxy.

OpenAlgo believed `CF-Connecting-IP` and `True-Client-IP` from anyone once proxy headers were on, so a
client could dodge bans or frame another address. Here only `X-Forwarded-For` is read, and only when the
socket peer is inside `TRUSTED_PROXIES`; the header is walked from the right, skipping the trusted hops,
and the first address a trusted proxy vouched for is the client. Other forwarding headers are ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import Scope

CLIENT_IP = "brokergate.client_ip"
IS_TLS = "brokergate.is_tls"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str, *, setting: str) -> tuple[Network, ...]:
    """Parse comma-separated CIDRs (a bare address is a /32 or /128); name `setting` when one is wrong."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{setting} must list CIDRs such as 10.0.0.0/8; {item!r} is not one") from None
    return tuple(networks)


def is_inside(address: str, networks: Iterable[Network]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


class ClientAddresses:
    """Resolve and remember (in the ASGI scope) the client address and whether the client used TLS."""

    def __init__(self, trusted_proxies: str) -> None:
        self._trusted = parse_networks(trusted_proxies, setting="TRUSTED_PROXIES")
        # Without trusted proxies (the default) the answer is the peer; skip every header scan.
        self._cache: dict[str, bool] = {}

    def resolve(self, scope: Scope) -> str:
        if (known := scope.get(CLIENT_IP)) is not None:
            return known
        client = scope.get("client")
        peer = client[0] if client else "unknown"
        address, is_tls = peer, scope.get("scheme") == "https"
        if self._trusted and self._is_trusted(peer):
            address, is_tls = self._forwarded(scope, peer, is_tls)
        scope[CLIENT_IP], scope[IS_TLS] = address, is_tls
        return address

    def _is_trusted(self, address: str) -> bool:
        if (answer := self._cache.get(address)) is None:
            if len(self._cache) > 4096:  # peers are few in practice; keep the memo bounded anyway
                self._cache.clear()
            answer = self._cache[address] = is_inside(address, self._trusted)
        return answer

    def _forwarded(self, scope: Scope, peer: str, is_tls: bool) -> tuple[str, bool]:
        forwarded_for: list[str] = []
        protocol = None
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                forwarded_for.extend(part.strip() for part in value.decode("latin-1").split(","))
            elif name == b"x-forwarded-proto":
                protocol = value.decode("latin-1").split(",")[-1].strip().lower()
        address = peer
        for hop in reversed([hop for hop in forwarded_for if hop]):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                break  # a malformed hop ends what can be believed
            address = hop
            if not self._is_trusted(hop):
                break
        return address, (protocol == "https") if protocol else is_tls


def client_ip(scope: Scope) -> str:
    """The address resolved earlier in the stack, or the socket peer when nothing resolved it."""
    if (known := scope.get(CLIENT_IP)) is not None:
        return known
    client = scope.get("client")
    return client[0] if client else "unknown"
