"""A throw-away Valkey (or Redis) server for the tests that share rate limits between workers.

Debian's `valkey-server` (or `redis-server`) is started once per session on a free local port, in
the foreground, with persistence off. Without the binary those tests are skipped, unless
`BROKERGATE_REQUIRE_VALKEY=1` (CI sets it) turns the absence into a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

BINARIES = ("valkey-server", "redis-server")


def find_server() -> str | None:
    return next((found for name in BINARIES if (found := shutil.which(name))), None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def keyvalue_url() -> Iterator[str]:
    """`redis://127.0.0.1:<port>` of a server that lives for the test session."""
    binary = find_server()
    if binary is None:
        if os.environ.get("BROKERGATE_REQUIRE_VALKEY", "") not in ("", "0"):
            pytest.fail("BROKERGATE_REQUIRE_VALKEY is set but neither valkey-server nor redis-server was found")
        pytest.skip("valkey-server / redis-server not installed (apt-get install valkey-server or redis-server)")
    folder = Path(tempfile.mkdtemp(prefix="brokergate-kv-"))
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{binary} did not start on port {port}") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
