"""The login URL carrying state, the auth-code exchange's hash, and when a session ends."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from brokers.fyers import auth
from generated.contract import Account
from generated.errors import ValidationFailed


def _jwt(claims: dict) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln"


def test_the_login_url_carries_the_app_id_redirect_and_state():
    url = auth.login_url("https://api-t1.fyers.in", "ABCD-100", "http://127.0.0.1:5000/fyers/callback", "s t&1")
    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("api-t1.fyers.in", "/api/v3/generate-authcode")
    assert parse_qs(parts.query) == {
        "client_id": ["ABCD-100"],
        "redirect_uri": ["http://127.0.0.1:5000/fyers/callback"],
        "response_type": ["code"],
        "state": ["s t&1"],
    }


def test_the_app_id_hash_is_sha256_of_id_colon_secret():
    assert auth.app_id_hash("ABCD-100", "secret") == hashlib.sha256(b"ABCD-100:secret").hexdigest()


def test_the_auth_code_of_a_redirect():
    assert auth.auth_code_from({"s": "ok", "code": "200", "auth_code": "xyz"}) == "xyz"
    with pytest.raises(ValidationFailed, match="did not succeed"):
        auth.auth_code_from({"s": "error", "code": "-1", "message": "user cancelled"})
    with pytest.raises(ValidationFailed, match="auth_code"):
        auth.auth_code_from({"s": "ok"})


def test_credentials_come_from_the_account_and_missing_ones_are_named():
    account = Account(user_id=1, broker="fyers", credentials={"api_key": "ABCD-100", "api_secret": "s"})
    assert auth.credentials_of(account) == auth.Credentials("ABCD-100", "s")
    with pytest.raises(ValidationFailed, match="api_secret") as raised:
        auth.credentials_of(Account(user_id=1, broker="fyers", credentials={"api_key": "ABCD-100"}))
    assert raised.value.context["field"] == "credentials"


@pytest.mark.parametrize(
    ("now", "ends"),
    [
        (
            datetime(2024, 12, 5, 4, 0, tzinfo=UTC),
            datetime(2024, 12, 5, 21, 30, tzinfo=UTC),
        ),  # 09:30 IST -> 03:00 IST next day
        (
            datetime(2024, 12, 4, 21, 0, tzinfo=UTC),
            datetime(2024, 12, 4, 21, 30, tzinfo=UTC),
        ),  # 02:30 IST -> 03:00 IST today
    ],
)
def test_a_session_without_exp_ends_at_the_next_rollover(now, ends):
    assert auth.session_expiry("not-a-jwt", now) == ends


def test_a_session_ends_at_the_tokens_exp_when_that_is_sooner():
    now = datetime(2024, 12, 5, 4, 0, tzinfo=UTC)
    exp = datetime(2024, 12, 5, 18, 30, tzinfo=UTC)
    assert auth.session_expiry(_jwt({"exp": int(exp.timestamp())}), now) == exp
    later = datetime(2024, 12, 7, 0, 0, tzinfo=UTC)
    assert auth.session_expiry(_jwt({"exp": int(later.timestamp())}), now) == datetime(2024, 12, 5, 21, 30, tzinfo=UTC)


def test_the_session_token_is_the_authorization_header():
    token = auth.session_token("ABCD-100", "eyJ.x.y")
    assert token == "ABCD-100:eyJ.x.y"
    assert auth.split_session_token(token) == ("ABCD-100", "eyJ.x.y")
    assert auth.token_claims(_jwt({"hsm_key": "k"}))["hsm_key"] == "k"
