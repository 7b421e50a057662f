"""Zebu (MYNT) on the Noren family: its hosts are in noren.yaml, what it offers in manifest.yaml."""

from brokers.families.noren import member

plugin = member(__file__)

__all__ = ["plugin"]
