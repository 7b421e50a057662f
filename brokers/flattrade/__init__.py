"""Flattrade (PiConnect) on the Noren family, with its own redirect login (auth.py)."""

from brokers.families.noren import member
from brokers.flattrade.auth import FlattradeLogin

plugin = member(__file__, login=FlattradeLogin())

__all__ = ["plugin"]
