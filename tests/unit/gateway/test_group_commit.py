"""The group-commit writer behind the order audit: each caller returns after its rows are committed,
writes in flight share transactions, and one write's error stays with its own caller."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, UniqueConstraint, create_engine, event, func, select
from sqlalchemy.exc import IntegrityError

from storage.groupcommit import GroupCommit

_METADATA = MetaData()
_ROWS = Table(
    "rows", _METADATA, Column("id", Integer, primary_key=True), Column("key", String), UniqueConstraint("key")
)


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'group.db'}")
    _METADATA.create_all(engine)
    commits = []
    event.listen(engine, "commit", lambda _connection: commits.append(1))
    engine.commits = commits
    return engine


def _count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(_ROWS)).scalar_one()


def test_a_write_is_committed_when_it_returns(engine):
    writer = GroupCommit(engine)

    async def scenario():
        await writer.write([(_ROWS.insert(), {"key": "a"})])
        return _count(engine)  # another connection sees it: committed, not merely flushed

    assert asyncio.run(scenario()) == 1
    writer.close()


def test_a_burst_shares_commits(engine):
    writer = GroupCommit(engine)

    async def scenario():
        await asyncio.gather(*(writer.write([(_ROWS.insert(), {"key": f"k{n}"})]) for n in range(50)))

    asyncio.run(scenario())
    writer.close()
    assert _count(engine) == 50
    assert len(engine.commits) < 50


def test_one_write_refused_leaves_the_others_stored(engine):
    writer = GroupCommit(engine)

    async def scenario():
        await writer.write([(_ROWS.insert(), {"key": "taken"})])
        return await asyncio.gather(
            writer.write([(_ROWS.insert(), {"key": "first"})]),
            writer.write([(_ROWS.insert(), {"key": "new"}), (_ROWS.insert(), {"key": "taken"})]),  # all or nothing
            writer.write([(_ROWS.insert(), {"key": "last"})]),
            return_exceptions=True,
        )

    first, clash, last = asyncio.run(scenario())
    writer.close()
    assert first is None and last is None
    assert isinstance(clash, IntegrityError)
    with engine.connect() as connection:
        keys = set(connection.execute(select(_ROWS.c.key)).scalars())
    assert keys == {"taken", "first", "last"}  # "new" went back with its write's clash
