"""QuickAuth sends hashes, never the password; sessions end at the next 05:00 IST; odd order ids never leave."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from brokers.families.noren.auth import QuickAuth, session_expiry, sha256
from brokers.shoonya.simulator import Simulator
from generated.contract import OrderRef
from generated.errors import ValidationFailed


class _Recorder:
    def __init__(self) -> None:
        self.sent: dict = {}

    async def login(self, endpoint: str, data: dict) -> dict:
        self.sent = data
        return {"susertoken": "abc123", "actid": "FA12345"}


async def test_quickauth_sends_the_sha256_of_the_password_and_of_uid_and_key():
    recorder = _Recorder()
    credentials = {"user_id": "FA12345", "api_key": "secret-key", "vendor_code": "FA12345_U"}

    session = await QuickAuth().log_in("shoonya", recorder, credentials, {"password": "pw", "totp": "123456"})

    assert recorder.sent["pwd"] == sha256("pw") and recorder.sent["appkey"] == sha256("FA12345|secret-key")
    assert "pw" not in recorder.sent.values() and session.key == "abc123"


async def test_quickauth_refuses_a_totp_that_is_not_six_digits_before_calling():
    with pytest.raises(ValidationFailed, match="6-digit"):
        await QuickAuth().log_in("shoonya", _Recorder(), {"user_id": "u", "api_key": "k", "vendor_code": "v"},
                                 {"password": "pw", "totp": "12ab"})  # fmt: skip


@pytest.mark.parametrize(
    ("logged_in", "ends"),
    [
        (datetime(2026, 12, 4, 3, 0, tzinfo=UTC), datetime(2026, 12, 4, 23, 30, tzinfo=UTC)),  # 08:30 IST
        (datetime(2026, 12, 3, 23, 0, tzinfo=UTC), datetime(2026, 12, 3, 23, 30, tzinfo=UTC)),  # 04:30 IST
    ],
)
def test_a_session_lasts_until_the_next_rollover(logged_in, ends):
    assert session_expiry(logged_in) == ends


async def test_an_order_id_no_broker_issues_is_refused_before_it_is_sent():
    simulator = Simulator()
    try:
        with pytest.raises(ValidationFailed):
            await simulator.plugin().cancel_order(simulator.issue_session(), OrderRef(orderid="\u00821\u00e6"))
        assert not simulator.requests
    finally:
        await simulator.close()
