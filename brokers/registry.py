"""Find broker plugins: a folder `brokers/<id>/` with a `manifest.yaml`, or a `brokergate.brokers`
entry point of an installed package. Nothing else in brokergate keeps a list of brokers.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)
FOLDER = Path(__file__).resolve().parent
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's where installed


def read_yaml(path: Path) -> Any:
    """Parse a YAML file with a safe loader, libyaml's where installed: start-up reads every manifest,
    and the pure-Python loader takes over ten times as long."""
    return yaml.load(path.read_text(), Loader=SAFE_LOADER)


class PluginLoadError(RuntimeError):
    """A plugin folder or entry point that cannot be loaded; reported loudly, never skipped silently."""


@dataclass(frozen=True)
class Manifest:
    id: str
    name: str
    module: str
    data: dict[str, Any] = field(repr=False)

    @classmethod
    def read(cls, path: Path, module: str) -> Manifest:
        data = read_yaml(path)
        if not isinstance(data, dict) or not {"id", "name"} <= data.keys():
            raise PluginLoadError(f"{path}: a manifest needs at least 'id' and 'name'")
        if data["id"] != path.parent.name and module.startswith("brokers."):
            raise PluginLoadError(f"{path}: id {data['id']!r} must match the folder name {path.parent.name!r}")
        return cls(id=data["id"], name=data["name"], module=module, data=data)


class Registry:
    """The installed brokers, by id; plugins are imported on first use."""

    def __init__(self, manifests: dict[str, Manifest]) -> None:
        self._manifests = manifests
        self._plugins: dict[str, Any] = {}

    def provide(self, broker_id: str, plugin: Any) -> None:
        """Use `plugin` for `broker_id`: for plugins that need the gateway's own parts (the sandbox)."""
        if broker_id not in self._manifests:
            raise PluginLoadError(f"broker {broker_id!r} has no manifest")
        self._plugins[broker_id] = plugin

    @classmethod
    def discover(cls, folder: Path = FOLDER) -> Registry:
        manifests: dict[str, Manifest] = {}
        for path in sorted(folder.glob("*/manifest.yaml")):
            manifest = Manifest.read(path, f"brokers.{path.parent.name}")
            manifests[manifest.id] = manifest
        for entry in entry_points(group="brokergate.brokers"):
            module = importlib.import_module(entry.module)
            path = Path(module.__file__).parent / "manifest.yaml"
            manifest = Manifest.read(path, entry.module)
            if manifest.id in manifests:
                raise PluginLoadError(f"broker {manifest.id!r} is installed twice ({entry.value})")
            manifests[manifest.id] = manifest
        log.info("brokers installed: %s", ", ".join(manifests) or "none")
        return cls(manifests)

    def offer(self, setting: str, always: tuple[str, ...] = ("sandbox",)) -> None:
        """Keep only the brokers a VALID_BROKERS value names (and `always`); empty keeps every installed one.

        A name no installed broker has is refused, so a typo cannot silently hide a broker."""
        wanted = {name.strip().lower() for name in setting.split(",") if name.strip()}
        if not wanted:
            return
        unknown = sorted(wanted - self._manifests.keys())
        if unknown:
            raise PluginLoadError(
                f"VALID_BROKERS names {', '.join(unknown)}, which no installed broker is (installed: {', '.join(self.ids())})"
            )
        self._manifests = {key: value for key, value in self._manifests.items() if key in wanted or key in always}
        self._plugins = {key: value for key, value in self._plugins.items() if key in self._manifests}

    def __contains__(self, broker_id: str) -> bool:
        return broker_id in self._manifests

    def ids(self) -> list[str]:
        return sorted(self._manifests)

    def manifest(self, broker_id: str) -> Manifest:
        return self._manifests[broker_id]

    def get(self, broker_id: str) -> Any:
        """The plugin object exported as `plugin` by the broker's package."""
        if broker_id not in self._plugins:
            module_name = self._manifests[broker_id].module
            try:
                module = importlib.import_module(module_name)
            except Exception as e:
                raise PluginLoadError(f"broker {broker_id!r} failed to import from {module_name}: {e}") from e
            if not hasattr(module, "plugin"):
                raise PluginLoadError(f"broker {broker_id!r}: {module_name} exports no `plugin`")
            self._plugins[broker_id] = module.plugin
        return self._plugins[broker_id]
