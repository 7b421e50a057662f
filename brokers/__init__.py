"""Broker plugins: the registry and one folder per broker."""

from brokers.registry import Manifest, PluginLoadError, Registry

__all__ = ["Manifest", "PluginLoadError", "Registry"]
