"""Zerodha Kite Connect v3: live trading and market data through Kite's REST API and ticker."""

from brokers.zerodha.plugin import ZerodhaPlugin

# Each user's api_key and api_secret arrive with the account (stored Fernet-encrypted by the gateway).
plugin = ZerodhaPlugin()

__all__ = ["plugin"]
