"""Attacks from the network: spoofed client addresses, brute-forced keys, probing, big bodies, traversal."""

from __future__ import annotations

import pytest

from gateway.clientip import ClientAddresses

ATTACKER, VICTIM, PROXY = "203.0.113.7", "198.51.100.20", "10.0.0.2"


def client_from(app, address: str):
    return app.test_client(client=(address, 40000))


def ping(client, api_key: str, **headers):
    return client.post("/api/v1/ping", json={"apikey": api_key}, headers=headers)


def scope(peer: str, headers: dict[str, str]) -> dict:
    return {
        "type": "http",
        "scheme": "http",
        "client": (peer, 1),
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
    }


@pytest.mark.parametrize(
    "header", ["X-Forwarded-For", "X-Real-IP", "CF-Connecting-IP", "True-Client-IP", "X-Client-IP"]
)
def test_forwarding_headers_from_an_untrusted_peer_are_ignored(header):
    addresses = ClientAddresses("")

    assert addresses.resolve(scope(ATTACKER, {header: VICTIM})) == ATTACKER


def test_a_trusted_proxy_is_believed_only_for_its_own_hop():
    addresses = ClientAddresses("10.0.0.0/8")
    # The client put the victim's address first; the proxy appended the address it really saw.
    forged = scope(PROXY, {"X-Forwarded-For": f"{VICTIM}, {ATTACKER}", "True-Client-IP": VICTIM})

    assert addresses.resolve(forged) == ATTACKER


def test_forwarded_proto_counts_only_through_a_trusted_proxy():
    assert ClientAddresses("").resolve(scope(ATTACKER, {"X-Forwarded-Proto": "https"})) == ATTACKER
    trusted = scope(PROXY, {"X-Forwarded-For": ATTACKER, "X-Forwarded-Proto": "https"})
    ClientAddresses("10.0.0.0/8").resolve(trusted)

    assert trusted["brokergate.is_tls"] is True


def test_spoofed_forwarded_for_cannot_frame_another_address_into_a_ban(make_app):
    app, api_key = make_app(ban_invalid_key_limit="3 per hour")
    with client_from(app, ATTACKER) as attacker:
        victim = client_from(app, VICTIM)  # outside the lifespan: one app runs one lifespan at a time
        for _ in range(5):
            ping(attacker, "0" * 64, **{"X-Forwarded-For": VICTIM, "True-Client-IP": VICTIM})

        assert ping(victim, api_key).status_code == 200
        assert ping(attacker, api_key).json()["code"] == "IP_BANNED"


def test_brute_forcing_api_keys_gets_the_address_banned_even_for_a_valid_key(make_app):
    app, api_key = make_app(ban_invalid_key_limit="5 per hour")
    with client_from(app, ATTACKER) as attacker:
        answers = [ping(attacker, f"{guess:064x}").status_code for guess in range(7)]
        banned = ping(attacker, api_key)

    assert answers[:5] == [403] * 5
    assert banned.status_code == 403 and banned.json()["code"] == "IP_BANNED"
    assert [ban.address for ban in app.perimeter.bans.active()] == [ATTACKER]


def test_a_lifted_ban_lets_the_address_back_in(make_app):
    app, api_key = make_app(ban_invalid_key_limit="2 per hour")
    with client_from(app, ATTACKER) as attacker:
        for _ in range(3):
            ping(attacker, "f" * 64)
        app.perimeter.bans.lift(ATTACKER)

        assert ping(attacker, api_key).status_code == 200


def test_loopback_is_never_banned(make_app):
    app, _api_key = make_app(ban_invalid_key_limit="2 per hour")
    with client_from(app, "127.0.0.1") as local:
        for _ in range(5):
            ping(local, "e" * 64)

    assert app.perimeter.bans.active() == []


def test_probing_unknown_paths_gets_the_address_banned(make_app):
    app, _api_key = make_app(ban_not_found_limit="10 per hour")
    with client_from(app, ATTACKER) as attacker:
        statuses = [attacker.get(path).status_code for path in [f"/wp-admin/{n}.php" for n in range(10)]]
        statuses += [attacker.post("/api/v1/admin/export", json={}).status_code]
        after = attacker.get("/login")

    assert set(statuses) == {404}
    assert after.status_code == 403 and after.json()["code"] == "IP_BANNED"


def test_known_pages_are_not_counted_as_probing(make_app):
    app, _api_key = make_app(ban_not_found_limit="1 per hour")
    with client_from(app, ATTACKER) as caller:
        for _ in range(3):
            caller.get("/login")

    assert app.perimeter.bans.active() == []


def test_oversized_declared_body_is_413(client, api_key):
    answer = client.post(
        "/api/v1/ping", content=b"{" + b" " * 2_000_000 + b"}", headers={"Content-Type": "application/json"}
    )

    assert answer.status_code == 413
    assert answer.json()["code"] == "PAYLOAD_TOO_LARGE"


def test_oversized_chunked_body_is_413(client, api_key):
    def chunks():
        for _ in range(40):
            yield b" " * 65536

    answer = client.post("/api/v1/ping", content=chunks(), headers={"Content-Type": "application/json"})

    assert answer.status_code == 413


def test_oversized_console_form_is_413(client):
    answer = client.post("/login", data={"username": "x" * 2_000_000, "password": "y"})

    assert answer.status_code == 413


@pytest.mark.parametrize(
    "path",
    [
        "/static/../../.env",
        "/static/..%2F..%2F.env",
        "/static/%2e%2e/%2e%2e/.env",
        "/static/..%5C..%5C.env",
        "/static/....//....//.env",
        "/static/%252e%252e%252f.env",
        "/static/console.css/../../../gateway/settings.py",
        "/static/templates/base.html",
        "/static/../templates/base.html",
        "/static/.env",
        "/static/",
    ],
)
def test_static_files_cannot_reach_outside_their_folder(client, path):
    answer = client.get(path)

    assert answer.status_code == 404
    assert "APP_KEY" not in answer.text and "{% block" not in answer.text and "class Settings" not in answer.text
