"""Users, API keys and per-user settings: the service behind the CLI, the console and authentication."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from cachetools import TTLCache
from sqlalchemy import Engine, func
from sqlmodel import select

from gateway.security import Vault, digest_api_key, hash_password, new_api_key, verify_password
from generated.errors import ApiKeyRevoked, InvalidApiKey
from storage import ApiKey, ConsoleSession, OrderAudit, User, UserSettings, UserTotp, session_scope, utcnow

_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
MIN_PASSWORD_LENGTH = 8
# Authentication and settings are read on every request; a short cache keeps them off the database.
# Changes made in this process clear it at once; a revocation from another process (the CLI) takes
# effect within this many seconds.
CACHE_SECONDS = 2.0


class AccountError(ValueError):
    """A user mistake in account management (a taken name, a short password, an unknown user)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who an API key belongs to."""

    user_id: int
    username: str


@dataclass(frozen=True, slots=True)
class KeyRecord:
    id: int
    api_key: str
    created_at: datetime
    revoked_at: datetime | None


class Accounts:
    def __init__(self, engine: Engine, *, app_key: str, api_key_pepper: str) -> None:
        self._engine = engine
        self._pepper = api_key_pepper
        self._key_vault = Vault(app_key, "api-key")
        self._principals: TTLCache[str, Principal | type[Exception]] = TTLCache(maxsize=10_000, ttl=CACHE_SECONDS)
        self._settings: TTLCache[int, UserSettings] = TTLCache(maxsize=10_000, ttl=CACHE_SECONDS)

    def create_user(self, username: str, password: str, *, is_admin: bool = False) -> User:
        if not _USERNAME.match(username):
            raise AccountError("username must be 3 to 64 letters, digits, '.', '_' or '-'")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
        with session_scope(self._engine) as session:
            if session.exec(select(User).where(User.username == username)).first():
                raise AccountError(f"user {username!r} already exists")
            user = User(username=username, password_hash=hash_password(password), is_admin=is_admin)
            session.add(user)
            session.flush()
            session.add(UserSettings(user_id=user.id))
            return user

    def set_password(self, username: str, password: str, *, disable_totp: bool = False) -> int:
        """Replace the user's password (argon2id) and end their console sessions; how many sessions ended.

        For an administrator locked out of the console; `disable_totp` also turns off their second factor.
        """
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
        user = self._user(username)
        new_hash = hash_password(password)
        with session_scope(self._engine) as session:
            row = session.get(User, user.id)
            row.password_hash = new_hash
            session.add(row)
            sessions = session.exec(
                select(ConsoleSession).where(ConsoleSession.user_id == user.id, ConsoleSession.revoked_at.is_(None))
            ).all()
            for console_session in sessions:
                console_session.revoked_at = utcnow()
                session.add(console_session)
            if disable_totp and (totp := session.get(UserTotp, user.id)) is not None:
                session.delete(totp)
        return len(sessions)

    def verify_login(self, username: str, password: str) -> User | None:
        user = self._user(username, required=False)
        if user is None or not verify_password(user.password_hash, password):
            return None
        return user

    def create_api_key(self, username: str) -> str:
        user = self._user(username)
        api_key = new_api_key()
        with session_scope(self._engine) as session:
            session.add(
                ApiKey(
                    user_id=user.id,
                    key_digest=digest_api_key(api_key, self._pepper),
                    key_encrypted=self._key_vault.encrypt(api_key),
                )
            )
        return api_key

    def issue_api_key(self, user_id: int) -> tuple[int, str]:
        """A new key of the user's for a program that acts for them (a Python strategy): its row id and value."""
        api_key = new_api_key()
        with session_scope(self._engine) as session:
            row = ApiKey(
                user_id=user_id,
                key_digest=digest_api_key(api_key, self._pepper),
                key_encrypted=self._key_vault.encrypt(api_key),
            )
            session.add(row)
            session.flush()
            return row.id, api_key

    def api_key_by_id(self, key_id: int) -> str | None:
        """The value of an active key, decrypted, for the program it was issued to; None once revoked or gone."""
        with session_scope(self._engine) as session:
            row = session.get(ApiKey, key_id)
            if row is None or row.revoked_at is not None:
                return None
            return self._key_vault.decrypt(row.key_encrypted)

    def api_keys(self, username: str) -> list[KeyRecord]:
        """The user's keys, decrypted, newest first (for the owner's explicit reveal)."""
        user = self._user(username)
        with session_scope(self._engine) as session:
            rows = session.exec(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.id.desc())).all()
            return [
                KeyRecord(row.id, self._key_vault.decrypt(row.key_encrypted), row.created_at, row.revoked_at)
                for row in rows
            ]

    def revoke_api_keys(self, username: str, key_id: int | None = None) -> int:
        """Revoke one key of the user's, or all of them; return how many were revoked."""
        user = self._user(username)
        with session_scope(self._engine) as session:
            query = select(ApiKey).where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None))
            if key_id is not None:
                query = query.where(ApiKey.id == key_id)
            rows = session.exec(query).all()
            for row in rows:
                row.revoked_at = utcnow()
                session.add(row)
        self._principals.clear()
        return len(rows)

    def authenticate(self, api_key: str) -> Principal:
        """Return the key's owner; raise InvalidApiKey or ApiKeyRevoked."""
        digest = digest_api_key(api_key, self._pepper)
        known = self._principals.get(digest)
        if known is None:
            known = self._principals[digest] = self._lookup(digest)
        if isinstance(known, Principal):
            return known
        raise known()

    def _lookup(self, digest: str) -> Principal | type[Exception]:
        with session_scope(self._engine) as session:
            row = session.exec(
                select(ApiKey.revoked_at, User.id, User.username)
                .join(User, User.id == ApiKey.user_id)
                .where(ApiKey.key_digest == digest)
            ).first()
        if row is None:
            return InvalidApiKey
        revoked_at, user_id, username = row
        return ApiKeyRevoked if revoked_at is not None else Principal(user_id=user_id, username=username)

    def settings(self, user_id: int) -> UserSettings:
        if (cached := self._settings.get(user_id)) is not None:
            return cached
        with session_scope(self._engine) as session:
            row = session.get(UserSettings, user_id) or UserSettings(user_id=user_id)
        self._settings[user_id] = row
        return row

    def set_analyze_mode(self, user_id: int, analyze_mode: bool) -> None:
        with session_scope(self._engine) as session:
            row = session.get(UserSettings, user_id) or UserSettings(user_id=user_id)
            row.analyze_mode = analyze_mode
            session.add(row)
        self._settings.pop(user_id, None)

    def set_order_mode(self, user_id: int, order_mode: str) -> None:
        with session_scope(self._engine) as session:
            row = session.get(UserSettings, user_id) or UserSettings(user_id=user_id)
            row.order_mode = order_mode
            session.add(row)
        self._settings.pop(user_id, None)

    def sandbox_order_count(self, user_id: int) -> int:
        with session_scope(self._engine) as session:
            return session.exec(
                select(func.count())
                .select_from(OrderAudit)
                .where(OrderAudit.user_id == user_id, OrderAudit.broker == "sandbox")
                .where(OrderAudit.event == "place.requested")
            ).one()

    def user(self, username: str) -> User:
        """The user of that name; AccountError when there is none."""
        return self._user(username)

    def _user(self, username: str, *, required: bool = True) -> User | None:
        with session_scope(self._engine) as session:
            user = session.exec(select(User).where(User.username == username)).first()
        if user is None and required:
            raise AccountError(f"no user named {username!r}")
        return user
