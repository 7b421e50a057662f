"""Zerodha Kite Connect v3: live trading and market data through Kite's REST API and ticker."""

from brokers.zerodha.plugin import ZerodhaPlugin

# No credentials: until the gateway stores each user's api_key and api_secret, login refuses with a
# message naming them; trading calls need only the session token, which arrives with every account.
plugin = ZerodhaPlugin()

__all__ = ["plugin"]
