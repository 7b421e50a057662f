"""Every kind of bad input gets the one envelope, a 4xx and a distinct code; nothing answers 500."""

from datetime import timedelta

import pytest

from storage import utcnow


def assert_envelope(response, status: int, code: str) -> dict:
    body = response.json()
    assert response.status_code == status, body
    assert body["status"] == "error"
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_ping_with_body_key_answers_pong_from_sandbox(client, api_key):
    response = client.post("/api/v1/ping", json={"apikey": api_key})

    assert response.status_code == 200
    assert response.json() == {"status": "success", "data": {"broker": "sandbox", "message": "pong"}}


def test_ping_with_header_key_and_trailing_slash_works(client, api_key):
    response = client.post("/api/v1/ping/", json={}, headers={"X-API-KEY": api_key})

    assert response.status_code == 200


def test_wrong_key_is_403_invalid_api_key_with_openalgo_message(client, api_key):
    body = assert_envelope(client.post("/api/v1/ping", json={"apikey": "f" * 64}), 403, "INVALID_API_KEY")

    assert body["message"] == "Invalid openalgo apikey"


def test_revoked_key_has_its_own_code(app, client, api_key):
    app.services.accounts.revoke_api_keys("trader")

    assert_envelope(client.post("/api/v1/ping", json={"apikey": api_key}), 403, "API_KEY_REVOKED")


def test_expired_broker_session_is_not_an_invalid_key(app, client, api_key):
    user = app.services.accounts.authenticate(api_key)
    app.services.accounts.set_analyze_mode(user.user_id, False)
    app.services.sessions.store(user.user_id, "zerodha", "token-value", utcnow() - timedelta(minutes=1))

    assert_envelope(client.post("/api/v1/ping", json={"apikey": api_key}), 403, "BROKER_SESSION_EXPIRED")


def test_missing_key_is_401(client, api_key):
    assert_envelope(client.post("/api/v1/ping", json={}), 401, "MISSING_API_KEY")


@pytest.mark.parametrize("raw", [b"{bad json", b"\xff\xfe", b'{"apikey": '])
def test_malformed_json_is_400(client, api_key, raw):
    response = client.post(
        "/api/v1/ping", content=raw, headers={"Content-Type": "application/json", "X-API-KEY": api_key}
    )

    assert_envelope(response, 400, "MALFORMED_JSON")


def test_wrong_content_type_is_415(client, api_key):
    response = client.post(
        "/api/v1/ping", content=b"apikey=x", headers={"Content-Type": "text/plain", "X-API-KEY": api_key}
    )

    assert_envelope(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_unknown_field_is_named(client, api_key):
    body = assert_envelope(
        client.post("/api/v1/ping", json={"apikey": api_key, "surprise": 1}), 400, "VALIDATION_FAILED"
    )

    assert body["errors"] == {"surprise": ["Unknown field."]}


def test_body_that_is_not_an_object_is_400(client, api_key):
    response = client.post("/api/v1/ping", json=[1, 2], headers={"X-API-KEY": api_key})

    assert_envelope(response, 400, "VALIDATION_FAILED")


def test_huge_body_is_413_before_it_is_read(client, api_key):
    response = client.post(
        "/api/v1/ping", content=b" " * 2_000_000, headers={"Content-Type": "application/json", "X-API-KEY": api_key}
    )

    assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")


def test_unknown_path_is_404_envelope(client):
    assert_envelope(client.post("/api/v1/strategy/list", json={}), 404, "NOT_FOUND")


def test_wrong_method_is_405_envelope(client):
    assert_envelope(client.get("/api/v1/ping"), 405, "METHOD_NOT_ALLOWED")


def test_boolean_accepts_strings_like_the_sdk_sends(client, api_key):
    response = client.post("/api/v1/analyzer/toggle", json={"apikey": api_key, "mode": "true"})

    assert response.status_code == 200
    assert response.json()["data"]["analyze_mode"] is True


def test_bad_boolean_is_named(client, api_key):
    body = assert_envelope(
        client.post("/api/v1/analyzer/toggle", json={"apikey": api_key, "mode": "perhaps"}), 400, "VALIDATION_FAILED"
    )

    assert body["errors"] == {"mode": ["Not a valid boolean."]}


def test_missing_required_field_is_named(client, api_key):
    body = assert_envelope(client.post("/api/v1/analyzer/toggle", json={"apikey": api_key}), 400, "VALIDATION_FAILED")

    assert body["errors"] == {"mode": ["Missing data for required field."]}
