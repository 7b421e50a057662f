"""The console's flows through its own forms: setup, login and rotation, TOTP, keys, password, broker, logs."""

from __future__ import annotations

import pyotp

from storage import UserTotp, session_scope
from tests.security.conftest import PASSWORD, csrf_of, log_in, sign_up


def test_first_visit_goes_to_setup_and_setup_happens_once(app, client):
    first = client.get("/", follow_redirects=False)
    sign_up(client)
    client.cookies.clear()
    replay = sign_up(client, username="intruder")

    assert first.headers["location"] == "/setup"
    assert app.services.accounts.verify_login("intruder", PASSWORD) is None
    assert replay.url.path == "/login"
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_setup_signs_the_admin_in_and_leads_to_keys(app, client):
    answer = sign_up(client)

    assert answer.url.path == "/keys"
    assert app.services.accounts.verify_login("admin", PASSWORD).is_admin


def test_login_rotates_the_session_cookie_and_old_cookie_dies(client):
    sign_up(client)
    before = dict(client.cookies)["bg_session"]
    log_in(client)
    after = dict(client.cookies)["bg_session"]
    client.cookies.set("bg_session", before)

    assert before != after
    assert client.get("/keys", follow_redirects=False).status_code == 303


def test_wrong_password_is_401_and_names_nothing(client):
    sign_up(client)
    client.cookies.clear()

    unknown = log_in(client, username="nobody")
    wrong = log_in(client, password="not the password")

    assert unknown.status_code == wrong.status_code == 401
    assert "Wrong username or password." in unknown.text and "Wrong username or password." in wrong.text


def test_logout_revokes_the_session_server_side(client):
    sign_up(client)
    cookie = dict(client.cookies)["bg_session"]
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/keys").text)})
    client.cookies.set("bg_session", cookie)  # a stolen copy of the cookie

    assert client.get("/keys", follow_redirects=False).status_code == 303


def enable_totp(app, client) -> pyotp.TOTP:
    token = csrf_of(client.get("/account").text)
    page = client.post("/account/totp/start", data={"csrf_token": token}).text
    totp = pyotp.TOTP(page.split('id="totp-secret">')[1].split("<")[0])
    client.post("/account/totp/enable", data={"csrf_token": token, "code": totp.now()})
    return totp


def test_totp_is_asked_after_the_password_and_a_code_works_once(app, client):
    sign_up(client)
    totp = enable_totp(app, client)
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/keys").text)})
    with session_scope(app.services.engine) as session:
        row = session.get(UserTotp, 1)
        row.last_counter = 0  # the code used to enable may be reused for this test's login only
        session.add(row)

    pending = log_in(client)
    blocked = client.get("/keys", follow_redirects=False)
    token = csrf_of(client.get("/login/totp").text)
    wrong = client.post("/login/totp", data={"csrf_token": token, "code": "000000"})
    right = client.post("/login/totp", data={"csrf_token": token, "code": totp.now()})

    assert pending.url.path == "/login/totp"
    assert blocked.headers["location"] == "/login"
    assert wrong.status_code == 401
    assert right.url.path == "/" and right.status_code == 200
    assert app.perimeter is not None and "Dashboard" in right.text


def test_totp_secret_is_stored_encrypted(app, client):
    sign_up(client)
    totp = enable_totp(app, client)

    with session_scope(app.services.engine) as session:
        stored = session.get(UserTotp, 1)
    assert stored.is_enabled and totp.secret not in stored.secret_encrypted


def test_password_change_signs_out_other_sessions(app, client):
    sign_up(client)
    other_cookie = dict(client.cookies)["bg_session"]
    log_in(client)
    token = csrf_of(client.get("/account").text)

    answer = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "new_password": "a newer password",
            "confirm": "a newer password",
        },
    )

    assert answer.url.path == "/account" and "Your password was changed" in answer.text
    assert app.services.accounts.verify_login("admin", "a newer password") is not None
    client.cookies.set("bg_session", other_cookie)
    assert client.get("/keys", follow_redirects=False).status_code == 303


def test_keys_are_created_revealed_and_revoked(app, client):
    sign_up(client)
    token = csrf_of(client.get("/keys").text)

    created = client.post("/keys/create", data={"csrf_token": token}).text.split('id="api-key-value">')[1][:64]
    revealed = client.post("/keys/1/reveal", data={"csrf_token": token, "password": PASSWORD}).text
    client.post("/keys/1/revoke", data={"csrf_token": token})

    assert created in revealed
    assert client.post("/api/v1/ping", json={"apikey": created}).json()["code"] == "API_KEY_REVOKED"


def test_analyzer_toggle_and_broker_page(app, client):
    sign_up(client)
    token = csrf_of(client.get("/broker").text)

    client.post("/analyzer", data={"csrf_token": token, "mode": "live"})

    assert app.services.accounts.settings(1).analyze_mode is False
    assert "No broker session" in client.get("/broker").text


def test_log_page_lists_the_users_own_recent_api_calls(client, api_key):
    log_in(client, username="trader")
    client.post("/api/v1/ping", json={"apikey": api_key})

    page = client.get("/logs").text

    assert "/api/v1/ping" in page and api_key not in page


def test_dashboard_data_needs_a_key_and_login(client):
    assert client.get("/console/api/funds").status_code == 401
    sign_up(client)

    assert client.get("/console/api/funds").json()["code"] == "NO_API_KEY"
    assert client.get("/console/api/drop_tables").status_code == 404


def test_security_page_lists_and_lifts_bans(app, client):
    sign_up(client)
    app.perimeter.bans.ban("203.0.113.9", "manual test ban")
    page = client.get("/security").text

    client.post("/security/lift", data={"csrf_token": csrf_of(page), "address": "203.0.113.9"})

    assert "203.0.113.9" in page
    assert app.perimeter.bans.active() == []
