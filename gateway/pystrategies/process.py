"""One script as one OS process: resource limits, its own process group, output into a rotating log.

The child leads a new session (so a stop reaches every process it started through the group), gets
RLIMIT_AS, RLIMIT_CPU, RLIMIT_NOFILE and RLIMIT_FSIZE before it runs a line of user code, and on
Linux receives SIGTERM if brokergate dies first. Its stdout and stderr go, line by line, into a
RotatingFileHandler; the last lines are also kept in memory to explain a failure.

After a crash of brokergate itself, `end_orphan` recognises a script it left behind by the pid and
the process's start time (so a pid reused by an unrelated program is never signalled) and ends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import resource
import signal
import sys
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path

from sandbox.market import IST

MAX_LINE = 8192  # longer lines are cut, so one runaway print cannot fill the log in a line
TAIL_LINES = 20  # kept in memory to say why a script failed
_PR_SET_PDEATHSIG = 1
_PROC = Path("/proc")

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Limits:
    memory_bytes: int
    cpu_seconds: int
    open_files: int
    file_size_bytes: int

    def rlimits(self) -> list[tuple[int, int, int]]:
        """(resource, soft, hard) triples, capped at this process's own hard limits (an unprivileged
        process cannot raise them). CPU gets a hard limit a second above the soft one: the soft limit
        sends SIGXCPU, the hard one SIGKILL."""
        wanted = [
            (resource.RLIMIT_AS, self.memory_bytes, self.memory_bytes),
            (resource.RLIMIT_CPU, self.cpu_seconds, self.cpu_seconds + 1),
            (resource.RLIMIT_NOFILE, self.open_files, self.open_files),
            (resource.RLIMIT_FSIZE, self.file_size_bytes, self.file_size_bytes),
        ]
        capped = []
        for kind, soft, hard in wanted:
            _, ceiling = resource.getrlimit(kind)
            if ceiling != resource.RLIM_INFINITY:
                soft, hard = min(soft, ceiling), min(hard, ceiling)
            capped.append((kind, soft, hard))
        return capped


def _child_setup(rlimits: list[tuple[int, int, int]]):
    """What runs in the child between fork and exec: limits, then death with the parent (Linux)."""
    libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None

    def apply() -> None:
        for kind, soft, hard in rlimits:
            resource.setrlimit(kind, (soft, hard))
        if libc is not None:
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return apply


class _IstFormatter(logging.Formatter):
    """Log times in IST, the market's time, whatever the server's time zone."""

    def formatTime(self, record, datefmt=None):
        return datetime.fromtimestamp(record.created, IST).strftime("%Y-%m-%d %H:%M:%S")


def rotating_log(path: Path, *, max_bytes: int, backups: int) -> RotatingFileHandler:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=True)
    handler.setFormatter(_IstFormatter("%(asctime)s %(message)s"))
    return handler


def write_lines(handler: RotatingFileHandler, lines: Iterable[str]) -> None:
    for line in lines:
        handler.handle(logging.makeLogRecord({"msg": line, "levelno": logging.INFO, "levelname": "INFO"}))


class ScriptProcess:
    """A running script; `finished` completes with its exit code once it exited and its output is logged."""

    def __init__(self, process: asyncio.subprocess.Process, handler: RotatingFileHandler, secrets: list[str]) -> None:
        self._process = process
        self._handler = handler
        self._secrets = [secret for secret in secrets if secret]
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self.pid = process.pid
        self.start_marker = process_start(process.pid)
        self.stop_requested = False
        self._pump = asyncio.create_task(self._read_output())
        self.finished = asyncio.create_task(self._finish())

    @classmethod
    async def spawn(
        cls,
        command: list[str],
        *,
        cwd: Path,
        env: dict[str, str],
        limits: Limits,
        handler: RotatingFileHandler,
        secrets: list[str],
    ) -> ScriptProcess:
        cwd.mkdir(parents=True, exist_ok=True)
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own session and process group: a stop reaches its children too
            preexec_fn=_child_setup(limits.rlimits()),
            close_fds=True,
        )
        return cls(process, handler, secrets)

    def note(self, text: str) -> None:
        """A line of brokergate's own in the script's log (started, stopped, exit code)."""
        line = f"[brokergate] {text}"
        self.tail.append(line)
        write_lines(self._handler, [line])

    async def _read_output(self) -> None:
        stream = self._process.stdout
        pending = b""
        while chunk := await stream.read(65536):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if len(pending) > MAX_LINE:
                lines.append(pending[:MAX_LINE] + b" [line cut]")
                pending = b""
            if lines:
                await asyncio.to_thread(self._write, lines)
        if pending:
            await asyncio.to_thread(self._write, [pending])

    def _write(self, raw_lines: list[bytes]) -> None:
        lines = []
        for raw in raw_lines:
            line = raw[:MAX_LINE].decode("utf-8", errors="replace").rstrip("\r")
            for secret in self._secrets:  # a script that prints its API key does not put it in the log
                line = line.replace(secret, "***")
            lines.append(line)
            self.tail.append(line)
        write_lines(self._handler, lines)

    async def _finish(self) -> int:
        code = await self._process.wait()
        try:
            # A child that escaped the group may hold the pipe open; the log waits no longer than this.
            await asyncio.wait_for(asyncio.shield(self._pump), timeout=2)
        except TimeoutError:
            self._pump.cancel()
        signal_group(self.pid, signal.SIGKILL)  # whatever it started and left behind in its group
        return code

    async def stop(self, grace_seconds: float) -> int:
        """SIGTERM to the whole group, SIGKILL after the grace period; the exit code."""
        self.stop_requested = True
        signal_group(self.pid, signal.SIGTERM)
        try:
            return await asyncio.wait_for(asyncio.shield(self.finished), timeout=grace_seconds)
        except TimeoutError:
            signal_group(self.pid, signal.SIGKILL)
            return await self.finished

    def close(self) -> None:
        self._handler.close()


def signal_group(pgid: int, signum: int) -> bool:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}"
    return f"exited with code {code}"


# -- recognising a script after brokergate itself died ---------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError, NotADirectoryError):
        return None
    return text.rpartition(")")[2].split()  # field 3 (state) onwards; the name may hold spaces


def _boot_id() -> str:
    try:
        return (_PROC / "sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        return "noboot"


def process_start(pid: int) -> str | None:
    """A marker unique to this process for the life of the machine: boot id and start time in ticks."""
    fields = _stat_fields(pid)
    return f"{_boot_id()}:{fields[19]}" if fields and len(fields) > 19 else None


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in _PROC.glob("[0-9]*"):
        fields = _stat_fields(int(entry.name))
        if fields and len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            members.append(int(entry.name))
    return members


async def end_orphan(pid: int, marker: str | None, grace_seconds: float) -> bool:
    """End the process group a dead brokergate left running under `pid`; False when nothing of it is left.

    The group is ours if its leader still has the recorded start marker, or, with the leader gone, if
    the group still has members (Linux does not hand out a pid while a group of that id exists).
    """
    if marker is None:
        return False
    leader = process_start(pid)
    if leader is not None and leader != marker:
        return False  # the pid now belongs to another program
    if not group_members(pid):
        return False
    signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while group_members(pid) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    if group_members(pid):
        signal_group(pid, signal.SIGKILL)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2):
                while group_members(pid):
                    await asyncio.sleep(0.05)
    return True
