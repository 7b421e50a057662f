"""Browser attacks: form posts without CSRF tokens or from other sites, framing, sniffing, CORS, cookies."""

from __future__ import annotations

import pytest

from gateway.csrf import CsrfTokens
from tests.conftest import APP_KEY
from tests.security.conftest import csrf_of, sign_up


def key_count(app) -> int:
    return len(app.services.accounts.api_keys("admin"))


def test_form_post_without_csrf_token_is_refused_and_changes_nothing(app, console):
    answer = console.post("/keys/create", data={})

    assert answer.status_code == 403
    assert key_count(app) == 0


def test_form_post_with_a_token_of_another_session_is_refused(app, console):
    foreign_token = CsrfTokens(APP_KEY).token("the cookie of some other browser")

    assert console.post("/keys/create", data={"csrf_token": foreign_token}).status_code == 403
    assert key_count(app) == 0


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}],
)
def test_cross_site_post_with_a_valid_token_is_still_refused(app, console, headers):
    token = csrf_of(console.get("/keys").text)

    assert console.post("/keys/create", data={"csrf_token": token}, headers=headers).status_code == 403
    assert key_count(app) == 0


def test_same_origin_post_with_the_token_works(app, console):
    token = csrf_of(console.get("/keys").text)

    answer = console.post("/keys/create", data={"csrf_token": token}, headers={"Origin": "http://testserver"})

    assert answer.status_code == 200
    assert key_count(app) == 1


def test_logout_without_csrf_token_keeps_the_session(console):
    console.post("/logout", data={})

    assert console.get("/keys", follow_redirects=False).status_code == 200


def test_setup_and_login_forms_need_a_token_too(app, client):
    assert (
        client.post("/setup", data={"username": "admin", "password": "p" * 12, "confirm": "p" * 12}).status_code == 403
    )
    assert app.perimeter is not None and app.services.accounts.api_keys  # setup did not run
    sign_up(client)
    client.cookies.clear()

    assert client.post("/login", data={"username": "admin", "password": "p" * 12}).status_code == 403


def test_json_actions_need_the_csrf_header(console):
    answer = console.post("/console/api/cancelallorder", data={"payload": "{}"})

    assert answer.status_code == 403
    assert answer.json()["message"] == "CSRF check failed"


@pytest.mark.parametrize("path", ["/login", "/setup", "/api/v1/openapi.json", "/health", "/nothing-here"])
def test_every_response_carries_the_security_headers(client, path):
    headers = client.get(path).headers

    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "strict-transport-security" not in headers  # plain HTTP: HSTS would be ignored or harmful


def test_console_policy_allows_no_inline_script_or_remote_origin(client):
    policy = client.get("/login").headers["content-security-policy"]

    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy and "http" not in policy


def test_console_pages_load_no_remote_assets(console):
    for path in ("/", "/keys", "/broker", "/account", "/logs", "/security"):
        page = console.get(path).text
        assert 'src="http' not in page and 'href="http' not in page and "<script>" not in page


def test_hsts_and_secure_cookies_on_tls(settings):
    from gateway.app import create_app

    app = create_app(settings.model_copy(update={"host_server": "https://gateway.example"}))
    with app.test_client(base_url="https://gateway.example") as client:
        token = csrf_of(client.get("/setup").text)
        answer = client.post(
            "/setup",
            data={"username": "admin", "password": "p" * 12, "confirm": "p" * 12, "csrf_token": token},
            follow_redirects=False,
        )

    cookie = answer.headers["set-cookie"]
    assert answer.headers["strict-transport-security"].startswith("max-age=")
    assert cookie.startswith("__Host-bg_session=") and "Secure" in cookie and "HttpOnly" in cookie


def test_session_cookie_is_httponly_and_samesite(client):
    token = csrf_of(client.get("/setup").text)
    answer = client.post(
        "/setup",
        data={"username": "admin", "password": "p" * 12, "confirm": "p" * 12, "csrf_token": token},
        follow_redirects=False,
    )

    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie


def test_cors_is_off_by_default_even_for_preflight(client):
    preflight = client.options(
        "/api/v1/ping", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    simple = client.post("/api/v1/ping", json={}, headers={"Origin": "https://evil.example"})

    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in simple.headers


def test_cors_allows_only_the_listed_origins(settings, api_key):
    from gateway.app import create_app

    app = create_app(settings.model_copy(update={"cors_allowed_origins": "https://charts.example"}))
    with app.test_client() as client:
        allowed = client.options(
            "/api/v1/ping", headers={"Origin": "https://charts.example", "Access-Control-Request-Method": "POST"}
        )
        refused = client.post("/api/v1/ping", json={}, headers={"Origin": "https://evil.example"})
        console = client.get("/login", headers={"Origin": "https://charts.example"})

    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == "https://charts.example"
    assert "access-control-allow-credentials" not in allowed.headers
    assert "access-control-allow-origin" not in refused.headers
    assert "access-control-allow-origin" not in console.headers


def test_a_wildcard_cors_origin_is_refused_at_start(settings):
    with pytest.raises(ValueError, match="CORS_ALLOWED_ORIGINS"):
        type(settings)(
            app_key=settings.app_key, api_key_pepper=settings.api_key_pepper, cors_allowed_origins="*", _env_file=None
        )


def test_api_key_is_not_in_any_page_until_revealed(app, console):
    token = csrf_of(console.get("/keys").text)
    api_key = console.post("/keys/create", data={"csrf_token": token}).text.split('id="api-key-value">')[1][:64]

    pages = [console.get(path).text for path in ("/", "/keys", "/broker", "/account", "/logs", "/security")]
    wrong = console.post("/keys/1/reveal", data={"csrf_token": token, "password": "wrong password"}).text
    right = console.post("/keys/1/reveal", data={"csrf_token": token, "password": "correct horse battery"})

    assert all(api_key not in page for page in pages)
    assert api_key not in wrong
    assert api_key in right.text and right.headers["cache-control"] == "no-store"
