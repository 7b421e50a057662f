"""The XTS family (Symphony Fintech's interactive and market-data API): one plugin and one simulator for
every member, parameterised by the data in the member's folder (`xts.yaml` beside `manifest.yaml`).

A member's `__init__.py` is `plugin = member_plugin(__file__)`; its `simulator.py` is
`Simulator = member_simulator(__file__)`.
"""

from __future__ import annotations

from pathlib import Path

from brokers.families.xts.plugin import XtsPlugin
from brokers.families.xts.profile import XtsProfile


def member_plugin(member_file: str) -> XtsPlugin:
    """The plugin of the member whose folder holds `member_file`."""
    return XtsPlugin(XtsProfile.read(Path(member_file).resolve().parent))


def member_simulator(member_file: str):
    """The simulator class of the member whose folder holds `member_file`, ready to be called with no arguments."""
    from brokers.families.xts.simulator import simulator_for

    return simulator_for(XtsProfile.read(Path(member_file).resolve().parent))


__all__ = ["XtsPlugin", "XtsProfile", "member_plugin", "member_simulator"]
