"""The Noren family (NorenWClient and its kin): one client, mapping, feed and simulator for every member.

A member is a folder `brokers/<id>/` with `manifest.yaml`, `noren.yaml` (its hosts and wire, see
`profile.py`), a README, and two one-line modules: `__init__.py` (`plugin = member(__file__)`) and
`simulator.py` (`Simulator = simulator_for(__package__)`). A member whose login differs passes its own.
"""

from pathlib import Path
from typing import Any

from brokers.families.noren.auth import QuickAuth, Session
from brokers.families.noren.plugin import NorenPlugin, StreamingNorenPlugin, build
from brokers.families.noren.profile import NorenProfile

__all__ = ["NorenPlugin", "NorenProfile", "QuickAuth", "Session", "StreamingNorenPlugin", "build", "member"]


def member(module_file: str, **options: Any) -> NorenPlugin:
    """The plugin of the member whose package `__init__.py` is `module_file`."""
    return build(Path(module_file).parent, **options)
