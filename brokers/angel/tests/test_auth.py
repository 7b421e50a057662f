"""The form login (client code, PIN, TOTP), the session token, and when a session ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from brokers.angel import auth
from brokers.angel.tests.conftest import http_fixture
from generated.contract import Account, LoginCallback, LoginStart
from generated.errors import BrokerSessionExpired, NotSupported, ValidationFailed


def test_login_body_takes_the_client_code_from_credentials_unless_typed():
    assert auth.login_body({"pin": "1234", "totp": "123456"}, {"client_code": "S1"}) == {
        "clientcode": "S1", "password": "1234", "totp": "123456"
    }  # fmt: skip
    typed = auth.login_body({"client_code": "S2", "pin": "1234", "totp": "123456"}, {"client_code": "S1"})
    assert typed["clientcode"] == "S2"


@pytest.mark.parametrize(
    ("params", "field"),
    [({"totp": "123456"}, "password"), ({"pin": "1234"}, "totp"), ({"pin": "1234", "totp": "12ab56"}, "totp")],
)
def test_login_body_names_what_is_missing(params, field):
    with pytest.raises(ValidationFailed) as raised:
        auth.login_body(params, {"client_code": "S1"})
    assert raised.value.context["field"] == field


def test_session_token_round_trips_and_refuses_garbage():
    session = auth.Session("key", "S1", "a.b.c", "feed")
    assert auth.decode_session(session.encode()) == session
    for token in (None, "", "only:three:parts"):
        with pytest.raises(BrokerSessionExpired):
            auth.decode_session(token)


def test_session_ends_at_the_tokens_exp_or_within_a_day():
    jwt_token = http_fixture("login_ok")["data"]["jwtToken"]
    exp = datetime.fromtimestamp(1764124200, UTC)
    assert auth.session_expiry(jwt_token, exp - timedelta(hours=20)) == exp
    early = exp - timedelta(hours=30)
    assert auth.session_expiry(jwt_token, early) == early + timedelta(hours=24)
    assert auth.session_expiry("not-a-jwt", early) == early + timedelta(hours=24)


async def test_form_login_against_the_simulator(simulator):
    plugin = simulator.plugin(rate_limits=[])
    anonymous = Account(user_id=1, broker="angel", credentials=simulator.credentials)
    with pytest.raises(NotSupported):
        await plugin.login_url(anonymous, LoginStart(redirect_url="http://127.0.0.1:5000/angel/callback", state="s"))
    grant = await plugin.complete_login(anonymous, LoginCallback(params=simulator.login_params()))
    now = datetime.now(UTC)
    assert now < grant.valid_until <= now + timedelta(hours=24)
    account = anonymous.model_copy(update={"token": grant.token})
    assert (await plugin.order_book(account)).orders == []
    simulator.expire_sessions()
    with pytest.raises(BrokerSessionExpired):
        await plugin.order_book(account)


async def test_wrong_totp_is_refused_in_angels_words(simulator):
    plugin = simulator.plugin(rate_limits=[])
    anonymous = Account(user_id=1, broker="angel", credentials=simulator.credentials)
    with pytest.raises(ValidationFailed, match="Invalid totp"):
        await plugin.complete_login(anonymous, LoginCallback(params={"pin": simulator.pin, "totp": "000000"}))


async def test_login_needs_the_api_key(simulator):
    plugin = simulator.plugin(rate_limits=[])
    with pytest.raises(ValidationFailed) as raised:
        await plugin.complete_login(Account(user_id=1, broker="angel"), LoginCallback(params=simulator.login_params()))
    assert raised.value.context["field"] == "credentials"
