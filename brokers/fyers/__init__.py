"""Fyers API v3: live trading and market data through Fyers' REST API and its binary data socket."""

from brokers.fyers.plugin import FyersPlugin

plugin = FyersPlugin()

__all__ = ["plugin"]
