"""Rate limits: every route is limited, by address and by key owner, and a refusal is a 429 envelope."""

from __future__ import annotations

import pytest

from gateway.ratelimit import API, GREEKS, ORDERS, SMART_ORDERS, limit_class
from tests.security.conftest import csrf_of

ATTACKER = "203.0.113.7"


@pytest.mark.parametrize(
    ("operation_id", "expected"),
    [
        ("handlers.orders.placeorder", ORDERS),
        ("handlers.orders.modifyorder", ORDERS),
        ("handlers.orders.cancelorder", ORDERS),
        ("handlers.options.optionsmultiorder", ORDERS),
        ("handlers.gtt.cancelgttorder", ORDERS),
        ("handlers.orders.placesmartorder", SMART_ORDERS),
        ("handlers.options.optiongreeks", GREEKS),
        ("handlers.orders.cancelallorder", API),
        ("handlers.system.ping", API),
        ("handlers.future.an_endpoint_added_next_year", API),
        (None, API),
    ],
)
def test_operations_map_to_openalgo_classes(operation_id, expected):
    assert limit_class(operation_id) == expected


def test_over_the_limit_is_429_with_retry_after_and_the_envelope(make_app):
    app, api_key = make_app(api_rate_limit="3 per minute")
    with app.test_client() as client:
        answers = [client.post("/api/v1/ping", json={"apikey": api_key}) for _ in range(4)]

    refused = answers[-1]
    assert [answer.status_code for answer in answers[:3]] == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json()["code"] == "RATE_LIMITED" and refused.json()["status"] == "error"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert 0 < refused.json()["retry_after"] <= 60


def test_every_window_of_a_class_applies(make_app):
    app, api_key = make_app(api_rate_limit="100 per second;2 per hour")
    with app.test_client() as client:
        statuses = [client.post("/api/v1/ping", json={"apikey": api_key}).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_one_key_spread_over_many_addresses_shares_its_budget(make_app):
    app, api_key = make_app(api_rate_limit="2 per minute")
    # One app serves one lifespan at a time, so the other addresses' clients do not enter it.
    with app.test_client(client=("198.51.100.1", 1)) as first:
        statuses = [first.post("/api/v1/ping", json={"apikey": api_key}).status_code]
        for address in ("198.51.100.2", "198.51.100.3"):
            other = app.test_client(client=(address, 1))
            statuses.append(other.post("/api/v1/ping", json={"apikey": api_key}).status_code)

    assert statuses == [200, 200, 429]


def test_one_address_cannot_exhaust_another_addresses_budget(make_app):
    app, api_key = make_app(api_rate_limit="2 per minute")
    with app.test_client(client=(ATTACKER, 1)) as attacker:
        for _ in range(5):
            attacker.post("/api/v1/ping", json={})
        honest = app.test_client(client=("198.51.100.9", 1))

        assert honest.post("/api/v1/ping", json={"apikey": api_key}).status_code == 200


def test_unknown_paths_and_console_pages_are_limited_too(make_app):
    app, _api_key = make_app(api_rate_limit="2 per minute", ban_not_found_limit="1000 per hour")
    with app.test_client() as client:
        statuses = [client.get(path).status_code for path in ("/login", "/no-such-page", "/login")]

    assert statuses == [200, 404, 429]


def test_console_login_is_limited_by_login_rate_limit(make_app):
    app, _api_key = make_app(login_rate_limit="2 per minute")
    with app.test_client() as client:
        token = csrf_of(client.get("/login").text)
        statuses = [
            client.post(
                "/login", data={"username": "trader", "password": "wrong guess", "csrf_token": token}
            ).status_code
            for _ in range(3)
        ]

    assert statuses == [401, 401, 429]


def test_a_moving_window_frees_a_slot_as_its_oldest_hit_ages_out(monkeypatch):
    from gateway import ratelimit

    clock = [1000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock[0])
    windows = ratelimit.MovingWindows()

    first, second = windows.hit(2, 1.0, ("k",)), windows.hit(2, 1.0, ("k",))
    clock[0] += 0.4
    refused = windows.hit(2, 1.0, ("k",))
    clock[0] += 0.61
    later = windows.hit(2, 1.0, ("k",))

    assert (first, second, later) == (0.0, 0.0, 0.0)
    assert refused == pytest.approx(0.6)


def test_a_generous_moving_window_holds_only_the_hits_inside_it(monkeypatch):
    from gateway import ratelimit

    clock = [1000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock[0])
    windows = ratelimit.MovingWindows()

    for _ in range(5000):  # 50 s of steady traffic, 100 hits a second, under a limit of a million a second
        assert windows.hit(1_000_000, 1.0, ("k",)) == 0.0
        clock[0] += 0.01

    assert windows.held() <= 101
