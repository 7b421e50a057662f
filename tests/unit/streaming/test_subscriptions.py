import pytest

from streaming.protocol import InstrumentKey, Mode
from streaming.subscriptions import RegistryChange, SubscriptionRegistry

pytestmark = pytest.mark.websocket

SBIN = InstrumentKey("NSE", "SBIN")


def test_first_subscriber_starts_the_instrument_and_a_higher_mode_upgrades_it():
    registry = SubscriptionRegistry()

    first = registry.add("a", SBIN, Mode.LTP)
    same = registry.add("b", SBIN, Mode.LTP)
    upgrade = registry.add("b", SBIN, Mode.DEPTH)

    assert first == RegistryChange(SBIN, Mode.LTP)
    assert same is None
    assert upgrade == RegistryChange(SBIN, Mode.DEPTH)
    assert dict(registry.recipients(SBIN)) == {"a": Mode.LTP, "b": Mode.DEPTH}


def test_instrument_stops_only_when_its_last_subscriber_across_users_leaves():
    registry = SubscriptionRegistry()
    registry.add("a", SBIN, Mode.QUOTE)
    registry.add("b", SBIN, Mode.QUOTE)

    removed_a, change_a = registry.remove("a", SBIN, None)
    changes_b = registry.remove_client("b")

    assert removed_a and change_a is None
    assert changes_b == [RegistryChange(SBIN, None)]
    assert registry.recipients(SBIN) == () and registry.instruments() == {}


def test_removing_a_mode_not_subscribed_reports_nothing_removed():
    registry = SubscriptionRegistry()
    registry.add("a", SBIN, Mode.QUOTE)

    removed, change = registry.remove("a", SBIN, Mode.LTP)

    assert not removed and change is None
    assert registry.count("a") == 1


def test_a_client_subscribed_at_two_modes_gets_one_recipient_entry_at_the_highest():
    registry = SubscriptionRegistry()
    registry.add("a", SBIN, Mode.LTP)
    registry.add("a", SBIN, Mode.QUOTE)

    registry.remove("a", SBIN, Mode.QUOTE)

    assert registry.recipients(SBIN) == (("a", Mode.LTP),)
    assert registry.subscriptions_of("a") == [(SBIN, Mode.LTP)]
