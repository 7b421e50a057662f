"""The client-facing WebSocket server (OpenAlgo's port 8765 protocol) on the `websockets` library.

Each connection gets a reader (parse, serve, queue the reply), a writer that alone sends on the
socket, and a deadline to authenticate. A watchdog disconnects clients whose writer has been stuck
longer than the lag limit, or whose control queue overflowed, so memory stays bounded. Limits on
frame size, subscriptions per connection, connections per user and in total are all settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from streaming.actions import Actions, Authenticator, BrokerInfo, ClientSession, Feed, OrderHistory, SupportedBrokers
from streaming.bus import BusMessage
from streaming.fanout import ClientQueue, Fanout
from streaming.protocol import ErrorCode, ProtocolError, parse_message
from streaming.subscriptions import SubscriptionRegistry

__all__ = ["CloseCode", "ServerLimits", "StreamingServer"]

logger = logging.getLogger(__name__)


class CloseCode:
    AUTH_TIMEOUT = 4401  # OpenAlgo's code and reason, kept for its clients
    AUTH_FAILURES = 4403
    SLOW_CONSUMER = 4408
    TOO_MANY_CONNECTIONS = 4429
    SERVER_FULL = 1013


@dataclass(frozen=True, slots=True)
class ServerLimits:
    auth_grace_seconds: float = 15.0  # OpenAlgo's WS_AUTH_GRACE_SECONDS default
    max_message_bytes: int = 64 * 1024  # client frames are small requests; bigger ones close with 1009
    max_subscriptions_per_client: int = 1000
    max_connections_per_user: int = 10
    max_connections: int = 2000
    max_auth_failures: int = 5
    max_pending_frames: int = 2048  # market frames kept in order before conflation starts
    max_control_frames: int = 1024  # replies and order updates; overflowing one disconnects
    max_lag_seconds: float = 5.0  # a writer stuck this long on one send gets the client disconnected
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    write_limit: int = 64 * 1024  # bytes buffered per socket before a send waits for the peer
    allowed_origins: tuple[str, ...] | None = None  # browser Origin allow-list; None accepts any


class StreamingServer:
    """Serve WebSocket clients; `dispatch()` is fed with bus batches by the service."""

    def __init__(
        self,
        *,
        feed: Feed,
        authenticate: Authenticator,
        broker_info: BrokerInfo,
        supported_brokers: SupportedBrokers,
        host: str = "127.0.0.1",
        port: int = 8765,
        limits: ServerLimits | None = None,
        order_history: OrderHistory | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.limits = limits or ServerLimits()
        self.registry = SubscriptionRegistry()
        self._sessions: dict[Hashable, ClientSession] = {}
        self._by_user: dict[int, set[ClientSession]] = {}
        self.fanout = Fanout(self.registry, self._sessions, self._sessions_of_user)  # type: ignore[arg-type]
        self.actions = Actions(
            registry=self.registry,
            feed=feed,
            sessions_of_user=self._sessions_of_user,
            authenticate=authenticate,
            broker_info=broker_info,
            supported_brokers=supported_brokers,
            max_subscriptions_per_client=self.limits.max_subscriptions_per_client,
            max_connections_per_user=self.limits.max_connections_per_user,
            max_auth_failures=self.limits.max_auth_failures,
            order_history=order_history,
        )
        self._ids = itertools.count(1)
        self._server: Server | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self.frames_out = 0
        self.frames_dropped = 0
        self.slow_disconnects = 0
        self.connections_refused = 0

    def _sessions_of_user(self, user_id: int) -> list[ClientSession]:
        return list(self._by_user.get(user_id, ()))

    async def start(self) -> None:
        limits = self.limits
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            max_size=limits.max_message_bytes,
            ping_interval=limits.ping_interval,
            ping_timeout=limits.ping_timeout,
            write_limit=limits.write_limit,
            origins=list(limits.allowed_origins) if limits.allowed_origins is not None else None,
            compression=None,  # deflating every tick for every client costs more CPU than it saves on loopback
            close_timeout=2.0,
        )
        # With port 0 the system picks a free port; report the real one.
        self.port = next(iter(self._server.sockets)).getsockname()[1]
        self._watchdog = asyncio.create_task(self._watch_slow_clients())
        logger.info("streaming server listening on ws://%s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def dispatch(self, batch: list[BusMessage]) -> None:
        self.fanout.dispatch(batch)

    # One connection ------------------------------------------------------------------------------

    async def _handle(self, connection: ServerConnection) -> None:
        if len(self._sessions) >= self.limits.max_connections:
            self.connections_refused += 1
            await connection.close(CloseCode.SERVER_FULL, "server is at its connection limit")
            return
        queue = ClientQueue(
            max_pending=self.limits.max_pending_frames, max_control=self.limits.max_control_frames
        )
        session = ClientSession(client_id=next(self._ids), queue=queue, connection=connection)
        self._sessions[session.client_id] = session
        writer = asyncio.create_task(self._write(session, connection))
        deadline = asyncio.create_task(self._enforce_auth_deadline(session, connection))
        try:
            async for message in connection:
                await self._on_message(session, connection, message)
        except ConnectionClosed:
            pass
        finally:
            writer.cancel()
            deadline.cancel()
            self._forget(session)
            await self.actions.release(session)

    def _forget(self, session: ClientSession) -> None:
        self._sessions.pop(session.client_id, None)
        if session.user_id is not None:
            self._by_user.get(session.user_id, set()).discard(session)
        self._discard_queue(session)

    def _discard_queue(self, session: ClientSession) -> None:
        # Whatever a leaving client had waiting, or lost to conflation, counts as dropped once.
        queue = session.queue
        self.frames_dropped += queue.dropped + len(queue)
        queue.take()
        queue.dropped = 0

    async def _on_message(
        self, session: ClientSession, connection: ServerConnection, message: str | bytes
    ) -> None:
        previous_user = session.user_id
        request_id = None
        try:
            request = parse_message(message)
            request_id = request.request_id
            reply = await self.actions.serve(session, request)
        except ProtocolError as e:
            reply = {"status": "error", "code": e.code, "message": e.message}
            if e.request_id is not None:  # set when parsing failed part-way; else keep the parsed one
                request_id = e.request_id
        except Exception:  # never let one bad request end the connection with a traceback
            logger.exception("streaming request failed for client %d", session.client_id)
            reply = {"status": "error", "code": ErrorCode.SERVER_ERROR, "message": "Internal error"}
        if request_id is not None:
            reply["request_id"] = request_id
        if session.user_id != previous_user:
            if previous_user is not None:
                self._by_user.get(previous_user, set()).discard(session)
            self._by_user.setdefault(session.user_id, set()).add(session)  # type: ignore[arg-type]
        session.queue.put_control(json.dumps(reply, separators=(",", ":")))
        for frame in session.after_reply:
            session.queue.put_control(frame)
        session.after_reply.clear()
        if session.close_request is not None:
            code, reason = session.close_request
            await self._drain_and_close(session, connection, code, reason)

    async def _drain_and_close(
        self, session: ClientSession, connection: ServerConnection, code: int, reason: str
    ) -> None:
        # Let the writer send the error frame first; the client should learn why it is closed.
        deadline = time.monotonic() + 1.0
        while len(session.queue) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await connection.close(code, reason)

    async def _enforce_auth_deadline(self, session: ClientSession, connection: ServerConnection) -> None:
        await asyncio.sleep(self.limits.auth_grace_seconds)
        if session.user_id is None:
            await connection.close(CloseCode.AUTH_TIMEOUT, "auth timeout")

    async def _write(self, session: ClientSession, connection: ServerConnection) -> None:
        queue = session.queue
        with contextlib.suppress(ConnectionClosed):
            while True:
                await queue.wait()
                frames, oldest = queue.take()
                for frame in frames:
                    session.busy_since = time.monotonic()
                    await connection.send(frame)
                session.busy_since = None
                session.frames_out += len(frames)
                self.frames_out += len(frames)
                if oldest is not None:
                    session.lag_seconds = time.monotonic() - oldest
                    session.max_lag_seconds = max(session.max_lag_seconds, session.lag_seconds)

    async def _watch_slow_clients(self) -> None:
        period = max(min(self.limits.max_lag_seconds / 4, 1.0), 0.02)
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            for session in list(self._sessions.values()):
                stuck = (
                    session.busy_since is not None and now - session.busy_since > self.limits.max_lag_seconds
                )
                if stuck or session.queue.overflowed:
                    self.slow_disconnects += 1
                    self._sessions.pop(session.client_id, None)  # stop routing to it right away
                    self._discard_queue(session)
                    logger.warning(
                        "disconnecting slow client %d (user %s)", session.client_id, session.user_id
                    )
                    task = asyncio.create_task(self._close_slow(session.connection))
                    self._closing.add(task)
                    task.add_done_callback(self._closing.discard)

    async def _close_slow(self, connection: ServerConnection) -> None:
        try:
            await asyncio.wait_for(connection.close(CloseCode.SLOW_CONSUMER, "slow consumer"), 1.0)
        except TimeoutError:
            connection.transport.abort()

    def stats(self) -> dict[str, Any]:
        sessions = list(self._sessions.values())
        return {
            "ticks_in": self.fanout.ticks_in,
            "ticks_unrouted": self.fanout.ticks_unrouted,
            "orders_in": self.fanout.orders_in,
            "frames_out": self.frames_out,
            "frames_dropped": self.frames_dropped + sum(session.queue.dropped for session in sessions),
            "clients": len(sessions),
            "slow_disconnects": self.slow_disconnects,
            "connections_refused": self.connections_refused,
            "client_lag": {
                session.client_id: {
                    "user_id": session.user_id,
                    "pending": len(session.queue),
                    "dropped": session.queue.dropped,
                    "lag_ms": round(session.lag_seconds * 1000, 3),
                    "max_lag_ms": round(session.max_lag_seconds * 1000, 3),
                }
                for session in sessions
            },
        }
