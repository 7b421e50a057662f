"""Console sessions: daily expiry at SESSION_EXPIRY_TIME IST, rotation at login, revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.console.sessions import ConsoleSessions, next_expiry
from storage import ConsoleSession, session_scope
from tests.conftest import far_session_expiry


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 24, 10, 0, tzinfo=UTC), datetime(2026, 11, 24, 21, 30, tzinfo=UTC)),  # 15:30 IST
        (datetime(2026, 11, 24, 21, 29, tzinfo=UTC), datetime(2026, 11, 24, 21, 30, tzinfo=UTC)),
        (datetime(2026, 11, 24, 21, 30, tzinfo=UTC), datetime(2026, 11, 25, 21, 30, tzinfo=UTC)),  # at 03:00 IST
    ],
)
def test_sessions_end_at_the_next_three_am_ist(now, expected):
    assert next_expiry(now, "03:00") == expected


def test_a_custom_expiry_time_is_honoured():
    assert next_expiry(datetime(2026, 1, 1, 0, 0, tzinfo=UTC), "09:15") == datetime(2026, 1, 1, 3, 45, tzinfo=UTC)


@pytest.fixture
def sessions(app) -> ConsoleSessions:
    app.services.accounts.create_user("admin", "a long password")
    return ConsoleSessions(app.services.engine, expiry_time=far_session_expiry())


def test_the_cookie_value_is_not_stored(app, sessions):
    token, row = sessions.create(1, is_verified=True, client_ip="127.0.0.1", user_agent="test")

    with session_scope(app.services.engine) as session:
        stored = session.get(ConsoleSession, row.id)
    assert token not in stored.token_digest and len(stored.token_digest) == 64
    assert sessions.find(token).id == row.id


def test_revoked_and_expired_sessions_are_not_found(app, sessions):
    revoked, row = sessions.create(1, is_verified=True, client_ip="", user_agent="")
    expired, old = sessions.create(1, is_verified=True, client_ip="", user_agent="")
    sessions.revoke(row.id)
    with session_scope(app.services.engine) as session:
        stale = session.get(ConsoleSession, old.id)
        stale.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.add(stale)

    assert sessions.find(revoked) is None
    assert sessions.find(expired) is None
    assert sessions.find("made-up") is None and sessions.find(None) is None


def test_a_pending_totp_session_lasts_minutes_not_a_day(sessions):
    _token, row = sessions.create(1, is_verified=False, client_ip="", user_agent="")

    assert row.expires_at - datetime.now(UTC) <= timedelta(minutes=5)


def test_revoke_all_keeps_only_the_given_session(sessions):
    kept_token, kept = sessions.create(1, is_verified=True, client_ip="", user_agent="")
    other_token, _other = sessions.create(1, is_verified=True, client_ip="", user_agent="")

    assert sessions.revoke_all(1, except_id=kept.id) == 1
    assert sessions.find(kept_token) is not None and sessions.find(other_token) is None


def test_oauth_state_is_single_use_and_bound_to_broker(sessions):
    _token, row = sessions.create(1, is_verified=True, client_ip="", user_agent="")
    state = sessions.issue_oauth_state(row.id, "zerodha")
    other = sessions.issue_oauth_state(row.id, "zerodha")

    assert not sessions.consume_oauth_state(row.id, "zerodha", state)  # replaced by the newer state
    again = sessions.issue_oauth_state(row.id, "zerodha")
    assert not sessions.consume_oauth_state(row.id, "upstox", again)
    assert not sessions.consume_oauth_state(row.id, "zerodha", again)  # the failed try used it up
    fresh = sessions.issue_oauth_state(row.id, "zerodha")
    assert sessions.consume_oauth_state(row.id, "zerodha", fresh)
    assert not sessions.consume_oauth_state(row.id, "zerodha", fresh)
    assert other != state


def test_the_suite_s_console_sessions_outlive_any_test(settings):
    # The daily expiry of the shared settings is kept half a day away, so no test is logged out mid-way at any hour.
    now = datetime.now(UTC)
    assert next_expiry(now, settings.session_expiry_time) - now > timedelta(hours=11)
