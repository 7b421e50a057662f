"""The sandbox broker: paper trading against the offline market."""

from brokers.sandbox.plugin import plugin

__all__ = ["plugin"]
