"""What a server start loads: libraries that only some features use stay out of its memory and start-up.

Each start runs in a fresh interpreter, the way `brokergate serve` does, so nothing an earlier test
imported can hide a regression. Timings belong to `make bench` (tools/bench_startup.py), not here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from connexion.exceptions import InvalidSpecification
from connexion.spec import Specification

from gateway.specs import checked_in_tests, spec
from tests.conftest import APP_KEY, PEPPER

ROOT = Path(__file__).resolve().parents[3]
SCENARIO = """
import sys

import gateway.cli  # what `brokergate serve` imports first
from gateway.app import create_app
from gateway.settings import Settings

folder = sys.argv[1]
settings = Settings(
    app_key=sys.argv[2],
    api_key_pepper=sys.argv[3],
    database_url=f"sqlite:///{folder}/brokergate.db",
    history_database=f"{folder}/history.duckdb",
    python_strategies_dir=f"{folder}/strategies",
    websocket_port=0,
    zmq_address="tcp://127.0.0.1:*",
    _env_file=None,
)
with create_app(settings).test_client() as client:  # the lifespan starts the market, feed and scheduler
    assert client.get("/health").status_code == 200
print(" ".join(sorted(name for name, module in sys.modules.items() if module is not None)))
"""
# scipy: the normal CDF comes from the standard library; duckdb: only the history store needs it;
# cryptography: only a stored secret; click and pygments: httpx's command-line client; alembic (and
# pygments through mako): migrations.
ON_EVERY_START = {"scipy", "scipy.special", "duckdb", "cryptography", "click", "httpx._main"}
ON_A_CURRENT_DATABASE = ON_EVERY_START | {"alembic", "mako", "pygments"}


def _start(folder: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", SCENARIO, str(folder), APP_KEY, PEPPER],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return set(done.stdout.split())


def test_a_first_start_migrates_without_loading_what_only_some_features_use(tmp_path):
    loaded = _start(tmp_path)

    assert "alembic" in loaded  # a new database is migrated
    assert loaded & ON_EVERY_START == set()
    assert not (tmp_path / "history.duckdb").exists()  # no history store is opened, so none is created


def test_a_second_start_on_a_current_database_does_not_load_alembic(tmp_path):
    _start(tmp_path)

    loaded = _start(tmp_path)

    assert loaded & ON_A_CURRENT_DATABASE == set()


def test_connexion_checks_specs_again_after_the_start_up_skip():
    broken = spec("webhooks.yaml") | {"info": "not an object"}

    with checked_in_tests():
        Specification.from_dict(broken)

    with pytest.raises(InvalidSpecification):
        Specification.from_dict(broken)
