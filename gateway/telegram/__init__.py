"""Telegram: a bot that answers a user's linked chat and sends their order alerts through a durable outbox."""

from gateway.telegram.api import BotApi, BotApiError, redacted
from gateway.telegram.bot import TelegramService
from gateway.telegram.store import TelegramStore

__all__ = ["BotApi", "BotApiError", "TelegramService", "TelegramStore", "redacted"]
