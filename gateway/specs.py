"""The API documents in `spec/`, parsed once per process.

libyaml's loader reads `openapi.yaml` in about a quarter of the time PyYAML's pure-Python one takes,
and the application, connexion and the Flow editor used to parse it three times over at start-up.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SPEC_DIR = Path(__file__).resolve().parent.parent / "spec"
SPEC_FILE = SPEC_DIR / "openapi.yaml"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def _parsed(name: str) -> dict[str, Any]:
    return yaml.load((SPEC_DIR / name).read_text(), Loader=_LOADER)  # a safe loader: CSafeLoader or SafeLoader


def spec(name: str = "openapi.yaml") -> dict[str, Any]:
    """A private copy of one document of `spec/`, which the caller may change."""
    return copy.deepcopy(_parsed(name))
