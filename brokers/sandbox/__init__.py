"""The sandbox broker: paper trading against the offline market.

Unlike a live broker's, its plugin needs the gateway's engine and market, so the gateway builds it
(`SandboxPlugin(engine, market)`) and hands it to the registry.
"""

from brokers.sandbox.plugin import SandboxPlugin

plugin = SandboxPlugin

__all__ = ["SandboxPlugin", "plugin"]
