"""Each user's saved chart preferences: named text values that a charting front-end reads back.

Bounded so that one key cannot fill the database: at most 50 keys per user, names of at most 50
characters, values of at most 1 MB. A string is kept as sent; any other JSON value as its JSON text.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from gateway.accounts import Principal
from generated.errors import ValidationFailed
from storage import ChartPreference, session_scope, utcnow

MAX_KEYS = 50
MAX_KEY_LENGTH = 50
MAX_VALUE_BYTES = 1024 * 1024


def _refuse(message: str, field: str = "_schema") -> ValidationFailed:
    return ValidationFailed(message, errors={field: [message]})


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


class ChartPreferences:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def read(self, user: Principal) -> dict[str, str]:
        with session_scope(self._engine) as session:
            rows = session.exec(
                select(ChartPreference).where(ChartPreference.user_id == user.user_id).order_by(ChartPreference.key)
            ).all()
        return {row.key: row.value for row in rows}

    def save(self, user: Principal, preferences: dict[str, Any]) -> None:
        """Save every key of `preferences`, replacing saved values; keys not sent stay as they were."""
        if not preferences:
            raise _refuse("No preferences provided to update")
        if len(preferences) > MAX_KEYS:
            raise _refuse(f"Too many preference keys (max {MAX_KEYS})")
        values = {}
        for key, value in preferences.items():
            if not key or len(key) > MAX_KEY_LENGTH:
                raise _refuse(
                    f"Preference key too long or empty: {key[:MAX_KEY_LENGTH]!r} (max {MAX_KEY_LENGTH} chars)"
                )
            values[key] = _as_text(value)
            if len(values[key].encode()) > MAX_VALUE_BYTES:
                raise _refuse(f"Preference value too large for key: {key} (max 1MB)", key)
        with session_scope(self._engine) as session:
            saved = {
                row.key: row
                for row in session.exec(select(ChartPreference).where(ChartPreference.user_id == user.user_id))
            }
            if len(saved.keys() | values.keys()) > MAX_KEYS:
                raise _refuse(f"Too many preference keys (max {MAX_KEYS}; {len(saved)} already saved)")
            for key, value in values.items():
                row = saved.get(key) or ChartPreference(user_id=user.user_id, key=key, value=value)
                row.value, row.updated_at = value, utcnow()
                session.add(row)
