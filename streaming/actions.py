"""What each client action does once parsed: authenticate, subscribe, unsubscribe, orders, info.

Replies keep OpenAlgo's exact envelopes (reference: openalgo-streaming-sandbox.md §1.2), with a
few additive fields: `state` on subscription items, `request_id` echoed on errors too, and
`sequence` on market data and order updates. Every method returns the reply to queue, or raises
`ProtocolError`; none of them touches the socket.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from streaming.adapter import SubscriptionState
from streaming.fanout import ClientQueue, order_update_frame, subscription_state_frame
from streaming.protocol import (
    Authenticate,
    ClientRequest,
    ErrorCode,
    GetBrokerInfo,
    GetSupportedBrokers,
    InstrumentKey,
    Mode,
    Ping,
    ProtocolError,
    Subscribe,
    SubscribeOrders,
    Unsubscribe,
    UnsubscribeOrders,
)
from streaming.subscriptions import RegistryChange, SubscriptionRegistry

__all__ = ["Actions", "ClientSession", "Feed"]

Authenticator = Callable[[str], Awaitable[int | None]]
BrokerInfo = Callable[[int], Awaitable[dict[str, Any]]]
SupportedBrokers = Callable[[], Awaitable[list[str]]]
OrderHistory = Callable[[int, int], Awaitable[list[dict[str, Any]]]]  # (user, since) -> the updates after it


class Feed(Protocol):
    """The adapter operations the server needs (see `streaming.adapter.StreamingAdapter`)."""

    is_connected: bool

    async def subscribe(
        self, instruments: Mapping[InstrumentKey, Mode]
    ) -> dict[InstrumentKey, str | None]: ...

    async def unsubscribe(self, instruments: Iterable[InstrumentKey]) -> None: ...

    def state(self, instrument: InstrumentKey) -> str | None: ...


@dataclass(eq=False)
class ClientSession:
    """One WebSocket connection and what it is allowed and asked to receive."""

    client_id: int
    queue: ClientQueue
    connection: Any = None  # the websockets connection; only the server's writer sends on it
    user_id: int | None = None
    username: str = ""
    broker: str = ""
    wants_orders: bool = False
    order_floor: int = 0  # the highest order_update sequence sent; a replay never sends one twice
    order_buffer: list[tuple[int, str]] | None = None  # live order updates held while a replay is read
    auth_failures: int = 0
    close_request: tuple[int, str] | None = None  # set by an action that must end the connection
    after_reply: list[str] = field(default_factory=list)  # frames that must follow the reply
    frames_out: int = 0
    lag_seconds: float = 0.0
    max_lag_seconds: float = 0.0
    busy_since: float | None = None  # when the writer started a send that has not finished
    opened_at: float = field(default_factory=time.monotonic)


class Actions:
    """Serve parsed requests for one server; shares its registry, feed and session index."""

    def __init__(
        self,
        *,
        registry: SubscriptionRegistry,
        feed: Feed,
        sessions_of_user: Callable[[int], list[ClientSession]],
        authenticate: Authenticator,
        broker_info: BrokerInfo,
        supported_brokers: SupportedBrokers,
        max_subscriptions_per_client: int,
        max_connections_per_user: int,
        max_auth_failures: int,
        order_history: OrderHistory | None = None,
    ) -> None:
        self._registry = registry
        self._feed = feed
        self._sessions_of_user = sessions_of_user
        self._authenticate = authenticate
        self._broker_info = broker_info
        self._supported_brokers = supported_brokers
        self._max_subscriptions = max_subscriptions_per_client
        self._max_connections_per_user = max_connections_per_user
        self._max_auth_failures = max_auth_failures
        self._order_history = order_history

    async def serve(self, session: ClientSession, request: ClientRequest) -> dict[str, Any]:
        if isinstance(request, Ping):
            return {
                "type": "pong",
                "status": "success",
                "server_timestamp": int(time.time() * 1000),
                **request.echo,
            }
        if isinstance(request, Authenticate):
            return await self._authenticate_session(session, request)
        if session.user_id is None:
            raise ProtocolError(ErrorCode.NOT_AUTHENTICATED, "You must authenticate first")
        if isinstance(request, Subscribe):
            return await self._subscribe(session, request)
        if isinstance(request, Unsubscribe):
            return await self._unsubscribe(session, request)
        if isinstance(request, SubscribeOrders) and request.since is not None:
            return await self._resume_orders(session, request.since)
        if isinstance(request, SubscribeOrders | UnsubscribeOrders):
            session.wants_orders = isinstance(request, SubscribeOrders)
            verb = "Subscribed to" if session.wants_orders else "Unsubscribed from"
            kind = "subscribe_orders" if session.wants_orders else "unsubscribe_orders"
            return {"type": kind, "status": "success", "message": f"{verb} order updates"}
        if isinstance(request, GetBrokerInfo):
            return {
                "type": "broker_info",
                "status": "success",
                "broker": session.broker,
                "adapter_status": "connected" if self._feed.is_connected else "disconnected",
                "user_id": session.username,
            }
        if isinstance(request, GetSupportedBrokers):
            brokers = list(await self._supported_brokers())
            return {
                "type": "supported_brokers",
                "status": "success",
                "brokers": brokers,
                "count": len(brokers),
            }
        raise ProtocolError(ErrorCode.INVALID_ACTION, f"Invalid action: {type(request).__name__}")

    async def _resume_orders(self, session: ClientSession, since: int) -> dict[str, Any]:
        """Subscribe to order updates and send, after the reply, every stored one after `since`, in order."""
        session.wants_orders = True
        replayed: list[dict[str, Any]] = []
        # Live updates that arrive while the journal is read wait in the buffer, then follow the
        # replay; one the replay already holds is not sent twice.
        session.order_buffer = []
        try:
            if self._order_history is not None:
                replayed = await self._order_history(session.user_id, since)  # type: ignore[arg-type]
        finally:
            held, session.order_buffer = session.order_buffer, None
        floor = max(since, session.order_floor)
        frames = []
        for order in replayed:
            frame, sequence = order_update_frame(order, 0)
            if sequence > floor:
                frames.append(frame)
                floor = sequence
        count = len(frames)
        for sequence, frame in held:
            if sequence > floor:
                frames.append(frame)
                floor = sequence
        session.order_floor = floor
        session.after_reply.extend(frames)
        return {
            "type": "subscribe_orders",
            "status": "success",
            "message": "Subscribed to order updates",
            "replayed": count,
        }

    async def release(self, session: ClientSession) -> list[tuple[InstrumentKey, Mode]]:
        """Drop every subscription of a session; stop feed instruments nobody follows any more."""
        subscribed = self._registry.subscriptions_of(session.client_id)
        await self._apply(self._registry.remove_client(session.client_id))
        return subscribed

    async def _apply(self, changes: list[RegistryChange]) -> None:
        stopped = [change.instrument for change in changes if change.feed_mode is None]
        if stopped:
            await self._feed.unsubscribe(stopped)

    async def _authenticate_session(self, session: ClientSession, request: Authenticate) -> dict[str, Any]:
        user_id = await self._authenticate(request.api_key)
        if user_id is None:
            session.auth_failures += 1
            if session.auth_failures >= self._max_auth_failures:
                session.close_request = (4403, "too many failed authentications")
            raise ProtocolError(ErrorCode.AUTHENTICATION_ERROR, "Invalid API key")
        others = [other for other in self._sessions_of_user(user_id) if other is not session]
        if len(others) >= self._max_connections_per_user:
            session.close_request = (4429, "too many connections for this user")
            raise ProtocolError(
                ErrorCode.CONNECTION_LIMIT,
                f"At most {self._max_connections_per_user} connections per user; close another one first",
            )
        try:
            info = await self._broker_info(user_id)
        except Exception as e:  # translate: the gateway's failure becomes a typed error frame
            raise ProtocolError(ErrorCode.BROKER_ERROR, f"No broker configuration found for user: {e}") from e
        if session.user_id is not None and session.user_id != user_id:
            # Subscriptions belong to the previous user; a new identity starts clean.
            await self.release(session)
            session.wants_orders = False
        session.user_id = user_id
        session.username = str(info.get("username") or user_id)
        session.broker = str(info.get("broker") or "")
        return {
            "type": "auth",
            "status": "success",
            "message": "Authentication successful",
            "broker": session.broker,
            "user_id": session.username,
            "supported_features": {"ltp": True, "quote": True, "depth": True},
        }

    async def _subscribe(self, session: ClientSession, request: Subscribe) -> dict[str, Any]:
        client = session.client_id
        new = {key for key in request.instruments if not self._registry.modes(client, key)}
        if self._registry.count(client) + len(new) > self._max_subscriptions:
            raise ProtocolError(
                ErrorCode.SUBSCRIPTION_LIMIT,
                f"At most {self._max_subscriptions} instruments per connection; "
                f"{self._registry.count(client)} subscribed, {len(new)} more requested",
            )
        to_feed = {}
        for key in request.instruments:
            change = self._registry.add(client, key, request.mode)
            if change is not None and change.feed_mode is not None:
                to_feed[key] = change.feed_mode
        errors = await self._feed.subscribe(to_feed) if to_feed else {}
        items = []
        for key in dict.fromkeys(request.instruments):
            error = errors.get(key)
            item: dict[str, Any] = {"symbol": key.symbol, "exchange": key.exchange}
            if error is not None:
                _, change = self._registry.remove(client, key, request.mode)
                await self._apply([change] if change else [])
                item.update(status="error", message=error, broker=session.broker)
            else:
                state = self._feed.state(key) or SubscriptionState.ACKNOWLEDGED
                item.update(
                    status="success", mode=request.mode.label, depth=request.depth, broker=session.broker
                )
                item["state"] = state
                session.after_reply.append(subscription_state_frame(key, request.mode, state))
            items.append(item)
        failed = any(item["status"] == "error" for item in items)
        return {
            "type": "subscribe",
            "status": "partial" if failed else "success",
            "subscriptions": items,
            "message": "Subscription processing complete",
            "broker": session.broker,
        }

    async def _unsubscribe(self, session: ClientSession, request: Unsubscribe) -> dict[str, Any]:
        successful, failed = [], []
        if request.everything:
            for key, _ in await self.release(session):
                successful.append({"symbol": key.symbol, "exchange": key.exchange, "status": "success"})
        for key, mode in request.items:
            removed, change = self._registry.remove(session.client_id, key, mode)
            entry: dict[str, Any] = {"symbol": key.symbol, "exchange": key.exchange, "broker": session.broker}
            if removed:
                await self._apply([change] if change else [])
                successful.append({**entry, "status": "success"})
            else:
                which = f" in mode {mode.label}" if mode is not None else ""
                failed.append(
                    {**entry, "status": "error", "message": f"Not subscribed to {key.topic}{which}"}
                )
        for entry in successful:
            entry["broker"] = session.broker
        status = "error" if failed and not successful else "partial" if failed else "success"
        return {
            "type": "unsubscribe",
            "status": status,
            "message": "Unsubscription processing complete",
            "successful": successful,
            "failed": failed,
            "broker": session.broker,
        }
