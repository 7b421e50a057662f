"""What one XTS member is: the data in its folder's `xts.yaml`, read once into an `XtsProfile`.

Every broker on Symphony's XTS runs the same interactive and market-data API; members differ in
where it is hosted, the `source` their app keys are issued for, and how a user logs in (straight
with the app keys, or through the broker's page first). A member folder keeps that as data:

    interactive_url: https://ttblaze.iifl.com     # the host serving /interactive/...
    market_url: https://ttblaze.iifl.com          # the host serving /apimarketdata/...
    source: WEBAPI
    login: keys                                   # or `redirect` (the broker's page hands back a key)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from brokers.registry import read_yaml

# Each login kind and the manifest `auth` it is (the console and the kit drive logins by `auth`).
LOGINS = {"keys": "api_secret", "redirect": "oauth_redirect"}


@dataclass(frozen=True, slots=True)
class XtsProfile:
    broker: str
    name: str
    folder: Path
    interactive_url: str
    market_url: str
    source: str = "WEBAPI"
    login: str = "keys"

    @classmethod
    def read(cls, folder: Path) -> XtsProfile:
        data = read_yaml(folder / "xts.yaml")
        manifest = read_yaml(folder / "manifest.yaml")
        login = data.get("login", "keys")
        if login not in LOGINS:
            raise ValueError(f"{folder / 'xts.yaml'}: login must be one of {', '.join(LOGINS)}, not {login!r}")
        if manifest.get("auth") != LOGINS[login]:
            raise ValueError(
                f"{folder / 'manifest.yaml'}: a `{login}` login is auth {LOGINS[login]}, not {manifest.get('auth')!r}"
            )
        return cls(broker=manifest["id"], name=manifest["name"], folder=folder, **data)
