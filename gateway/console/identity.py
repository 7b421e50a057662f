"""Who may use the console: the first-run admin, password checks and changes, and optional TOTP.

Passwords are checked with argon2 through `gateway.accounts` on a worker thread (argon2 is slow on
purpose). An unknown username costs the same hash as a known one, so timing does not tell which names
exist. TOTP secrets are encrypted with the vault's `totp` key and a code is accepted at most once.
"""

from __future__ import annotations

import asyncio
import hmac
import threading
import time
from functools import cache

import pyotp
from sqlalchemy import Engine, func
from sqlmodel import select

from gateway.accounts import MIN_PASSWORD_LENGTH, AccountError, Accounts
from gateway.security import Vault, hash_password, verify_password
from storage import User, UserTotp, session_scope

ISSUER = "brokergate"


@cache
def _unknown_user_hash() -> str:
    # Made on the first login, not at import: an argon2 hash takes a quarter of a second of start-up.
    return hash_password("no user has this password")


class Identity:
    def __init__(self, engine: Engine, accounts: Accounts, *, app_key: str) -> None:
        self._engine = engine
        self._accounts = accounts
        self._vault = Vault(app_key, "totp")
        self._setup_lock = threading.Lock()

    def needs_setup(self) -> bool:
        with session_scope(self._engine) as session:
            return session.exec(select(func.count()).select_from(User)).one() == 0

    def create_admin(self, username: str, password: str) -> User:
        """Create the first user; refused once anyone exists, so setup cannot be replayed later."""
        with self._setup_lock:
            if not self.needs_setup():
                raise AccountError("setup is already done; log in instead")
            return self._accounts.create_user(username, password, is_admin=True)

    async def check_password(self, username: str, password: str) -> User | None:
        # Before the lookup, so the first login pays for this hash whether or not the name exists.
        unknown_user_hash = await asyncio.to_thread(_unknown_user_hash)
        user = await asyncio.to_thread(self._accounts.verify_login, username, password)
        if user is None and self.user(username) is None:
            await asyncio.to_thread(verify_password, unknown_user_hash, password)
        return user

    def user(self, username: str) -> User | None:
        with session_scope(self._engine) as session:
            return session.exec(select(User).where(User.username == username)).first()

    def user_by_id(self, user_id: int) -> User | None:
        with session_scope(self._engine) as session:
            return session.get(User, user_id)

    async def change_password(self, user_id: int, current: str, new: str) -> None:
        user = self.user_by_id(user_id)
        if user is None or not await asyncio.to_thread(verify_password, user.password_hash, current):
            raise AccountError("the current password is wrong")
        if len(new) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"the new password must be at least {MIN_PASSWORD_LENGTH} characters")
        new_hash = await asyncio.to_thread(hash_password, new)
        with session_scope(self._engine) as session:
            row = session.get(User, user_id)
            row.password_hash = new_hash
            session.add(row)

    def is_totp_enabled(self, user_id: int) -> bool:
        with session_scope(self._engine) as session:
            row = session.get(UserTotp, user_id)
        return bool(row and row.is_enabled)

    def start_totp(self, user_id: int, username: str) -> tuple[str, str]:
        """Store a fresh, not yet enabled secret; return it and its otpauth URI for the authenticator app."""
        secret = pyotp.random_base32()
        with session_scope(self._engine) as session:
            row = session.get(UserTotp, user_id) or UserTotp(user_id=user_id, secret_encrypted="")
            row.secret_encrypted, row.is_enabled, row.last_counter = self._vault.encrypt(secret), False, 0
            session.add(row)
        return secret, pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)

    def verify_totp(self, user_id: int, code: str, *, enable: bool = False) -> bool:
        """Check a code against the stored secret (enabled, or pending when `enable`); refuse reuse."""
        code = code.strip().replace(" ", "")
        with session_scope(self._engine) as session:
            row = session.get(UserTotp, user_id)
            if row is None or row.is_enabled == enable or not code.isdigit():
                return False
            totp = pyotp.TOTP(self._vault.decrypt(row.secret_encrypted))
            now_step = int(time.time()) // totp.interval
            # One step either side tolerates clock drift between the phone and the server.
            counter = next(
                (
                    step
                    for step in (now_step, now_step - 1, now_step + 1)
                    if hmac.compare_digest(totp.generate_otp(step), code)
                ),
                None,
            )
            if counter is None or counter <= row.last_counter:
                return False
            row.last_counter = counter
            if enable:
                row.is_enabled = True
            session.add(row)
        return True

    def disable_totp(self, user_id: int) -> None:
        with session_scope(self._engine) as session:
            if (row := session.get(UserTotp, user_id)) is not None:
                session.delete(row)
