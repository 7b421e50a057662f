"""Shoonya (Finvasia) on the Noren family: everything it says of itself is in manifest.yaml and noren.yaml."""

from brokers.families.noren import member

plugin = member(__file__)

__all__ = ["plugin"]
