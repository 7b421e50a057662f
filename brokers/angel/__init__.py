"""Angel One SmartAPI: live trading and market data through SmartAPI's REST API and SmartStream v2."""

from brokers.angel.plugin import AngelPlugin

plugin = AngelPlugin()

__all__ = ["plugin"]
