"""Compositedge on Symphony's XTS: the XTS family's plugin, with Compositedge's hosts (xts.yaml)."""

from brokers.families.xts import member_plugin

plugin = member_plugin(__file__)
__all__ = ["plugin"]
