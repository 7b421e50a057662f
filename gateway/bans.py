"""Automatic and manual bans of client addresses, kept in the main database and checked in memory.

Strikes are counted with the same moving windows as rate limits: too many invalid API keys, or too
many requests for paths that do not exist (probing), within the configured window bans the address
for BAN_HOURS (0: for good). An address banned before is banned for good the second time. Addresses in
BAN_EXEMPT (loopback by default) are never banned, so an operator cannot lock themselves out locally.

The active bans are held in a dict and re-read every few seconds, so a ban lifted from the CLI (another
process) takes effect quickly while the check itself stays a dict lookup.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from limits import parse_many
from sqlalchemy import Engine
from sqlmodel import select
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.clientip import ClientAddresses, is_inside, parse_networks
from gateway.settings import Settings
from gateway.sharedlimits import counters
from generated.errors import InvalidApiKey, IpBanned
from storage import IpBan, session_scope, utcnow

log = logging.getLogger(__name__)
INVALID_KEY, NOT_FOUND = "invalid API keys", "requests for unknown paths"
REFRESH_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class BanRecord:
    id: int
    address: str
    reason: str
    created_at: datetime
    until: datetime | None


class BanList:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self._engine = engine
        self._exempt = parse_networks(settings.ban_exempt, setting="BAN_EXEMPT")
        self._hours = settings.ban_hours
        self._strike_windows = {
            INVALID_KEY: parse_many(settings.ban_invalid_key_limit),
            NOT_FOUND: parse_many(settings.ban_not_found_limit),
        }
        self._strikes = counters(settings.rate_limit_storage_url)  # strikes on any worker count together
        self._active: dict[str, datetime | None] = {}
        self._loaded_at = float("-inf")

    def is_banned(self, address: str) -> bool:
        if time.monotonic() - self._loaded_at > REFRESH_SECONDS:
            self._reload()
        if address not in self._active:
            return False
        until = self._active[address]
        return until is None or until > utcnow()

    def strike(self, address: str, kind: str) -> None:
        """Count one offence of `kind`; ban the address when a window of that kind overflows."""
        if is_inside(address, self._exempt) or self.is_banned(address):
            return
        for window in self._strike_windows[kind]:
            if self._strikes.hit(window.amount, window.get_expiry(), (window.get_expiry(), kind, address)):
                self.ban(address, f"automatic: more than {window} {kind}")
                return

    def ban(self, address: str, reason: str, *, hours: int | None = None) -> BanRecord:
        hours = self._hours if hours is None else hours
        with session_scope(self._engine) as session:
            is_repeat = session.exec(select(IpBan.id).where(IpBan.address == address)).first() is not None
            until = None if hours == 0 or is_repeat else utcnow() + timedelta(hours=hours)
            row = IpBan(address=address, reason=reason[:256], until=until)
            session.add(row)
            session.flush()
            record = _record(row)
        self._active[address] = until
        log.warning("banned %s %s: %s", address, f"until {until:%Y-%m-%d %H:%M} UTC" if until else "for good", reason)
        return record

    def lift(self, address: str) -> int:
        """Lift every active ban of `address`; return how many there were."""
        with session_scope(self._engine) as session:
            rows = session.exec(select(IpBan).where(IpBan.address == address, IpBan.lifted_at.is_(None))).all()
            for row in rows:
                row.lifted_at = utcnow()
                session.add(row)
        self._active.pop(address, None)
        self._strikes.clear(lambda key: key[-1] == address)  # a lifted address starts with a clean record
        return len(rows)

    def active(self) -> list[BanRecord]:
        now = utcnow()
        with session_scope(self._engine) as session:
            rows = session.exec(select(IpBan).where(IpBan.lifted_at.is_(None)).order_by(IpBan.id.desc())).all()
        return [_record(row) for row in rows if row.until is None or _aware(row.until) > now]

    def _reload(self) -> None:
        self._active = {record.address: record.until for record in self.active()}
        self._loaded_at = time.monotonic()


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def _record(row: IpBan) -> BanRecord:
    return BanRecord(row.id, row.address, row.reason, _aware(row.created_at), row.until and _aware(row.until))


class BanGuard:
    """Refuse banned addresses first; count invalid keys and unknown paths as strikes on the way out."""

    def __init__(self, app: ASGIApp, bans: BanList, addresses: ClientAddresses) -> None:
        self.app = app
        self.bans = bans
        self.addresses = addresses

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        address = self.addresses.resolve(scope)
        if self.bans.is_banned(address):
            raise IpBanned()
        try:
            await self.app(scope, receive, send)
        except InvalidApiKey:
            self.bans.strike(address, INVALID_KEY)
            raise
        except HTTPException as e:
            if e.status_code == 404:
                self.bans.strike(address, NOT_FOUND)
            raise
