"""SQLite's WAL checkpoints run on the checkpointer's thread while it runs, not inside the commits."""

import sqlalchemy as sa

from storage import make_engine
from storage.checkpoints import SAFETY_NET_PAGES, SQLITE_DEFAULT_PAGES, Checkpointer

_NOTES = sa.Table("notes", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.Text))


def _engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    _NOTES.metadata.create_all(engine)
    return engine


def _commit_pages(engine, commits: int) -> None:
    for number in range(commits):  # each commit appends at least one page to the log
        with engine.begin() as connection:
            connection.execute(_NOTES.insert(), {"body": f"{number}" * 3000})


def _threshold(engine) -> int:
    with engine.connect() as connection:
        return connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()


def test_while_it_runs_commits_leave_the_log_to_it(tmp_path):
    engine = _engine(tmp_path)
    checkpointer = Checkpointer(engine, interval=3600)  # its own round would not come during the test
    checkpointer.start()
    try:
        assert _threshold(engine) == SAFETY_NET_PAGES
        _commit_pages(engine, 1_500)
        busy, frames, copied = checkpointer.checkpoint()
        assert busy == 0 and frames >= 1_500 and copied == frames  # no commit checkpointed on its way
    finally:
        checkpointer.stop()
    assert _threshold(engine) == SQLITE_DEFAULT_PAGES  # commits checkpoint by themselves again
    engine.dispose()


def test_without_it_the_commits_checkpoint_as_sqlite_does(tmp_path):
    engine = _engine(tmp_path)
    checkpointer = Checkpointer(engine)
    _commit_pages(engine, 1_500)
    _, frames, _ = checkpointer.checkpoint()
    assert frames < 1_500  # a commit past 1,000 pages checkpointed and the log started over
    engine.dispose()


def test_it_stays_out_of_databases_without_a_log(tmp_path):
    assert Checkpointer(make_engine("sqlite://")).applies is False  # in memory
    assert Checkpointer(make_engine(f"sqlite:///{tmp_path / 'file.db'}")).applies is True
