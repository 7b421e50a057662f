"""Firstock on the Noren family: Noren's fields over Firstock's own JSON API (the `json` wire, noren.yaml)."""

from brokers.families.noren import member

plugin = member(__file__)

__all__ = ["plugin"]
