"""The pieces several workers share, each on a real database (SQLite and PostgreSQL) or a real Valkey/Redis."""

import time

import pytest

from gateway.leader import Lease
from gateway.sharedlimits import SharedWindows
from storage import make_engine, upgrade
from streaming import JournalTail, OrderJournal

pytestmark = pytest.mark.databases


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_one_holder_of_the_lease_until_it_expires_or_is_given_back(engine):
    first, second = (Lease(engine, seconds=1.0, holder=name) for name in ("first", "second"))
    assert first.hold() and not second.hold()
    assert first.hold()  # renewing keeps it, and keeps the term
    assert first.current() == ("first", 1)
    time.sleep(1.2)  # the first holder stopped renewing
    assert second.hold() and not first.hold()
    assert second.current() == ("second", 2)
    second.release()
    assert first.current() is None and first.hold()
    assert first.current() == ("first", 3)


def test_the_tail_sends_what_every_worker_journaled_once_in_order(engine):
    journals = [OrderJournal(engine), OrderJournal(engine)]  # two workers' writers
    journals[0].record(1, {"orderid": "before"})  # stored before the tail began: clients replay it with `since`
    tail = JournalTail(engine, lambda *_: None)
    tail.begin()
    for number in range(6):
        journals[number % 2].record(1 + number % 3, {"orderid": f"o{number}"})
    first = tail.read_new()
    assert [(user, update["orderid"]) for user, update in first] == [(1 + n % 3, f"o{n}") for n in range(6)]
    assert [update["sequence"] for user, update in first if user == 1] == [2, 3]
    assert tail.read_new() == []  # the window is reread, nothing is sent twice
    journals[1].record(2, {"orderid": "later"})
    assert [update["orderid"] for _, update in tail.read_new()] == ["later"]


def test_two_processes_windows_count_against_one_limit(keyvalue_url):
    import redis

    redis.Redis.from_url(keyvalue_url).flushall()
    workers = [SharedWindows(keyvalue_url), SharedWindows(keyvalue_url)]
    waits = [workers[number % 2].hit(5, 60, (60, 5, "api", "ip:203.0.113.9")) for number in range(8)]
    assert waits[:5] == [0.0] * 5
    assert all(0 < wait <= 60 for wait in waits[5:])
    workers[0].clear(lambda key: key[-1] == "ip:203.0.113.9")
    assert workers[1].hit(5, 60, (60, 5, "api", "ip:203.0.113.9")) == 0.0
    assert workers[0].check()


async def test_a_burst_of_updates_is_numbered_in_order_and_shares_commits(engine):
    from sqlalchemy import event

    from streaming.journal import JournalWriter

    commits, stored = [], []
    event.listen(engine, "commit", lambda _connection: commits.append(1))
    journal = OrderJournal(engine)
    journal.record(2, {"orderid": "earlier"})
    commits.clear()
    writer = JournalWriter(journal, lambda batch, sequences: stored.extend(zip(batch, sequences, strict=True)))
    for number in range(60):
        writer.submit(1 + number % 3, {"orderid": f"o{number}"})
    await writer.flush()
    writer.close()
    assert [order["orderid"] for (_, order), _ in stored] == [f"o{number}" for number in range(60)]
    for user, first in ((1, 1), (2, 2), (3, 1)):  # each user's numbers run on from what was stored
        numbers = [sequence for (owner, _), sequence in stored if owner == user]
        assert numbers == list(range(first, first + 20))
    assert [update["sequence"] for update in journal.since(1, 18)] == [19, 20]
    assert len(commits) < 60  # updates that waited for a commit went in the next one together


def test_the_journal_reads_a_users_highest_number_once_and_again_only_after_a_clash(engine):
    from sqlalchemy import event

    statements = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_: statements.append(sql.split()[0].upper()))
    mine, other = OrderJournal(engine), OrderJournal(engine)
    assert [mine.record(7, {"orderid": f"a{n}"}) for n in range(3)] == [1, 2, 3]
    assert statements.count("SELECT") == 1  # the later numbers come from memory
    assert other.record(7, {"orderid": "elsewhere"}) == 4  # another worker numbers on from the stored highest
    statements.clear()
    assert mine.record(7, {"orderid": "a3"}) == 5  # its remembered 3 clashes; it rereads and takes the next
    assert statements.count("SELECT") == 1
