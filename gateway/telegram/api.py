"""A small client of the Telegram Bot API over httpx, and the log filter that keeps the bot token out of logs.

The Bot API carries the token in the URL path (`/bot<token>/<method>`), and httpx logs every request
URL at INFO, so a filter on the `httpx` logger masks that segment before any handler sees it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx

_TOKEN_IN_PATH = re.compile(r"/bot[^/\s]+/")


def redacted(text: str) -> str:
    """`text` with any `/bot<token>/` path segment masked."""
    return _TOKEN_IN_PATH.sub("/bot***/", text)


class _RedactBotToken(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/bot" in message:
            record.msg, record.args = redacted(message), ()
        return True


for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(_RedactBotToken())


class BotApiError(Exception):
    """A failed Bot API call; `is_retryable` tells a passing failure from a refusal that will not change."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(redacted(message))
        self.status = status
        self.retry_after = retry_after

    @property
    def is_retryable(self) -> bool:
        # No answer, a server fault, flood control, or a token being changed: later may work.
        return self.status is None or self.status >= 500 or self.status in (401, 404, 429)


class BotApi:
    def __init__(self, base_url: str, token: str, *, timeout: float = 10.0) -> None:
        self._token = token
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)

    async def call(self, method: str, **params: Any) -> Any:
        """Call `method` with JSON `params` and return its `result`; raise BotApiError otherwise.

        Every keyword is a Bot API parameter, `timeout` too (getUpdates' long poll); the HTTP timeout is
        the client's, set long enough to outlast that poll."""
        try:
            response = await self._client.post(f"/bot{self._token}/{method}", json=params)
            body = response.json()
        except (httpx.HTTPError, ValueError) as e:
            raise BotApiError(f"{method}: {type(e).__name__}") from None  # the cause may hold the URL
        if isinstance(body, dict) and body.get("ok") is True:
            return body.get("result")
        description = body.get("description", "no description") if isinstance(body, dict) else "not a JSON object"
        parameters = body.get("parameters") or {} if isinstance(body, dict) else {}
        raise BotApiError(
            f"{method}: {response.status_code} {description}",
            status=response.status_code,
            retry_after=parameters.get("retry_after"),
        )

    async def send_message(self, chat_id: int, text: str) -> None:
        await self.call("sendMessage", chat_id=chat_id, text=text[:4096], disable_web_page_preview=True)

    async def close(self) -> None:
        await self._client.aclose()
