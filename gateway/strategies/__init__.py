"""Webhook strategies: TradingView, GoCharting, Amibroker and Chartink alerts placed as orders."""

from gateway.strategies.service import SOURCE, StrategyService
from gateway.strategies.store import Loaded, StrategyStore

__all__ = ["SOURCE", "Loaded", "StrategyService", "StrategyStore"]
