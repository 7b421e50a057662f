"""Tradesmart (v2 API, NorenWClient) as a Noren family member, described by its two YAML files."""

from brokers.families.noren import member

plugin = member(__file__)

__all__ = ["plugin"]
