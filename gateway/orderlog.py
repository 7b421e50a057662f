"""The order audit trail as people read it: filtered, newest first, secrets masked, and as CSV.

The order desk already leaves API keys out of what it records; masking here is the second line, for
anything that looks like a credential in a broker's answer or a request field.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import select

from storage import OrderAudit, User, session_scope

MASK = "***"
_SECRET_NAME = re.compile(r"(api_?key|token|secret|password|totp|pin|authorization)", re.IGNORECASE)
MAX_ROWS = 1000


def masked(value):
    """`value` with every field whose name looks like a secret replaced by a mask, at any depth."""
    if isinstance(value, dict):
        return {key: MASK if _SECRET_NAME.search(str(key)) else masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


@dataclass(frozen=True, slots=True)
class AuditFilter:
    user_id: int | None = None  # None: every user (administrators only)
    event: str = ""  # a prefix such as "place" or "cancel.accepted"
    order_id: str = ""
    broker: str = ""
    since: datetime | None = None
    limit: int = 200


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: datetime
    username: str
    broker: str
    event: str
    order_id: str
    client_order_id: str
    payload: dict

    @property
    def is_failure(self) -> bool:
        return self.event.endswith(".failed")


class OrderLog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def rows(self, wanted: AuditFilter) -> list[AuditRow]:
        query = select(OrderAudit, User.username).join(User, User.id == OrderAudit.user_id)
        if wanted.user_id is not None:
            query = query.where(OrderAudit.user_id == wanted.user_id)
        if wanted.event:
            query = query.where(OrderAudit.event.startswith(wanted.event))
        if wanted.order_id:
            query = query.where(OrderAudit.order_id == wanted.order_id)
        if wanted.broker:
            query = query.where(OrderAudit.broker == wanted.broker)
        if wanted.since is not None:
            query = query.where(OrderAudit.created_at >= wanted.since)
        query = query.order_by(OrderAudit.id.desc()).limit(max(1, min(wanted.limit, MAX_ROWS)))
        with session_scope(self._engine) as session:
            found = session.exec(query).all()
        return [
            AuditRow(
                row.id,
                row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC),
                username,
                row.broker,
                row.event,
                row.order_id or "",
                row.client_order_id or "",
                masked(_parsed(row.payload)),
            )
            for row, username in found
        ]

    def brokers(self) -> list[str]:
        with session_scope(self._engine) as session:
            return sorted(set(session.exec(select(OrderAudit.broker).distinct()).all()))


def _parsed(payload: str) -> dict:
    try:
        value = json.loads(payload)
    except ValueError:
        return {"unparsed": payload}
    return value if isinstance(value, dict) else {"value": value}


def audit_csv(rows: Iterable[AuditRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "time_utc", "user", "broker", "event", "orderid", "client_order_id", "payload"])
    for row in rows:
        writer.writerow(
            [
                row.id,
                row.at.strftime("%Y-%m-%d %H:%M:%S"),
                row.username,
                row.broker,
                row.event,
                row.order_id,
                row.client_order_id,
                _csv_safe(json.dumps(row.payload, sort_keys=True)),
            ]
        )
    return buffer.getvalue()


def book_csv(rows: Sequence[dict]) -> str:
    """A book (orders, trades, positions, holdings) as CSV, columns in the order the first row has them."""
    buffer = io.StringIO()
    columns = list(dict.fromkeys(key for row in rows for key in row))
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_safe(value) for key, value in row.items()})
    return buffer.getvalue()


def _csv_safe(value):
    # A cell starting with = + - @ runs as a formula in a spreadsheet; a quote in front keeps it text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
