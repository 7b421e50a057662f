from brokers.dhan.plugin import DhanPlugin

plugin = DhanPlugin()

__all__ = ["plugin"]
