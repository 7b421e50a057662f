"""The API documents in `spec/`, parsed once per process.

libyaml's loader reads `openapi.yaml` in about a quarter of the time PyYAML's pure-Python one takes,
and the application, connexion and the Flow editor used to parse it three times over at start-up.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from connexion.spec import OpenAPISpecification, Specification

SPEC_DIR = Path(__file__).resolve().parent.parent / "spec"
SPEC_FILE = SPEC_DIR / "openapi.yaml"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def _parsed(name: str) -> dict[str, Any]:
    return yaml.load((SPEC_DIR / name).read_text(), Loader=_LOADER)  # a safe loader: CSafeLoader or SafeLoader


def spec(name: str = "openapi.yaml") -> dict[str, Any]:
    """A private copy of one document of `spec/`, which the caller may change."""
    return copy.deepcopy(_parsed(name))


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
