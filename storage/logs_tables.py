"""Tables of the separate logs database: one row per request (traffic and latency together).

They live on their own `MetaData`, not SQLModel's, because the logs database is disposable and
created on start-up rather than migrated, and its rows must never be compared with the main schema.
"""

from __future__ import annotations

import sqlalchemy as sa

LOGS_METADATA = sa.MetaData()

TRAFFIC = sa.Table(
    "traffic_log",
    LOGS_METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.Float, nullable=False, index=True),  # Unix seconds: cheap to write, easy to purge by
    sa.Column("client_ip", sa.String(64), nullable=False),
    sa.Column("method", sa.String(8), nullable=False),
    sa.Column("path", sa.String(256), nullable=False),
    sa.Column("route", sa.String(128), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("total_ms", sa.Float, nullable=False),
    sa.Column("broker_ms", sa.Float, nullable=True),  # time in the broker plugin's calls (gateway.brokertime)
    sa.Column("user_id", sa.Integer, nullable=True, index=True),
    sa.Column("broker", sa.String(32), nullable=True),  # whose plugin the request called, if any
)
