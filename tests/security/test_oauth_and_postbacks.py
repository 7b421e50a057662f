"""OpenAlgo findings 1 and 2 as attacks: a forged broker callback and a forged order postback must fail."""

from __future__ import annotations

import json
import time

import pytest

from gateway.signatures import SIGNATURE_HEADER, sign
from tests.security.conftest import csrf_of, sign_up
from tests.security.fakebroker import VALID_CODE, plugin

SECRET = "postback-secret-shared-with-the-broker"


@pytest.fixture
def broker_console(broker_app):
    with broker_app.test_client() as client:
        sign_up(client)
        yield broker_app, client


def start_login(client) -> str:
    """Start a broker login from the console; return the state the broker would send back."""
    token = csrf_of(client.get("/broker").text)
    answer = client.post("/broker/login", data={"broker": "fakebroker", "csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303
    return answer.headers["location"].split("state=")[1].split("&")[0]


def broker_session(app):
    return app.services.sessions.latest(1)


def test_callback_without_a_console_session_is_refused_and_signs_nobody_in(broker_app):
    with broker_app.test_client() as stranger:
        answer = stranger.get(f"/fakebroker/callback?code={VALID_CODE}&state=anything", follow_redirects=False)

        assert answer.status_code == 403
        assert broker_session(broker_app) is None
        assert stranger.get("/keys", follow_redirects=False).status_code == 303  # still not signed in


def test_callback_without_state_is_refused(broker_console):
    app, client = broker_console
    start_login(client)

    answer = client.get(f"/fakebroker/callback?code={VALID_CODE}", follow_redirects=False)

    assert answer.status_code == 403
    assert broker_session(app) is None


def test_callback_with_a_forged_state_is_refused(broker_console):
    app, client = broker_console
    start_login(client)

    answer = client.get(f"/fakebroker/callback?code={VALID_CODE}&state=forged", follow_redirects=False)

    assert answer.status_code == 403
    assert broker_session(app) is None


def test_callback_for_a_broker_other_than_the_one_started_is_refused(broker_console):
    app, client = broker_console
    state = start_login(client)

    for broker in ("sandbox", "rmoney", "compositedge"):
        answer = client.get(f"/{broker}/callback?session=%7B%22token%22%3A%22x%22%7D&state={state}")
        assert answer.status_code in (403, 404)
    assert broker_session(app) is None


def test_state_from_another_browser_session_is_refused(broker_app):
    with broker_app.test_client() as victim:
        attacker = broker_app.test_client()  # outside the lifespan: one app runs one lifespan at a time
        sign_up(victim)
        attacker_state = start_login(victim)  # the state belongs to the victim's session only
        answer = attacker.get(f"/fakebroker/callback?code={VALID_CODE}&state={attacker_state}", follow_redirects=False)

    assert answer.status_code == 403
    assert broker_session(broker_app) is None


def test_valid_callback_connects_once_and_its_state_cannot_be_replayed(broker_console):
    app, client = broker_console
    state = start_login(client)

    first = client.get(f"/fakebroker/callback?code={VALID_CODE}&state={state}", follow_redirects=False)
    replay = client.get(f"/fakebroker/callback?code={VALID_CODE}&state={state}", follow_redirects=False)

    assert first.status_code == 303 and first.headers["location"] == "/broker?notice=broker-connected"
    assert broker_session(app).broker == "fakebroker"
    assert replay.status_code == 403
    assert plugin.completed[-1] == {"code": VALID_CODE}  # the state itself is never passed on


def test_broker_token_is_never_rendered(broker_console):
    _app, client = broker_console
    state = start_login(client)
    client.get(f"/fakebroker/callback?code={VALID_CODE}&state={state}")

    page = client.get("/broker").text

    assert "fakebroker" in page
    assert "broker-token-value" not in page


@pytest.fixture
def postback_client(settings):
    from gateway.app import create_app

    settings.postback_secret = SECRET
    with create_app(settings).test_client() as client:
        yield client


ORDER_UPDATE = json.dumps({"orderId": "999", "orderStatus": "TRADED"}).encode()


def post_update(client, headers: dict, broker: str = "sandbox"):
    return client.post(
        f"/postback/{broker}", content=ORDER_UPDATE, headers={"Content-Type": "application/json", **headers}
    )


def test_unsigned_postback_is_refused(postback_client):
    answer = post_update(postback_client, {})

    assert answer.status_code == 403
    assert answer.json()["code"] == "FORBIDDEN"


def test_postback_signed_with_the_wrong_secret_is_refused(postback_client):
    assert post_update(postback_client, {SIGNATURE_HEADER: sign("guessed", ORDER_UPDATE)}).status_code == 403


def test_replayed_old_postback_is_refused(postback_client):
    stale = sign(SECRET, ORDER_UPDATE, timestamp=int(time.time()) - 3600)

    assert post_update(postback_client, {SIGNATURE_HEADER: stale}).status_code == 403


def test_postback_whose_body_was_changed_after_signing_is_refused(postback_client):
    signature = sign(SECRET, b'{"orderId": "1", "orderStatus": "OPEN"}')

    assert post_update(postback_client, {SIGNATURE_HEADER: signature}).status_code == 403


def test_postback_for_an_unknown_broker_is_404(postback_client):
    assert (
        post_update(postback_client, {SIGNATURE_HEADER: sign(SECRET, ORDER_UPDATE)}, broker="nosuchbroker").status_code == 404
    )


def test_correctly_signed_postback_is_accepted(postback_client):
    answer = post_update(postback_client, {SIGNATURE_HEADER: sign(SECRET, ORDER_UPDATE)})

    assert answer.status_code == 202


def test_postbacks_are_refused_while_no_secret_is_configured(client):
    assert post_update(client, {SIGNATURE_HEADER: sign("", ORDER_UPDATE)}).status_code == 403
