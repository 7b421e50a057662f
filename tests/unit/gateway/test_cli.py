"""The CLI scripts: a user and a key from flags or the environment; user mistakes exit 2 without a traceback."""

import pytest
from typer.testing import CliRunner

from gateway.accounts import Accounts
from gateway.cli import app
from storage import make_engine
from tests.conftest import APP_KEY, PEPPER

runner = CliRunner()


@pytest.fixture
def environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("APP_KEY", APP_KEY)
    monkeypatch.setenv("API_KEY_PEPPER", PEPPER)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    return tmp_path


def test_user_and_key_creation_scripts(environment):
    created = runner.invoke(app, ["user", "create", "--username", "asha", "--password", "long enough"])
    issued = runner.invoke(app, ["apikey", "create", "--username", "asha"])

    assert created.exit_code == 0, created.output
    key = issued.stdout.strip().splitlines()[-1]
    assert len(key) == 64
    shown = runner.invoke(app, ["apikey", "show", "--username", "asha"])
    assert key in shown.stdout


def test_password_from_environment(environment, monkeypatch):
    monkeypatch.setenv("BROKERGATE_PASSWORD", "from the environment")

    assert runner.invoke(app, ["user", "create", "--username", "ravi"]).exit_code == 0


def test_revoke_then_show_marks_key_revoked(environment):
    runner.invoke(app, ["user", "create", "--username", "asha", "--password", "long enough"])
    runner.invoke(app, ["apikey", "create", "--username", "asha"])

    revoked = runner.invoke(app, ["apikey", "revoke", "--username", "asha"])

    assert revoked.exit_code == 0
    assert "revoked" in runner.invoke(app, ["apikey", "show", "--username", "asha"]).stdout


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["user", "create", "--username", "x", "--password", "long enough"], "username must be"),
        (["user", "create", "--username", "asha", "--password", "short"], "at least 8"),
        (["apikey", "create", "--username", "nobody"], "no user named"),
    ],
)
def test_user_mistakes_exit_2_with_a_message(environment, arguments, message):
    result = runner.invoke(app, arguments)

    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_secrets_are_explained(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("APP_KEY", raising=False)
    monkeypatch.delenv("API_KEY_PEPPER", raising=False)

    result = runner.invoke(app, ["db", "upgrade"])

    assert result.exit_code == 2
    assert "APP_KEY is missing" in result.output


def test_broker_credentials_from_openalgos_environment_names(environment, monkeypatch):
    runner.invoke(app, ["user", "create", "--username", "asha", "--password", "long enough"])
    monkeypatch.setenv("BROKER_API_KEY", "the-app-key")
    monkeypatch.setenv("BROKER_API_SECRET", "the-app-secret")

    stored = runner.invoke(app, ["broker", "credentials", "zerodha", "--user", "asha"])
    listed = runner.invoke(app, ["broker", "list"])

    assert stored.exit_code == 0, stored.output
    assert "the-app-secret" not in stored.output
    assert "zerodha\toauth_redirect\tneeds api_key, api_secret" in listed.stdout


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["broker", "credentials", "nosuchbroker", "--user", "asha"], "not an installed live broker"),
        (["broker", "credentials", "zerodha", "--user", "nobody"], "no user named"),
    ],
)
def test_broker_credential_mistakes_exit_2(environment, arguments, message):
    result = runner.invoke(app, arguments)

    assert result.exit_code == 2
    assert message in result.output


def test_password_reset_asks_twice_and_the_new_password_logs_in(environment):
    runner.invoke(app, ["user", "create", "--username", "asha", "--password", "long enough", "--admin"])

    mismatched = runner.invoke(
        app, ["user", "password", "--username", "asha"], input="new secret 1\nother one\nnew secret 1\nnew secret 1\n"
    )
    short = runner.invoke(app, ["user", "password", "--username", "asha"], input="short\nshort\n")
    unknown = runner.invoke(app, ["user", "password", "--username", "nobody"], input="")

    accounts = Accounts(make_engine(f"sqlite:///{environment / 'cli.db'}"), app_key=APP_KEY, api_key_pepper=PEPPER)
    assert mismatched.exit_code == 0, mismatched.output
    assert "do not match" in mismatched.output.lower()
    assert accounts.verify_login("asha", "new secret 1") is not None
    assert accounts.verify_login("asha", "long enough") is None
    assert short.exit_code == 2 and "at least 8" in short.output
    assert unknown.exit_code == 2 and "no user named" in unknown.output
