"""Logging set-up with a filter that keeps secrets out of every log line."""

from __future__ import annotations

import logging
import re

from gateway.webhooks.tokens import masked_text

# API keys and broker tokens are long hex or base64 runs; nothing legitimate in a log looks like that.
_KEY_LIKE = re.compile(r"\b[0-9a-fA-F]{32,}\b|gAAAAA[0-9A-Za-z_\-=]{20,}")
REDACTED = "[redacted]"


class RedactSecrets(logging.Filter):
    """Replace known secrets and anything shaped like a key in a record's final message."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self._secrets = tuple(secret for secret in secrets if secret)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for secret in self._secrets:
            message = message.replace(secret, REDACTED)
        message = masked_text(_KEY_LIKE.sub(REDACTED, message))  # webhook tokens ride in URL paths
        record.msg, record.args = message, None
        return True


def configure_logging(level: str, secrets: tuple[str, ...] = ()) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Alembic names each of its plugins as it loads them, seven lines before the first migration says anything.
    logging.getLogger("alembic.runtime.plugins").setLevel(max(root.level, logging.WARNING))
