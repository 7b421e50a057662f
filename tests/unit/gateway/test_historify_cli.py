"""`brokergate history ...`: download with progress, catalogue, export, import with a report, schedule."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from tests.conftest import APP_KEY, PEPPER

runner = CliRunner()


@pytest.fixture
def environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("APP_KEY", APP_KEY)
    monkeypatch.setenv("API_KEY_PEPPER", PEPPER)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("HISTORY_DATABASE", str(tmp_path / "history.duckdb"))
    runner.invoke(app, ["user", "create", "--username", "asha", "--password", "long enough"])
    return tmp_path


def _history(*arguments: str):
    return runner.invoke(app, ["history", *arguments])


def test_download_twice_then_catalogue_export_and_import(environment):
    # Daily bars of a month long past: the offline market serves ten years back from any today.
    arguments = ["download", "SBIN", "INFY", "-u", "asha", "-i", "D", "--from", "2026-11-02", "--to", "2026-11-27"]

    first = _history(*arguments)
    listed_once = _history("catalogue")
    again = _history(*arguments)
    listed = _history("catalogue")
    exported = _history("export", str(environment / "sbin.csv"), "-s", "SBIN", "-i", "W", "--from", "2026-11-02")
    (environment / "daily.csv").write_text("timestamp,open,high,low,close,volume\n2026-11-20,100,101,99,100.5,10\n")
    imported = _history("import", str(environment / "daily.csv"), "-s", "NEW", "-i", "D")

    assert first.exit_code == 0, first.output
    assert "done" in first.output and "2/2 items" in first.output
    assert again.exit_code == 0 and listed.output == listed_once.output  # no bar twice
    assert "SBIN" in listed.output and "INFY" in listed.output
    assert exported.exit_code == 0 and (environment / "sbin.csv").read_text().startswith("timestamp,open")
    assert imported.exit_code == 0 and "loaded 1 bars" in imported.output


def test_a_bad_file_is_reported_by_row_and_exits_2(environment):
    (environment / "bad.csv").write_text("timestamp,open,high,low,close,volume\n2026-11-20 09:15,1,0.5,1,1,1\n")

    result = _history("import", str(environment / "bad.csv"), "-s", "SBIN")

    assert result.exit_code == 2
    assert "row 1: high is below" in result.output and "nothing was loaded" in result.output


def test_mistakes_exit_2_with_a_message(environment):
    assert "no user named" in _history("download", "SBIN", "-u", "nobody").output
    assert "1m or D" in _history("download", "SBIN", "-u", "asha", "-i", "5m", "--from", "2026-11-02").output
    assert _history("download", "SBIN", "-u", "asha", "--from", "02-11-2026").exit_code == 2


def test_schedule_is_stored_for_the_server(environment):
    scheduled = _history("schedule", "-u", "asha", "-i", "D", "--at", "16:05")
    removed = _history("schedule", "-u", "asha", "-i", "D", "--cancel")

    assert scheduled.exit_code == 0, scheduled.output
    assert "16:05 IST" in scheduled.output
    assert "schedule removed" in removed.output
