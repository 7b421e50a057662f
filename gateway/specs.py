"""The API documents in `spec/`, parsed once per process.

libyaml's loader reads `openapi.yaml` in about a quarter of the time PyYAML's pure-Python one takes,
and the application, connexion and the Flow editor used to parse it three times over at start-up.
Even so it took a quarter of a second, so the parsed document is also kept as JSON in
`spec/__pycache__/`, named by the YAML's hash (as Python keeps bytecode), which loads in a few ms.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from connexion.spec import OpenAPISpecification, Specification

from brokers.registry import SAFE_LOADER

SPEC_DIR = Path(__file__).resolve().parent.parent / "spec"
SPEC_FILE = SPEC_DIR / "openapi.yaml"


_CACHE_DIR = SPEC_DIR / "__pycache__"


@cache
def _parsed(name: str) -> dict[str, Any]:
    text = (SPEC_DIR / name).read_bytes()
    cached = _CACHE_DIR / f"{name}.{hashlib.sha256(text).hexdigest()[:24]}.json"
    try:
        return json.loads(cached.read_bytes())
    except (OSError, ValueError):
        pass
    document = yaml.load(text, Loader=SAFE_LOADER)
    _keep(document, name, cached)
    return document


def _keep(document: dict[str, Any], name: str, cached: Path) -> None:
    """Store `document` as JSON when JSON gives it back unchanged (no dates, no number keys)."""
    try:
        encoded = json.dumps(document)
    except (TypeError, ValueError):  # a date, say
        return
    if json.loads(encoded) != document:  # number keys come back as strings
        return
    try:
        _CACHE_DIR.mkdir(exist_ok=True)
        for stale in _CACHE_DIR.glob(f"{name}.*.json"):
            stale.unlink(missing_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}")
        partial.write_text(encoded)
        partial.replace(cached)  # whole or not at all, whichever process writes it
    except OSError:
        pass  # a read-only install parses the YAML at every start


def spec(name: str = "openapi.yaml") -> dict[str, Any]:
    """A private copy of one document of `spec/`, which the caller may change."""
    return copy.deepcopy(_parsed(name))


METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Each operation of an OpenAPI document: its path, its method and the operation itself."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:  # an item also holds `parameters`, `summary`, ...
                yield path, method, operation


@contextmanager
def checked_in_tests() -> Iterator[None]:
    """Inside, connexion takes a spec as valid without checking it against the OpenAPI schema.

    That check takes a third of a second at every start, for documents that ship with the code and
    that `tests/contract/test_spec.py` puts through the same check (`connexion_check`).
    """
    check = Specification.__dict__["_validate_spec"]
    Specification._validate_spec = classmethod(lambda cls, spec: None)
    try:
        yield
    finally:
        Specification._validate_spec = check


def connexion_check(document: dict[str, Any]) -> None:
    """Connexion's own check of a spec (OpenAPI schema and defaults); raises InvalidSpecification."""
    OpenAPISpecification._validate_spec(document)
