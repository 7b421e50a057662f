"""`brokergate strategy ...` without a server: add, list, edit, schedule, logs, remove, and one-line errors."""

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
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db' / 'cli.db'}")
    runner.invoke(app, ["user", "create", "--username", "asha", "--password", "long enough"])
    (tmp_path / "demo.py").write_text("print('demo')\n")
    return tmp_path


def _strategy(*arguments: str):
    return runner.invoke(app, ["strategy", *arguments])


def test_add_list_edit_schedule_and_remove(environment):
    (environment / "demo2.py").write_text("print('second version')\n")

    added = _strategy("add", "demo.py", "--user", "asha")
    edited = _strategy("edit", "demo", "demo2.py", "--user", "asha")
    scheduled = _strategy(
        "schedule", "demo", "--user", "asha", "--days", "mon,wed,fri", "--start", "09:20", "--stop", "15:10"
    )
    listed = _strategy("list", "--user", "asha")
    keys = runner.invoke(app, ["apikey", "show", "--username", "asha"])
    removed = _strategy("remove", "1", "--user", "asha")
    after = _strategy("list", "--user", "asha")
    keys_after = runner.invoke(app, ["apikey", "show", "--username", "asha"])

    assert added.exit_code == 0 and added.output.startswith("added 1\tdemo\tstopped"), added.output
    assert edited.exit_code == 0
    assert "starts mon,wed,fri at 09:20 and stops at 15:10 IST" in scheduled.output
    assert "mon,wed,fri 09:20-15:10" in listed.output
    assert "\tactive\t" in keys.output  # the strategy's own key
    assert removed.exit_code == 0 and "no Python strategies" in after.output
    assert not (environment / "db" / "strategies" / "scripts" / "1.py").exists()  # removed with the strategy
    assert "\tactive\t" not in keys_after.output  # revoked with it


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("add", "missing.py", "--user", "asha"), "is not a file"),
        (("add", "demo.py", "--user", "nobody"), "no user named 'nobody'"),
        (("add", "demo.py", "--user", "asha", "--name", "bad/name"), "A strategy name is"),
        (("start", "demo", "--user", "asha"), "brokergate serve is not running"),
        (("logs", "ghost", "--user", "asha"), "No Python strategy 'ghost'"),
        (("schedule", "ghost", "--user", "asha"), "No Python strategy 'ghost'"),
    ],
)
def test_mistakes_end_with_one_line_and_exit_code_2(environment, arguments, message):
    _strategy("add", "demo.py", "--user", "asha")

    result = _strategy(*arguments)

    assert result.exit_code == 2 and message in " ".join(result.output.split()), result.output
    assert "Traceback" not in result.output


def test_a_syntax_error_names_its_line(environment):
    (environment / "broken.py").write_text("x = 1\nif x\n")

    result = _strategy("add", "broken.py", "--user", "asha")

    assert result.exit_code == 2 and "line 2" in result.output
