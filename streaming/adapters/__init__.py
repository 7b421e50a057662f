"""Feed adapters built into brokergate; broker plugins ship their own next to their client."""

from streaming.adapters.offline import MarketSource, OfflineAdapter

__all__ = ["MarketSource", "OfflineAdapter"]
