"""What one Noren broker is, as data: its hosts, its wire, its login, read from the member folder's `noren.yaml`.

A member folder (`brokers/shoonya/`) holds `manifest.yaml` (the contract's manifest) and `noren.yaml`:

    api_url: https://api.shoonya.com/NorenWClientTP     # the REST root; endpoints are /<root>/<Name>
    feed_url: wss://api.shoonya.com/NorenWSTP/
    master_url: https://api.shoonya.com                  # <master_url>/<EXCH>_symbols.txt.zip
    wire: jdata                                          # jdata (form `jData=` + `jKey=`) or json
    paths: {}                                            # endpoint name -> the broker's path, when it differs
    fields: {}                                           # Noren field -> the broker's name (json wire only)
    upstream: noren                                      # contracts/upstream/<this>.yaml describes the API

Everything a member does not say is the NorenWClient default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brokers.registry import read_yaml

WIRES = ("jdata", "json")


@dataclass(frozen=True)
class NorenProfile:
    broker: str
    api_url: str
    feed_url: str
    master_url: str
    wire: str = "jdata"
    paths: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    upstream: str = "noren"  # the API description under contracts/upstream/ its requests are checked against
    exchanges: tuple[str, ...] = ("NSE", "NFO", "BSE", "BFO", "CDS", "MCX")

    @classmethod
    def read(cls, folder: Path) -> NorenProfile:
        data: dict[str, Any] = read_yaml(folder / "noren.yaml") or {}
        if data.get("wire", "jdata") not in WIRES:
            raise ValueError(f"{folder}/noren.yaml: wire must be one of {', '.join(WIRES)}, not {data['wire']!r}")
        if "exchanges" in data:
            data["exchanges"] = tuple(data["exchanges"])
        return cls(broker=folder.name, **data)

    @property
    def root(self) -> str:
        """The path part of `api_url` (`/NorenWClientTP`), which every endpoint path starts with."""
        return "/" + self.api_url.split("://", 1)[-1].partition("/")[2].strip("/")

    def path(self, endpoint: str) -> str:
        return f"{self.root.rstrip('/')}/{self.paths.get(endpoint, endpoint)}"
