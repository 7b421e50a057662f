"""The bot at work: a long-polling loop that answers linked chats, and the outbox's delivery loop.

Order events become outbox rows at once (one per order and alert kind), whether or not the bot is
running; the delivery loop sends each row once, marks it sent, and retries a passing failure with
backoff: a few quick tries (tenacity) and then later, from the row's `next_attempt_at`. Rows still
pending at start, from a crash or a stop, go out as soon as the bot runs again. Both loops belong to
the app's lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from gateway.accounts import Principal
from gateway.telegram.api import BotApi, BotApiError
from gateway.telegram.messages import Commands, order_alert
from gateway.telegram.store import TelegramStore
from storage import utcnow

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300
KEEP_DAYS = 30  # sent and dropped messages are kept this long, for the statistics
PURGE_JOB, PURGE_TASK = "telegram-outbox-purge", "telegram.purge_outbox"
IDLE_CHECK_SECONDS = 60.0  # the delivery loop's longest sleep with nothing due; an enqueue wakes it at once
NOT_LINKED = (
    "This chat is not linked to a brokergate user. In the brokergate console, open Telegram and "
    "follow the link (or send /start CODE with the code shown there)."
)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2 ** max(attempts, 1)))


class TelegramService:
    def __init__(
        self,
        store: TelegramStore,
        services: Any,
        *,
        api_base: str,
        poll_seconds: int,
        quick_retries: int = 3,
        quick_retry_seconds: float = 0.5,
    ) -> None:
        self.store = store
        self._commands = Commands(services)
        self._api_base = api_base
        self._poll_seconds = poll_seconds
        self._quick_retries = quick_retries
        self._quick_retry_seconds = quick_retry_seconds
        self._api: BotApi | None = None
        self._webhook_api: BotApi | None = None  # replies to webhook updates while the polling loops are off
        self._tasks: list[asyncio.Task] = []
        self._wake = asyncio.Event()
        self._draining = asyncio.Lock()

    @property
    def is_running(self) -> bool:
        return bool(self._tasks)

    # Order events (called on the event loop by the order-event hub)

    def on_order_event(self, user_id: int, order: dict[str, Any]) -> None:
        alert = order_alert(order)
        if alert is None:
            return
        kind, text = alert
        key = f"order:{user_id}:{order.get('orderid')}:{kind}"
        if self.store.enqueue(user_id, f"order.{kind}", text, dedupe_key=key):
            self._wake.set()

    def on_strategy_refused(self, user_id: int, text: str, key: str | None = None) -> None:
        """A webhook alert of the user's strategy was refused or its orders failed: an order notification."""
        if self.store.enqueue(user_id, "strategy.refused", text, dedupe_key=key):
            self._wake.set()

    def notify(self, user_id: int, text: str, *, key: str | None = None) -> bool:
        """Queue a message to the user's chat; False when the user has no linked chat (or `key` was queued)."""
        queued = self.store.enqueue(user_id, "notify", text, dedupe_key=key, alert=False)
        if queued:
            self._wake.set()
        return queued

    def broadcast(self, user_ids: list[int], text: str) -> list[int]:
        """Queue `text` for each user's chat through the outbox; the users it was queued for."""
        queued = [user_id for user_id in user_ids if self.store.enqueue(user_id, "broadcast", text, alert=False)]
        if queued:
            self._wake.set()
        return queued

    def purge(self, keep_days: int = KEEP_DAYS) -> int:
        """The daily job: forget delivered and dropped messages older than `keep_days`."""
        return self.store.purge(utcnow() - timedelta(days=keep_days))

    def schedule(self, scheduler) -> None:
        """Register the outbox purge with the shared scheduler and run it every night (IST)."""
        scheduler.task(PURGE_TASK)(self.purge)
        scheduler.daily(PURGE_JOB, PURGE_TASK, 3, 40, weekdays="*")

    # Lifecycle

    async def start(self) -> bool:
        """Run the loops if a token is stored and the operator switched the bot on; True if running."""
        if self._tasks:
            return True
        bot, token = self.store.bot(), self.store.token()
        if bot is None or token is None or not bot.is_active:
            return False
        self._api = BotApi(self._api_base, token, timeout=self._poll_seconds + 10.0)
        self.store.release_pending()
        self._wake, self._draining = asyncio.Event(), asyncio.Lock()  # this loop's (a test client restarts the app)
        self._wake.set()  # whatever waited while the bot was down goes out first
        self._tasks = [
            asyncio.create_task(self._poll_loop(), name="telegram-poll"),
            asyncio.create_task(self._delivery_loop(), name="telegram-outbox"),
        ]
        return True

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for api in (self._api, self._webhook_api):
            if api is not None:
                await api.close()
        self._api = self._webhook_api = None

    async def check_token(self, token: str) -> str:
        """Ask getMe with `token`; the bot's username, or BotApiError."""
        api = BotApi(self._api_base, token)
        try:
            me = await api.call("getMe")
        finally:
            await api.close()
        return str((me or {}).get("username", ""))

    # The outbox

    async def drain(self) -> int:
        """Send every due message once, oldest first; the number sent."""
        if self._api is None:
            return 0
        sent = 0
        async with self._draining:
            for message in self.store.due(utcnow()):
                try:
                    await self._send(message.chat_id, message.text)
                except BotApiError as e:
                    if not e.is_retryable:
                        log.warning("telegram message %s dropped: %s", message.id, e)
                        self.store.mark_dropped(message.id, str(e))
                        continue
                    wait = timedelta(seconds=e.retry_after) if e.retry_after else backoff(message.attempts + 1)
                    self.store.mark_retry(message.id, str(e), utcnow() + wait)
                    log.warning("telegram message %s not sent, retrying in %s: %s", message.id, wait, e)
                    break  # the Bot API is failing: the rest wait for the retry too
                self.store.mark_sent(message.id)
                sent += 1
        return sent

    async def _send(self, chat_id: int, text: str) -> None:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self._quick_retries),
            wait=wait_exponential(multiplier=self._quick_retry_seconds, max=5),
            retry=retry_if_exception(lambda e: isinstance(e, BotApiError) and e.is_retryable and not e.retry_after),
            reraise=True,
        ):
            with attempt:
                await self._api.send_message(chat_id, text)

    async def _delivery_loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.drain()
            except Exception:  # the loop must outlive a database hiccup; the rows stay pending
                log.exception("telegram outbox delivery failed")
            due = self.store.next_due()
            wait = (
                IDLE_CHECK_SECONDS
                if due is None
                else max(0.0, min(IDLE_CHECK_SECONDS, (due - utcnow()).total_seconds()))
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    # Commands

    async def receive(self, update: dict[str, Any]) -> bool:
        """Answer one update Telegram pushed to the webhook; False for one seen before (Telegram redelivers
        until it gets a 200) or when no bot is configured."""
        bot, token = self.store.bot(), self.store.token()
        update_id = update.get("update_id")
        if bot is None or token is None or not isinstance(update_id, int) or update_id < bot.update_offset:
            return False
        self.store.save_offset(update_id + 1)  # before answering: never answer twice
        if self._api is None and self._webhook_api is None:
            self._webhook_api = BotApi(self._api_base, token)
        await self._handle(update)
        return True

    async def _poll_loop(self) -> None:
        failures = 0
        while True:
            try:
                bot = self.store.bot()
                updates = await self._api.call(
                    "getUpdates", offset=bot.update_offset, timeout=self._poll_seconds, allowed_updates=["message"]
                )
                for update in updates or []:
                    self.store.save_offset(int(update["update_id"]) + 1)  # before answering: never answer twice
                    await self._handle(update)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as e:  # a background loop: log, back off, go on
                failures += 1
                log.warning("telegram getUpdates failed (%s in a row): %s", failures, e)
                await asyncio.sleep(min(30.0, 0.5 * 2**failures))

    async def _handle(self, update: dict[str, Any]) -> None:
        message = update.get("message") or {}
        chat = message.get("chat") or {}
        text = message.get("text")
        if not isinstance(text, str) or not text.startswith("/") or not isinstance(chat.get("id"), int):
            return
        chat_id = chat["id"]
        if chat.get("type") != "private":
            await self._reply(chat_id, "brokergate answers in private chats only.")
            return
        words = text.split()
        command, arguments = words[0][1:].split("@", 1)[0].lower(), words[1:]
        owner = self.store.user_of_chat(chat_id)
        if command in ("start", "link") and arguments:
            sender = (message.get("from") or {}).get("username", "")
            user_id = self.store.link(arguments[0], chat_id, str(sender))
            if user_id is None:
                await self._reply(chat_id, "That link code is unknown or expired; make a new one in the console.")
                return
            owner = self.store.user_of_chat(chat_id)
        if owner is None:
            await self._reply(chat_id, NOT_LINKED)
            return
        user = Principal(user_id=owner[0], username=owner[1])
        await self._reply(chat_id, await self._commands.answer(user, command, arguments))

    async def _reply(self, chat_id: int, text: str) -> None:
        try:
            await (self._api or self._webhook_api).send_message(chat_id, text)
        except BotApiError as e:  # a reply is not an alert: it is not queued again
            log.warning("telegram reply to a chat failed: %s", e)
