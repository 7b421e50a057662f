"""Migrations build an empty database, upgrade the previous revision, and match the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from storage import make_engine, upgrade
from storage.db import alembic_config, applied_revisions, head_revisions

pytestmark = pytest.mark.databases  # on SQLite and on PostgreSQL (tests/postgres.py)


def test_empty_database_upgrades_to_head_and_matches_the_models(database_url):
    engine = make_engine(database_url)

    upgrade(engine)

    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
    assert {"users", "api_keys", "broker_sessions", "user_settings", "order_audit"} <= set(
        inspect(engine).get_table_names()
    )


def test_previous_revision_upgrades_and_keeps_its_rows(database_url):
    engine = make_engine(database_url)
    script = ScriptDirectory.from_config(alembic_config(engine))
    head = script.get_current_head()
    previous = script.get_revision(head).down_revision
    upgrade(engine, previous)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (username, password_hash, is_admin, created_at) VALUES ('old', 'x', false, '2025-01-01')"
            )
        )

    upgrade(engine)

    with engine.connect() as connection:
        assert connection.execute(text("SELECT username FROM users")).scalar_one() == "old"
        assert MigrationContext.configure(connection).get_current_revision() == head


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")

    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"


def test_the_heads_read_without_alembic_are_alembics(database_url):
    script = ScriptDirectory.from_config(alembic_config(make_engine(database_url)))

    assert head_revisions() == frozenset(script.get_heads())


def test_applied_revisions_reach_the_heads_after_an_upgrade_from_one_behind(database_url):
    engine = make_engine(database_url)
    script = ScriptDirectory.from_config(alembic_config(engine))
    head = script.get_current_head()
    assert applied_revisions(engine) == frozenset()
    upgrade(engine, script.get_revision(head).down_revision)
    assert applied_revisions(engine) != head_revisions()

    upgrade(engine)

    assert applied_revisions(engine) == head_revisions() == {head}
