"""Jainam Broking on Symphony's XTS: the XTS family's plugin, with Jainam's XTS hosts (xts.yaml)."""

from brokers.families.xts import member_plugin

plugin = member_plugin(__file__)
__all__ = ["plugin"]
