"""`brokergate serve --workers N`: what the supervising process settles before uvicorn starts the workers,
and the factory each worker builds its app with.

The supervisor refuses to start without shared rate-limit storage: each worker counting alone would
let a client through N times its limit and count ban strikes N ways, silently weakening the
perimeter. Counting on the trading database instead would add a write to every request on the
database that orders commit to, which is the opposite of what more workers are for. So it asks for a
Redis or Valkey server (`RATE_LIMIT_STORAGE_URL`) and says so in one line.

It then migrates the database once (the workers would race each other) and hands every worker the
same market start and clock anchor through the environment, so their offline markets agree.
"""

from __future__ import annotations

import os
import time
from datetime import datetime

from sqlalchemy.engine import make_url

from gateway.settings import Settings
from sandbox.market import IST


def prepare_workers(settings: Settings, workers: int) -> None:
    """Check what several workers need and set up their environment; ValueError says what is missing."""
    if not settings.rate_limit_storage_url:
        raise ValueError(
            f"--workers {workers} needs RATE_LIMIT_STORAGE_URL naming a Redis or Valkey server "
            "(for example redis://127.0.0.1:6379/0), so that rate limits and bans count requests of every "
            "worker together; or run one worker"
        )
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise ValueError("--workers needs a database every worker can open: an in-memory SQLite database is not")
    from gateway.sharedlimits import SharedWindows

    try:
        reachable = SharedWindows(settings.rate_limit_storage_url).check()
    except Exception as e:  # a malformed URL or a missing client library
        raise ValueError(f"RATE_LIMIT_STORAGE_URL cannot be used: {e}") from None
    if not reachable:
        raise ValueError("RATE_LIMIT_STORAGE_URL does not answer; start the Redis or Valkey server first")

    from gateway.services import Services

    Services.build(settings)  # migrates and seeds the database once, before the workers start
    anchor = time.time()
    os.environ["BROKERGATE_WORKERS"] = str(workers)
    os.environ["BROKERGATE_CLOCK_ANCHOR"] = repr(anchor)
    start = settings.market_start or datetime.fromtimestamp(anchor, IST)
    os.environ["MARKET_START"] = start.isoformat()
    os.environ["HOST"], os.environ["PORT"] = settings.host, str(settings.port)


def worker_app():
    """The app of one worker (uvicorn calls this in each worker process)."""
    from gateway.allocator import long_lived_start
    from gateway.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, (settings.app_key, settings.api_key_pepper))
    with long_lived_start():
        from gateway.app import create_app

        return create_app(settings)
