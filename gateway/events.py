"""Order events: the sandbox engine (and later live brokers' postbacks) announce every order state
change here, and listeners such as the WebSocket feed pass it on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Listener = Callable[[int, dict[str, Any]], Any]


class OrderEvents:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def __call__(self, user_id: int, order: dict[str, Any]) -> None:
        for listener in list(self._listeners):
            try:
                listener(user_id, order)
            except Exception:  # one broken listener must not stop the others from hearing of the order
                log.exception("order listener %r failed for user %s", listener, user_id)
