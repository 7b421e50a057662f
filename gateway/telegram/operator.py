"""What the API and the console do with the bot: configure it, switch it, list links, queue messages.

Configuring, starting, stopping and seeing statistics are for administrators: one bot serves every
user of the gateway. A user sees and messages only their own chat.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.accounts import AccountError, Accounts, Principal
from gateway.telegram.api import BotApiError
from gateway.telegram.bot import TelegramService
from generated.errors import Forbidden, NotFound, ValidationFailed
from storage import utcnow

MAX_MESSAGE_LENGTH = 4096


class TelegramOperator:
    def __init__(self, telegram: TelegramService, accounts: Accounts) -> None:
        self._telegram = telegram
        self._store = telegram.store
        self._accounts = accounts

    @classmethod
    def of(cls, services) -> TelegramOperator:
        return cls(services.telegram, services.accounts)

    def is_admin(self, user: Principal) -> bool:
        return self._accounts.user(user.username).is_admin

    def _require_admin(self, user: Principal, what: str) -> None:
        if not self.is_admin(user):
            raise Forbidden(f"Only an administrator can {what}")

    def config(self) -> dict:
        bot = self._store.bot()
        return {
            "bot_token": "***" if bot is not None and bot.token_encrypted else "",
            "has_token": bot is not None and bool(bot.token_encrypted),
            "is_active": bool(bot and bot.is_active),
            "is_running": self._telegram.is_running,
            "bot_username": bot.bot_username if bot else "",
            "max_message_length": MAX_MESSAGE_LENGTH,
            "rate_limit_per_minute": bot.rate_limit_per_minute if bot else 30,
            "broadcast_enabled": bot.broadcast_enabled if bot else True,
            "polling_mode": True,
            "created_at": bot.created_at.isoformat() if bot else None,
            "updated_at": bot.updated_at.isoformat() if bot else None,
        }

    async def configure(
        self,
        user: Principal,
        *,
        token: str | None = None,
        broadcast_enabled: bool | None = None,
        rate_limit_per_minute: int | None = None,
    ) -> None:
        self._require_admin(user, "configure the Telegram bot")
        username = None
        if token is not None:
            try:
                username = await self._telegram.check_token(token)
            except BotApiError as e:
                raise ValidationFailed(
                    f"Telegram did not accept this bot token ({e.status or 'no answer'})", field="token"
                ) from None
        elif self._store.bot() is None:
            raise ValidationFailed("Bot token not configured", field="token")
        was_running = self._telegram.is_running
        if was_running and token is not None:
            await self._telegram.stop()  # the loops hold the old token
        self._store.configure(
            token=token,
            bot_username=username,
            broadcast_enabled=broadcast_enabled,
            rate_limit_per_minute=rate_limit_per_minute,
        )
        if was_running:
            await self._telegram.start()

    async def start(self, user: Principal) -> str:
        self._require_admin(user, "start the Telegram bot")
        if self._store.token() is None:
            raise ValidationFailed("Bot token not configured", field="token")
        self._store.set_active(True)
        await self._telegram.start()
        return "Bot started"

    async def stop(self, user: Principal) -> str:
        self._require_admin(user, "stop the Telegram bot")
        if self._store.bot() is not None:
            self._store.set_active(False)
        await self._telegram.stop()
        return "Bot stopped"

    def users(self, user: Principal, notifications_enabled: bool | None = None) -> list[dict]:
        everyone = self.is_admin(user)
        return [
            {
                "username": link.username,
                "telegram_id": link.chat_id,
                "telegram_username": link.telegram_username,
                "notifications_enabled": link.notifications_enabled,
                "linked_at": link.linked_at.isoformat() if link.linked_at else None,
            }
            for link in self._store.linked_users()
            if (everyone or link.user_id == user.user_id)
            and (notifications_enabled is None or link.notifications_enabled == notifications_enabled)
        ]

    def notify(self, user: Principal, username: str, message: str) -> None:
        if username != user.username and not self.is_admin(user):
            raise Forbidden("You can only message your own Telegram chat")
        try:
            target = self._accounts.user(username)
        except AccountError:
            raise NotFound(f"No user named {username}") from None
        if not self._telegram.notify(target.id, message):
            raise NotFound(f"{username} has not linked a Telegram chat")

    def stats(self, user: Principal, days: int) -> dict:
        self._require_admin(user, "see the Telegram statistics")
        counts = self._store.counts(utcnow() - timedelta(days=days))
        return {
            "days": days,
            **counts,
            "linked_users": len(self._store.linked_users()),
            "is_running": self._telegram.is_running,
        }

    # Webhook, broadcast and preferences

    def webhook_refusal(self, given: str | None, configured_secret: str) -> int | None:
        """None when the webhook's secret header is right; 401 when it is missing, 403 when it is wrong.

        The expected secret is TELEGRAM_WEBHOOK_SECRET, or else the first 32 hex characters of the
        bot token's SHA-256 (what to pass as `secret_token` to setWebhook).
        """
        if not given:
            return 401
        token = self._store.token()
        expected = [configured_secret] if configured_secret else []
        if token is not None:
            expected.append(hashlib.sha256(token.encode()).hexdigest()[:32])
        if not any(hmac.compare_digest(given.encode(), secret.encode()) for secret in expected):
            return 403
        return None

    def broadcast(
        self,
        user: Principal,
        message: str,
        *,
        usernames: list[str] | None = None,
        notifications_enabled: bool | None = None,
    ) -> dict:
        self._require_admin(user, "broadcast to every linked chat")
        bot = self._store.bot()
        if bot is None or not bot.token_encrypted:
            raise ValidationFailed("Bot token not configured", field="token")
        if not bot.broadcast_enabled:
            raise Forbidden("Broadcasting is switched off in the bot's configuration (broadcast_enabled)")
        chosen = [
            link
            for link in self._store.linked_users()
            if (not usernames or link.username in usernames)
            and (notifications_enabled is None or link.notifications_enabled == notifications_enabled)
        ]
        queued = set(self._telegram.broadcast([link.user_id for link in chosen], message))
        return {
            "queued": len(queued),
            "failed": len(chosen) - len(queued),
            "recipients": [link.username for link in chosen if link.user_id in queued],
        }

    def _owner_of_chat(self, user: Principal, telegram_id: int) -> tuple[int, str]:
        owner = self._store.user_of_chat(telegram_id)
        if owner is None:
            raise NotFound(f"No user has linked the Telegram chat {telegram_id}")
        if owner[0] != user.user_id and not self.is_admin(user):
            raise Forbidden("You can only see and change your own Telegram preferences")
        return owner

    def preferences(self, user: Principal, telegram_id: int) -> dict:
        user_id, username = self._owner_of_chat(user, telegram_id)
        return {"telegram_id": telegram_id, "username": username, **self._store.preferences(user_id)}

    def set_preferences(self, user: Principal, telegram_id: int, **values) -> dict:
        user_id, username = self._owner_of_chat(user, telegram_id)
        if values.get("timezone") is not None:
            try:
                ZoneInfo(values["timezone"])
            except (ZoneInfoNotFoundError, ValueError):
                raise ValidationFailed(f"unknown time zone {values['timezone']!r}", field="timezone") from None
        return {"telegram_id": telegram_id, "username": username, **self._store.set_preferences(user_id, **values)}
