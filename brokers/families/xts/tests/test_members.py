"""Every XTS member is data on the family: its profile reads, and its logins work on the family simulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from brokers import Registry
from brokers.families.xts import XtsPlugin
from brokers.families.xts.profile import XtsProfile
from brokers.families.xts.simulator import XtsSimulator
from generated.contract import Account, LoginCallback
from generated.errors import BrokerSessionExpired, Forbidden, NotSupported, ValidationFailed

REGISTRY = Registry.discover()
MEMBERS = [
    broker
    for broker in REGISTRY.ids()
    if (Path(REGISTRY.manifest(broker).module.replace(".", "/")) / "xts.yaml").exists()
]


def test_the_six_xts_brokers_are_installed_members():
    assert MEMBERS == ["compositedge", "fivepaisaxts", "iifl", "jainamxts", "rmoney", "wisdom"]


@pytest.mark.parametrize("broker", MEMBERS)
def test_each_member_exports_the_family_plugin_with_its_own_manifest(broker):
    plugin = REGISTRY.get(broker)

    assert isinstance(plugin, XtsPlugin)
    assert plugin.manifest.id == broker == plugin.profile.broker
    assert plugin.profile.interactive_url.startswith("https://")


def test_a_profile_whose_login_disagrees_with_its_manifest_auth_is_refused(tmp_path):
    (tmp_path / "manifest.yaml").write_text("id: odd\nname: Odd\nauth: oauth_redirect\n")
    (tmp_path / "xts.yaml").write_text("interactive_url: https://a\nmarket_url: https://a\nlogin: keys\n")

    with pytest.raises(ValueError, match="a `keys` login is auth api_secret, not 'oauth_redirect'"):
        XtsProfile.read(tmp_path)


async def test_a_key_login_with_a_wrong_secret_is_forbidden_and_a_key_member_has_no_login_page():
    simulator = XtsSimulator(REGISTRY.get("iifl").profile)
    plugin = simulator.plugin()
    account = Account(user_id=1, broker="iifl", credentials=simulator.credentials | {"api_secret": "wrong"})

    with pytest.raises(Forbidden, match="Invalid appKey or secretKey"):
        await plugin.complete_login(account, LoginCallback(params={}))
    with pytest.raises(NotSupported):
        await plugin.login_url(account, {"redirect_url": "http://127.0.0.1:5000/iifl/callback", "state": "s"})
    await simulator.close()


async def test_a_redirect_member_refuses_a_callback_without_its_session_key_and_missing_credentials_are_named():
    simulator = XtsSimulator(REGISTRY.get("compositedge").profile)
    plugin = simulator.plugin()

    with pytest.raises(ValidationFailed, match="carried no session key"):
        await plugin.complete_login(
            Account(user_id=1, broker="compositedge", credentials=simulator.credentials), LoginCallback(params={})
        )
    with pytest.raises(ValidationFailed, match="market_api_key, market_api_secret"):
        await plugin.complete_login(Account(user_id=1, broker="compositedge", credentials={"api_key": "k", "api_secret": "s"}),
                                    LoginCallback(params={"session": "x"}))  # fmt: skip
    await simulator.close()


async def test_a_call_without_a_session_token_is_session_expired():
    plugin = REGISTRY.get("wisdom")

    with pytest.raises(BrokerSessionExpired, match="no wisdom session"):
        await plugin.funds(Account(user_id=1, broker="wisdom", token=None))
