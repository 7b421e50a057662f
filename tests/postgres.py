"""A throw-away PostgreSQL cluster for the test session, and one fresh database per test.

Modules marked `pytest.mark.databases` run every test that builds a database (through the `settings`
or `database_url` fixtures) twice: on SQLite and on PostgreSQL. The cluster is Debian's own binaries
(`initdb`, `pg_ctl`), started once per session on a free local port with its socket in a temporary
folder, trust authentication and durability off (a test database is thrown away anyway). initdb
refuses to run as root, so as root the cluster belongs to the `postgres` user (or `nobody`).

Without the binaries the PostgreSQL cases are skipped, unless `BROKERGATE_REQUIRE_POSTGRES=1`
(CI sets it) turns the absence into a failure.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

BACKENDS = ("sqlite", "postgresql")
_numbers = itertools.count(1)


def find_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, or the newest under /usr/lib/postgresql."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(os.path.realpath(on_path)).parent
    for folder in sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda name: int(name.split("/")[-2]), reverse=True
    ):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _owner() -> str | None:
    """The unprivileged account that runs the cluster when we are root; None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' account exists for initdb")


@dataclass
class PostgresCluster:
    """A running cluster; `create_database()` hands out an empty database's URL."""

    binaries: Path
    folder: Path
    port: int
    owner: str | None

    @property
    def socket_folder(self) -> Path:
        return self.folder / "socket"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.owner, "--"] if self.owner else []
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stdout}{done.stderr}")

    def start(self, *, durable: bool = False) -> None:
        """Initialise and start the cluster; `durable` keeps PostgreSQL's own fsync and synchronous
        commit (benchmarks), where tests turn them off."""
        data = self.folder / "data"
        self.socket_folder.mkdir(parents=True)
        if self.owner:
            account = pwd.getpwnam(self.owner)
            for path in (self.folder, self.socket_folder):
                os.chown(path, account.pw_uid, account.pw_gid)
        self._run(
            str(self.binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
            "--locale=C",
        )
        options = f"-p {self.port} -k {self.socket_folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            str(self.binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.folder / "log"), "-w", "start"
        )

    def stop(self) -> None:
        self._run(str(self.binaries / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _execute(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(statement)

    def create_database(self) -> str:
        """An empty schema of its own, named in the URL's search_path (far cheaper than CREATE DATABASE)."""
        name = f"test_{os.getpid()}_{next(_numbers)}"
        self._execute(f'CREATE SCHEMA "{name}"')
        return f"{self.url()}?options=-csearch_path%3D{name}"

    def drop_database(self, url: str) -> None:
        name = url.rsplit("%3D", 1)[1]
        self._execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _required() -> bool:
    return os.environ.get("BROKERGATE_REQUIRE_POSTGRES", "") not in ("", "0")


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    binaries = find_binaries()
    if binaries is None:
        if _required():
            pytest.fail(
                "BROKERGATE_REQUIRE_POSTGRES is set but initdb/pg_ctl were not found (apt-get install postgresql)"
            )
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not installed")
    with throwaway_cluster(binaries) as cluster:
        yield cluster


@contextmanager
def throwaway_cluster(binaries: Path, *, durable: bool = False) -> Iterator[PostgresCluster]:
    """A cluster started on a free port in a fresh folder, stopped and removed on leaving."""
    # /tmp rather than pytest's tmp folder: the cluster's owner must be able to reach it as root drops to it
    folder = Path(tempfile.mkdtemp(prefix="brokergate-pg-"))
    os.chmod(folder, 0o755)
    cluster = PostgresCluster(binaries, folder, _free_port(), _owner())
    try:
        cluster.start(durable=durable)
        yield cluster
        cluster.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def database_backend(request) -> str:
    """'sqlite' unless the test is parametrised over both backends (modules marked `databases`)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def database_url(request, database_backend, tmp_path) -> Iterator[str]:
    """An empty database for this test, on the backend the test runs against."""
    if database_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'brokergate.db'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    url = cluster.create_database()
    yield url
    cluster.drop_database(url)


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "databases: run each test that builds a database on SQLite and on PostgreSQL (tests/postgres.py)"
    )


def pytest_generate_tests(metafunc) -> None:
    if metafunc.definition.get_closest_marker("databases") and "database_backend" in metafunc.fixturenames:
        metafunc.parametrize("database_backend", BACKENDS, indirect=True)
