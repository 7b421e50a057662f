"""Who is subscribed to what: per-connection subscriptions with a reference count per instrument.

The registry is keyed by connection, never by (symbol, exchange, mode) alone, so a tick can only
reach connections that asked for it, and the feed is told to drop an instrument only when its last
subscriber, across every user, has left (OpenAlgo leaks the broker subscription in that case).
For the hot path it keeps, per instrument, a ready list of (connection, highest mode) pairs.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from streaming.protocol import InstrumentKey, Mode

__all__ = ["RegistryChange", "SubscriptionRegistry"]


@dataclass(frozen=True, slots=True)
class RegistryChange:
    """What the feed must do after a registry update: start, raise the mode of, or stop an instrument."""

    instrument: InstrumentKey
    feed_mode: Mode | None  # None: nobody is subscribed any more; stop the instrument


class SubscriptionRegistry:
    """Subscriptions of every connection, indexed both ways."""

    def __init__(self) -> None:
        self._by_instrument: dict[InstrumentKey, dict[Hashable, set[Mode]]] = {}
        self._by_client: dict[Hashable, set[InstrumentKey]] = {}
        self._recipients: dict[InstrumentKey, tuple[tuple[Hashable, Mode], ...]] = {}
        self._feed_modes: dict[InstrumentKey, Mode] = {}

    def count(self, client: Hashable) -> int:
        """Return how many instruments a connection is subscribed to."""
        return len(self._by_client.get(client, ()))

    def modes(self, client: Hashable, instrument: InstrumentKey) -> set[Mode]:
        return set(self._by_instrument.get(instrument, {}).get(client, ()))

    def subscriptions_of(self, client: Hashable) -> list[tuple[InstrumentKey, Mode]]:
        """Return each instrument a connection follows, with the highest mode it asked for."""
        return [
            (instrument, max(self._by_instrument[instrument][client]))
            for instrument in self._by_client.get(client, ())
        ]

    def recipients(self, instrument: InstrumentKey) -> tuple[tuple[Hashable, Mode], ...]:
        """Return each subscribed connection with the highest mode it asked for; one frame each."""
        return self._recipients.get(instrument, ())

    def instruments(self) -> dict[InstrumentKey, Mode]:
        """Return every instrument somebody is subscribed to, with the highest mode needed."""
        return dict(self._feed_modes)

    def add(self, client: Hashable, instrument: InstrumentKey, mode: Mode) -> RegistryChange | None:
        """Subscribe; return a change when the feed must start the instrument or raise its mode."""
        clients = self._by_instrument.setdefault(instrument, {})
        clients.setdefault(client, set()).add(mode)
        self._by_client.setdefault(client, set()).add(instrument)
        return self._refresh(instrument)

    def remove(
        self, client: Hashable, instrument: InstrumentKey, mode: Mode | None
    ) -> tuple[bool, RegistryChange | None]:
        """Unsubscribe one mode (or all with None); return whether anything was removed, and the change."""
        clients = self._by_instrument.get(instrument)
        modes = clients.get(client) if clients else None
        if not modes or (mode is not None and mode not in modes):
            return False, None
        if mode is None:
            modes.clear()
        else:
            modes.discard(mode)
        if not modes:
            del clients[client]
            self._by_client[client].discard(instrument)
        if not clients:
            del self._by_instrument[instrument]
        return True, self._refresh(instrument)

    def remove_client(self, client: Hashable) -> list[RegistryChange]:
        """Drop every subscription of a connection that closed or sent unsubscribe_all."""
        changes = []
        for instrument in list(self._by_client.pop(client, ())):
            clients = self._by_instrument.get(instrument, {})
            clients.pop(client, None)
            if not clients:
                self._by_instrument.pop(instrument, None)
            change = self._refresh(instrument)
            if change is not None:
                changes.append(change)
        return changes

    def _refresh(self, instrument: InstrumentKey) -> RegistryChange | None:
        clients = self._by_instrument.get(instrument)
        previous = self._feed_modes.get(instrument)
        if not clients:
            self._recipients.pop(instrument, None)
            self._feed_modes.pop(instrument, None)
            return RegistryChange(instrument, None) if previous is not None else None
        self._recipients[instrument] = tuple((client, max(modes)) for client, modes in clients.items())
        needed = max(max(modes) for modes in clients.values())
        self._feed_modes[instrument] = needed
        # Lowering the feed mode is not worth a broker round trip; only starts and upgrades count.
        if previous is None or needed > previous:
            return RegistryChange(instrument, needed)
        return None
