"""The form login (client id, PIN, TOTP), the session's end, and the simulator's login end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from brokers.dhan import auth
from generated.contract import Account, LoginCallback, LoginStart
from generated.errors import BrokerSessionExpired, NotSupported, ValidationFailed

NOW = datetime(2024, 12, 2, 4, 0, tzinfo=UTC)  # 09:30 IST


def test_client_id_comes_from_the_stored_credentials_or_the_form():
    assert auth.login_fields({"pin": "1234", "totp": "654321"}, {"client_id": "1000000009"}) == (
        "1000000009",
        "1234",
        "654321",
    )
    assert auth.login_fields({"client_id": "7", "pin": "1", "totp": "2"}, None) == ("7", "1", "2")


@pytest.mark.parametrize(
    ("params", "credentials", "field"),
    [
        ({"pin": "1", "totp": "2"}, None, "credentials"),
        ({"totp": "2"}, {"client_id": "7"}, "pin"),
        ({"pin": "1"}, {"client_id": "7"}, "totp"),
    ],
)
def test_a_missing_field_is_named(params, credentials, field):
    with pytest.raises(ValidationFailed) as raised:
        auth.login_fields(params, credentials)
    assert raised.value.context["field"] == field


def test_the_session_ends_at_dhans_expiry_time_in_ist():
    ends = auth.session_expiry("2024-12-03T09:25:00.000", NOW)
    assert ends == datetime(2024, 12, 3, 3, 55, tzinfo=UTC)


def test_the_session_never_outlasts_24_hours_and_falls_back_to_them():
    assert auth.session_expiry("2025-01-01T00:00:00.000", NOW) == NOW + timedelta(hours=24)
    assert auth.session_expiry(None, NOW) == NOW + timedelta(hours=24)
    assert auth.session_expiry("soon", NOW) == NOW + timedelta(hours=24)


def test_the_session_token_keeps_the_client_id_beside_the_access_token():
    assert auth.split_session_token(auth.session_token("1000000009", "eyJ.a.b")) == ("1000000009", "eyJ.a.b")


async def test_there_is_no_login_page(simulator):
    plugin = simulator.plugin()
    account = Account(user_id=1, broker="dhan", credentials=simulator.credentials)
    with pytest.raises(NotSupported):
        await plugin.login_url(account, LoginStart(redirect_url="http://127.0.0.1:5000/dhan/callback", state="s"))


async def test_the_form_login_end_to_end(simulator):
    plugin = simulator.plugin()
    account = Account(user_id=1, broker="dhan", credentials=simulator.credentials)
    before = datetime.now(UTC)
    grant = await plugin.complete_login(account, LoginCallback(params=simulator.login_params()))
    assert grant.token.startswith(f"{simulator.client_id}:")
    assert before + timedelta(hours=23, minutes=59) < grant.valid_until <= datetime.now(UTC) + timedelta(hours=24)
    funds = await plugin.funds(account.model_copy(update={"token": grant.token}))
    assert funds.availablecash > 0


async def test_a_wrong_totp_is_refused(simulator):
    plugin = simulator.plugin()
    account = Account(user_id=1, broker="dhan", credentials=simulator.credentials)
    params = simulator.login_params() | {"totp": "000000" if simulator.login_params()["totp"] != "000000" else "111111"}
    with pytest.raises(ValidationFailed, match="Invalid TOTP"):
        await plugin.complete_login(account, LoginCallback(params=params))


async def test_an_expired_session_is_detected_and_a_new_login_recovers(simulator):
    plugin = simulator.plugin()
    account = simulator.issue_session()
    simulator.expire_sessions()
    with pytest.raises(BrokerSessionExpired):
        await plugin.order_book(account)
    grant = await plugin.complete_login(account, LoginCallback(params=simulator.login_params()))
    assert (await plugin.order_book(account.model_copy(update={"token": grant.token}))).orders == []
