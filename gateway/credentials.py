"""Each user's own app credentials at a broker (api_key, api_secret, ...), Fernet-encrypted at rest.

A broker's manifest names the credentials it needs; the user enters them once in the console or the
CLI, and every call to that broker carries them decrypted in `Account.credentials`. Values are never
shown again: the console says which names are stored, not what they hold.
"""

from __future__ import annotations

import json

from cachetools import TTLCache
from sqlalchemy import Engine
from sqlmodel import select

from gateway.security import Vault
from generated.errors import ValidationFailed
from storage import BrokerCredential, session_scope, utcnow

MAX_VALUE_LENGTH = 512


class BrokerCredentials:
    def __init__(self, engine: Engine, *, app_key: str) -> None:
        self._engine = engine
        self._vault = Vault(app_key, "broker-credentials")
        # Read on every live broker call; cleared by this process's own writes.
        self._cache: TTLCache[tuple[int, str], dict[str, str] | None] = TTLCache(maxsize=10_000, ttl=2.0)

    def store(self, user_id: int, broker: str, fields: dict[str, str], required: list[str]) -> None:
        """Save the user's credentials for `broker`, replacing any earlier ones; every required name must be given."""
        cleaned = {name: str(fields.get(name, "")).strip() for name in required}
        missing = [name for name, value in cleaned.items() if not value]
        if missing:
            raise ValidationFailed(f"{broker} needs {', '.join(missing)}", field="credentials", broker=broker)
        too_long = [name for name, value in cleaned.items() if len(value) > MAX_VALUE_LENGTH]
        if too_long:
            raise ValidationFailed(f"{', '.join(too_long)} is longer than {MAX_VALUE_LENGTH} characters", field="credentials")
        encrypted = self._vault.encrypt(json.dumps(cleaned))
        with session_scope(self._engine) as session:
            row = session.get(BrokerCredential, (user_id, broker))
            if row is None:
                row = BrokerCredential(user_id=user_id, broker=broker, fields_encrypted=encrypted)
            row.fields_encrypted, row.updated_at = encrypted, utcnow()
            session.add(row)
        self._cache.pop((user_id, broker), None)

    def get(self, user_id: int, broker: str) -> dict[str, str] | None:
        key = (user_id, broker)
        if key not in self._cache:
            with session_scope(self._engine) as session:
                row = session.get(BrokerCredential, key)
                encrypted = row.fields_encrypted if row else None
            self._cache[key] = json.loads(self._vault.decrypt(encrypted)) if encrypted else None
        return self._cache[key]

    def brokers(self, user_id: int) -> set[str]:
        """The brokers this user has stored credentials for."""
        with session_scope(self._engine) as session:
            return set(session.exec(select(BrokerCredential.broker).where(BrokerCredential.user_id == user_id)).all())

    def forget(self, user_id: int, broker: str) -> bool:
        with session_scope(self._engine) as session:
            row = session.get(BrokerCredential, (user_id, broker))
            if row is not None:
                session.delete(row)
        self._cache.pop((user_id, broker), None)
        return row is not None
