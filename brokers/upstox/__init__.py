"""Upstox API v2: live trading and market data through Upstox's REST API and its protobuf market feed."""

from brokers.upstox.plugin import UpstoxPlugin

plugin = UpstoxPlugin()

__all__ = ["plugin"]
