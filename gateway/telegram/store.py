"""The bot's state in the gateway database: its encrypted token, the users' linked chats, and the outbox.

The token is written once and only read by the bot itself; nothing here returns it to a caller that
shows things (the config answer carries `has_token` and a fixed mask). A link code is shown to its
user once and stored as its SHA-256, valid for ten minutes.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from gateway.security import Vault
from storage import TelegramBot, TelegramLink, TelegramMessage, TelegramPreference, User, session_scope, utcnow

BOT_ROW = 1
CODE_LIFETIME = timedelta(minutes=10)
PENDING, SENT, DROPPED = "pending", "sent", "dropped"
PREFERENCE_FIELDS = (
    "order_notifications",
    "trade_notifications",
    "pnl_notifications",
    "daily_summary",
    "summary_time",
    "language",
    "timezone",
)
# The preference that lets an alert kind through; kinds not named here are not alerts a preference turns off.
PREFERENCE_OF_KIND = {
    "order.placed": "order_notifications",
    "order.rejected": "order_notifications",
    "order.cancelled": "order_notifications",
    "order.filled": "trade_notifications",
    "strategy.refused": "order_notifications",  # a webhook alert refused or its orders failed
    "pnl": "pnl_notifications",
}
# How long the set of users with a linked chat is trusted before it is read again. Every order event
# asks whether its user has a chat, and most users have none; a link made by another worker shows
# within this time (one made here, at once).
CHATS_FRESH_SECONDS = 5.0


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


@dataclass(frozen=True, slots=True)
class Outgoing:
    id: int
    user_id: int
    chat_id: int
    text: str
    attempts: int


@dataclass(frozen=True, slots=True)
class LinkedUser:
    user_id: int
    username: str
    chat_id: int
    telegram_username: str
    notifications_enabled: bool
    linked_at: datetime | None


class TelegramStore:
    def __init__(self, engine: Engine, *, app_key: str) -> None:
        self._engine = engine
        self._vault = Vault(app_key, "telegram-token")
        self._chats: tuple[float, frozenset[int]] | None = None  # (read at, users with a linked chat)

    # The bot

    def configure(
        self,
        *,
        token: str | None = None,
        bot_username: str | None = None,
        broadcast_enabled: bool | None = None,
        rate_limit_per_minute: int | None = None,
    ) -> TelegramBot:
        """Store what was given; a new token starts the update offset over (it may be another bot)."""
        with session_scope(self._engine) as session:
            row = session.get(TelegramBot, BOT_ROW)
            if row is None:
                if token is None:
                    raise LookupError("no bot token is stored yet")
                row = TelegramBot(id=BOT_ROW, token_encrypted="")
            if token is not None:
                row.token_encrypted, row.update_offset, row.bot_username = self._vault.encrypt(token), 0, ""
            if bot_username is not None:
                row.bot_username = bot_username
            if broadcast_enabled is not None:
                row.broadcast_enabled = broadcast_enabled
            if rate_limit_per_minute is not None:
                row.rate_limit_per_minute = rate_limit_per_minute
            row.updated_at = utcnow()
            session.add(row)
            session.flush()
            session.expunge(row)
            return row

    def bot(self) -> TelegramBot | None:
        with session_scope(self._engine) as session:
            row = session.get(TelegramBot, BOT_ROW)
            if row is not None:
                session.expunge(row)
            return row

    def token(self) -> str | None:
        """The decrypted token, for the bot's own calls only."""
        row = self.bot()
        return self._vault.decrypt(row.token_encrypted) if row is not None and row.token_encrypted else None

    def set_active(self, is_active: bool) -> None:
        self._update_bot(is_active=is_active)

    def save_offset(self, offset: int) -> None:
        self._update_bot(update_offset=offset)

    def _update_bot(self, **values) -> None:
        with session_scope(self._engine) as session:
            row = session.get(TelegramBot, BOT_ROW)
            if row is None:
                raise LookupError("no bot token is stored yet")
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = utcnow()
            session.add(row)

    # Links

    def new_link_code(self, user_id: int) -> str:
        """A fresh one-time code for `/start <code>`; an earlier unused code stops working."""
        code = secrets.token_urlsafe(12)
        with session_scope(self._engine) as session:
            row = session.get(TelegramLink, user_id) or TelegramLink(user_id=user_id)
            row.code_digest, row.code_expires_at = _digest(code), utcnow() + CODE_LIFETIME
            session.add(row)
        return code

    def link(self, code: str, chat_id: int, telegram_username: str) -> int | None:
        """Bind `chat_id` to the user whose live code this is; the user id, or None for an unknown code."""
        with session_scope(self._engine) as session:
            row = session.exec(select(TelegramLink).where(TelegramLink.code_digest == _digest(code))).first()
            if row is None or _aware(row.code_expires_at) <= utcnow():
                return None
            # A chat belongs to one user: linking it here unlinks it from whoever had it.
            for other in session.exec(
                select(TelegramLink).where(TelegramLink.chat_id == chat_id, TelegramLink.user_id != row.user_id)
            ):
                other.chat_id, other.linked_at = None, None
                session.add(other)
            session.flush()
            row.chat_id, row.telegram_username = chat_id, telegram_username[:64]
            row.code_digest, row.code_expires_at, row.linked_at = None, None, utcnow()
            session.add(row)
            self._chats = None
            return row.user_id

    def unlink(self, user_id: int) -> bool:
        """Forget the user's chat and drop what was still waiting for it."""
        with session_scope(self._engine) as session:
            row = session.get(TelegramLink, user_id)
            if row is not None:
                session.delete(row)
            for message in session.exec(
                select(TelegramMessage).where(TelegramMessage.user_id == user_id, TelegramMessage.status == PENDING)
            ):
                message.status, message.last_error = DROPPED, "the chat was unlinked"
                session.add(message)
        self._chats = None
        return row is not None and row.chat_id is not None

    def set_notifications(self, user_id: int, enabled: bool) -> None:
        with session_scope(self._engine) as session:
            row = session.get(TelegramLink, user_id)
            if row is not None:
                row.notifications_enabled = enabled
                session.add(row)

    def link_of(self, user_id: int) -> TelegramLink | None:
        with session_scope(self._engine) as session:
            row = session.get(TelegramLink, user_id)
            if row is not None:
                session.expunge(row)
            return row

    def user_of_chat(self, chat_id: int) -> tuple[int, str] | None:
        """The (user id, username) linked to `chat_id`."""
        with session_scope(self._engine) as session:
            found = session.exec(
                select(User.id, User.username)
                .join(TelegramLink, TelegramLink.user_id == User.id)
                .where(TelegramLink.chat_id == chat_id)
            ).first()
        return (found[0], found[1]) if found else None

    def linked_users(self) -> list[LinkedUser]:
        with session_scope(self._engine) as session:
            rows = session.exec(
                select(TelegramLink, User.username)
                .join(User, User.id == TelegramLink.user_id)
                .where(TelegramLink.chat_id.is_not(None))
                .order_by(User.username)
            ).all()
            return [
                LinkedUser(
                    link.user_id,
                    username,
                    link.chat_id,
                    link.telegram_username,
                    link.notifications_enabled,
                    link.linked_at,
                )
                for link, username in rows
            ]

    # Preferences

    def preferences(self, user_id: int) -> dict:
        """The user's preferences, the defaults where nothing is stored."""
        with session_scope(self._engine) as session:
            row = session.get(TelegramPreference, user_id) or TelegramPreference(user_id=user_id)
            return {name: getattr(row, name) for name in PREFERENCE_FIELDS}

    def set_preferences(self, user_id: int, **values) -> dict:
        with session_scope(self._engine) as session:
            row = session.get(TelegramPreference, user_id) or TelegramPreference(user_id=user_id)
            for name, value in values.items():
                if name in PREFERENCE_FIELDS and value is not None:
                    setattr(row, name, value)
            row.updated_at = utcnow()
            session.add(row)
        return self.preferences(user_id)

    # The outbox

    def enqueue(self, user_id: int, kind: str, text: str, *, dedupe_key: str | None = None, alert: bool = True) -> bool:
        """Queue a message for the user's chat; False when there is no chat (or, for alerts, they are off)
        or the same `dedupe_key` was queued before."""
        # This runs on the event loop for every order event: most users have no chat and cost no read.
        if not self._has_chat(user_id):
            return False
        wanted = PREFERENCE_OF_KIND.get(kind) if alert else None
        preference = getattr(TelegramPreference, wanted) if wanted else sa.literal(True)
        with self._engine.connect() as connection:
            found = connection.execute(
                sa.select(TelegramLink.chat_id, TelegramLink.notifications_enabled, preference)
                .select_from(TelegramLink)
                .outerjoin(TelegramPreference, TelegramPreference.user_id == TelegramLink.user_id)
                .where(TelegramLink.user_id == user_id)
            ).first()
        if found is None:
            return False
        chat_id, notifications_enabled, wanted_kind = found
        if chat_id is None or (alert and not notifications_enabled) or wanted_kind is False:
            return False
        try:
            with session_scope(self._engine) as session:
                session.add(TelegramMessage(user_id=user_id, kind=kind, text=text, dedupe_key=dedupe_key))
        except IntegrityError:
            return False  # this order change was queued already
        return True

    def _has_chat(self, user_id: int) -> bool:
        now = time.monotonic()
        if self._chats is None or now - self._chats[0] > CHATS_FRESH_SECONDS:
            with self._engine.connect() as connection:
                users = connection.execute(
                    sa.select(TelegramLink.user_id).where(TelegramLink.chat_id.is_not(None))
                ).scalars()
                self._chats = (now, frozenset(users))
        return user_id in self._chats[1]

    def due(self, now: datetime, limit: int = 50) -> list[Outgoing]:
        """Pending messages whose time has come, oldest first, with the chat their user has now."""
        with session_scope(self._engine) as session:
            rows = session.exec(
                select(
                    TelegramMessage.id,
                    TelegramMessage.user_id,
                    TelegramLink.chat_id,
                    TelegramMessage.text,
                    TelegramMessage.attempts,
                )
                .join(TelegramLink, TelegramLink.user_id == TelegramMessage.user_id)
                .where(
                    TelegramMessage.status == PENDING,
                    TelegramMessage.next_attempt_at <= now,
                    TelegramLink.chat_id.is_not(None),
                )
                .order_by(TelegramMessage.id)
                .limit(limit)
            ).all()
        return [Outgoing(*row) for row in rows]

    def release_pending(self) -> int:
        """Make every pending message due now (a start is a natural retry); how many there are."""
        with session_scope(self._engine) as session:
            rows = session.exec(select(TelegramMessage).where(TelegramMessage.status == PENDING)).all()
            for row in rows:
                row.next_attempt_at = utcnow()
                session.add(row)
            return len(rows)

    def next_due(self) -> datetime | None:
        with session_scope(self._engine) as session:
            moment = session.exec(
                select(func.min(TelegramMessage.next_attempt_at)).where(TelegramMessage.status == PENDING)
            ).one()
        return _aware(moment)

    def mark_sent(self, message_id: int) -> None:
        self._finish(message_id, status=SENT, sent_at=utcnow())

    def mark_dropped(self, message_id: int, error: str) -> None:
        self._finish(message_id, status=DROPPED, last_error=error[:512])

    def mark_retry(self, message_id: int, error: str, at: datetime) -> None:
        with session_scope(self._engine) as session:
            row = session.get(TelegramMessage, message_id)
            row.attempts += 1
            row.last_error, row.next_attempt_at = error[:512], at
            session.add(row)

    def _finish(self, message_id: int, **values) -> None:
        with session_scope(self._engine) as session:
            row = session.get(TelegramMessage, message_id)
            row.attempts += 1
            for name, value in values.items():
                setattr(row, name, value)
            session.add(row)

    def purge(self, before: datetime) -> int:
        """Delete sent and dropped messages created before `before`; pending ones always stay."""
        with session_scope(self._engine) as session:
            rows = session.exec(
                select(TelegramMessage).where(TelegramMessage.status != PENDING, TelegramMessage.created_at < before)
            ).all()
            for row in rows:
                session.delete(row)
            return len(rows)

    def counts(self, since: datetime) -> dict[str, int]:
        """Messages created since `since`, by status."""
        with session_scope(self._engine) as session:
            rows = session.exec(
                select(TelegramMessage.status, func.count())
                .where(TelegramMessage.created_at >= since)
                .group_by(TelegramMessage.status)
            ).all()
        return {PENDING: 0, SENT: 0, DROPPED: 0} | dict(rows)
