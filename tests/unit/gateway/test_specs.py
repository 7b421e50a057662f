"""The spec documents are parsed from YAML once, then read back from their JSON copy while unchanged."""

from __future__ import annotations

import datetime

import pytest
import yaml

from gateway import specs


@pytest.fixture
def spec_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(specs, "SPEC_DIR", tmp_path)
    monkeypatch.setattr(specs, "_CACHE_DIR", tmp_path / "__pycache__")
    specs._parsed.cache_clear()
    yield tmp_path
    specs._parsed.cache_clear()


def test_a_document_is_kept_as_json_and_read_back_unchanged(spec_dir):
    (spec_dir / "webhooks.yaml").write_text((specs.SPEC_FILE.parent / "webhooks.yaml").read_text())
    parsed = specs.spec("webhooks.yaml")
    specs._parsed.cache_clear()
    (kept,) = (spec_dir / "__pycache__").glob("webhooks.yaml.*.json")

    again = specs.spec("webhooks.yaml")

    assert again == parsed == yaml.safe_load((spec_dir / "webhooks.yaml").read_text())
    assert kept.exists()


def test_an_edited_document_is_parsed_again_and_its_old_copy_removed(spec_dir):
    (spec_dir / "a.yaml").write_text("paths: {}\n")
    specs.spec("a.yaml")
    specs._parsed.cache_clear()
    (spec_dir / "a.yaml").write_text("paths: {/ping: {}}\n")

    assert specs.spec("a.yaml") == {"paths": {"/ping": {}}}
    assert len(list((spec_dir / "__pycache__").glob("a.yaml.*.json"))) == 1


def test_a_document_json_would_change_is_not_kept(spec_dir):
    (spec_dir / "dated.yaml").write_text("example: 2026-12-07\n")

    assert specs.spec("dated.yaml") == {"example": datetime.date(2026, 12, 7)}
    assert list((spec_dir / "__pycache__").glob("dated.yaml.*")) == []
