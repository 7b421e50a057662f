"""The supervisor: makes each strategy's process match the state its owner asked for.

The database is the channel: the console, the CLI and the schedule write `desired_state`, and the
supervisor (inside `brokergate serve`) starts or stops processes until `status` agrees, on a poke
from this process or within a second for a change made by another (the CLI). A script that exits
by itself is never started again by the supervisor: its wanted state falls back to stopped, and a
non-zero exit is recorded as failed with its exit code and last lines of output.

One supervisor per folder: an exclusive lock on `supervisor.lock` keeps a second server on the
same data from running the same scripts twice, and tells the CLI whether a server is there.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import sys
from dataclasses import dataclass
from typing import IO

from gateway.accounts import Accounts
from gateway.pystrategies.process import (
    Limits,
    ScriptProcess,
    describe_exit,
    end_orphan,
    rotating_log,
    write_lines,
)
from gateway.pystrategies.scripts import ScriptFolder
from gateway.pystrategies.store import StrategyStore
from gateway.settings import Settings
from storage import PythonStrategy, utcnow

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
MESSAGE_CHARS = 4000  # of a failure: the exit and the last lines of output
RUNNING, STOPPED, FINISHED, FAILED = "running", "stopped", "finished", "failed"
_ANY_ADDRESS = {"", "0.0.0.0", "::"}


@dataclass(frozen=True, slots=True)
class SupervisorConfig:
    interpreter: str
    pythonpath: str
    limits: Limits
    log_max_bytes: int
    log_backups: int
    stop_seconds: float
    api_url: str
    websocket_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> SupervisorConfig:
        def local(host: str) -> str:
            host = "127.0.0.1" if host in _ANY_ADDRESS else host
            return f"[{host}]" if ":" in host else host

        return cls(
            interpreter=settings.python_strategy_interpreter or sys.executable,
            pythonpath=settings.python_strategy_pythonpath,
            limits=Limits(
                memory_bytes=settings.python_strategy_memory_mb * 1024 * 1024,
                cpu_seconds=settings.python_strategy_cpu_seconds,
                open_files=settings.python_strategy_open_files,
                file_size_bytes=settings.python_strategy_file_size_mb * 1024 * 1024,
            ),
            log_max_bytes=max(1024, int(settings.python_strategy_log_max_mb * 1024 * 1024)),
            log_backups=settings.python_strategy_log_files,
            stop_seconds=settings.python_strategy_stop_seconds,
            api_url=f"http://{local(settings.host)}:{settings.port}",
            websocket_url=f"ws://{local(settings.websocket_host)}:{settings.websocket_port}",
        )


def server_is_running(folder: ScriptFolder) -> bool:
    """Whether a `brokergate serve` supervises this folder (it holds the lock)."""
    if not folder.lock.exists():
        return False
    with folder.lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


class Supervisor:
    def __init__(self, store: StrategyStore, folder: ScriptFolder, accounts: Accounts, config: SupervisorConfig):
        self.store = store
        self.folder = folder
        self.accounts = accounts
        self.config = config
        self._running: dict[int, ScriptProcess] = {}
        self._watchers: set[asyncio.Task] = set()
        self._poke = asyncio.Event()
        self._pass = asyncio.Lock()
        self._loop_task: asyncio.Task | None = None
        self._lock_file: IO | None = None

    @property
    def is_active(self) -> bool:
        return self._loop_task is not None

    def running(self, strategy_id: int) -> ScriptProcess | None:
        return self._running.get(strategy_id)

    async def start(self) -> bool:
        """Take the folder's lock, end what a crashed predecessor left running, and begin supervising."""
        self.folder.ensure()
        handle = self.folder.lock.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            log.error("another brokergate supervises %s; Python strategies will not run here", self.folder.root)
            return False
        self._lock_file = handle
        self._poke = asyncio.Event()
        self._pass = asyncio.Lock()
        await self.reconcile_orphans()
        self._loop_task = asyncio.create_task(self._loop(), name="python-strategies")
        return True

    async def stop(self) -> None:
        """Stop every script (SIGTERM, then SIGKILL after the grace period) and let go of the folder."""
        if self._loop_task is None:
            return
        self._loop_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._loop_task
        self._loop_task = None
        await asyncio.gather(
            *(self._stop(strategy_id, "stopped with brokergate") for strategy_id in list(self._running))
        )
        if self._watchers:
            await asyncio.gather(*self._watchers, return_exceptions=True)
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def poke(self) -> None:
        self._poke.set()

    async def settle(self) -> None:
        """Run one pass now (the console waits for it, so its answer shows the new state)."""
        if self.is_active:
            await self._reconcile()

    async def reconcile_orphans(self) -> None:
        """Correct rows a dead brokergate left as running, ending any process of theirs still alive."""
        for row in self.store.all():
            if row.status != RUNNING and row.pid is None:
                continue
            ended = row.pid is not None and await end_orphan(row.pid, row.process_start, self.config.stop_seconds)
            note = "ended the process it left behind" if ended else "its process was already gone"
            handler = rotating_log(
                self.folder.log(row.id), max_bytes=self.config.log_max_bytes, backups=self.config.log_backups
            )
            write_lines(handler, [f"[brokergate] brokergate stopped while this ran (pid {row.pid}); {note}"])
            handler.close()
            self.store.update(
                row.id,
                status=STOPPED,
                pid=None,
                process_start=None,
                stopped_at=utcnow(),
                message=f"brokergate stopped while this ran; {note}",
            )
            log.warning("python strategy %s: brokergate stopped while it ran; %s", row.id, note)

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poke.wait(), timeout=POLL_SECONDS)
            self._poke.clear()
            try:
                await self._reconcile()
            except Exception:  # a bad pass must not end supervision; the next one retries
                log.exception("python strategies: a supervision pass failed")

    async def _reconcile(self) -> None:
        async with self._pass:
            rows = {row.id: row for row in self.store.all()}
            for strategy_id in [known for known in self._running if known not in rows]:
                await self._stop(strategy_id, "its strategy was deleted")
            for row in rows.values():
                if row.desired_state == RUNNING and row.id not in self._running:
                    await self._start(row)
                elif row.desired_state != RUNNING and row.id in self._running:
                    await self._stop(row.id, "stopped")

    async def _start(self, row: PythonStrategy) -> None:
        script = self.folder.script(row.id)
        if not script.exists():
            return self._failed_to_start(row, "its script file is missing; save the script again")
        api_key = self.accounts.api_key_by_id(row.api_key_id) if row.api_key_id else None
        if api_key is None:  # revoked meanwhile (e.g. `apikey revoke` of all keys): the script gets a fresh one
            key_id, api_key = self.accounts.issue_api_key(row.user_id)
            self.store.update(row.id, api_key_id=key_id)
        handler = rotating_log(
            self.folder.log(row.id), max_bytes=self.config.log_max_bytes, backups=self.config.log_backups
        )
        try:
            process = await ScriptProcess.spawn(
                [self.config.interpreter, "-u", str(script.resolve())],
                cwd=self.folder.workdir(row.id).resolve(),
                env=self._environment(row, api_key),
                limits=self.config.limits,
                handler=handler,
                secrets=[api_key],
            )
        except (OSError, ValueError) as e:
            handler.close()
            return self._failed_to_start(row, f"could not start {self.config.interpreter}: {e}")
        self._running[row.id] = process
        process.note(f"started (pid {process.pid}, {self.config.interpreter})")
        self.store.update(
            row.id,
            status=RUNNING,
            pid=process.pid,
            process_start=process.start_marker,
            exit_code=None,
            message="",
            started_at=utcnow(),
            stopped_at=None,
        )
        log.info("python strategy %s started as pid %s", row.id, process.pid)
        watcher = asyncio.create_task(self._watch(row.id, process))
        self._watchers.add(watcher)
        watcher.add_done_callback(self._watchers.discard)

    def _failed_to_start(self, row: PythonStrategy, reason: str) -> None:
        log.warning("python strategy %s did not start: %s", row.id, reason)
        self.store.update(row.id, desired_state=STOPPED, status=FAILED, exit_code=None, message=reason)

    def _environment(self, row: PythonStrategy, api_key: str) -> dict[str, str]:
        # The script gets a small environment, never brokergate's own: no APP_KEY, pepper or broker secret.
        inherited = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "LC_ALL", "TZ") if name in os.environ}
        environment = inherited | {
            "PYTHONUNBUFFERED": "1",
            "PYTHONIOENCODING": "utf-8",
            "OPENALGO_API_KEY": api_key,
            "OPENALGO_HOST": self.config.api_url,
            "OPENALGO_WS_URL": self.config.websocket_url,
            "WEBSOCKET_URL": self.config.websocket_url,
            "STRATEGY_ID": str(row.id),
            "STRATEGY_NAME": row.name,
            # numpy and friends start a thread per core by default, each reserving memory under RLIMIT_AS.
            **dict.fromkeys(("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"), "1"),
        }
        if self.config.pythonpath:
            environment["PYTHONPATH"] = self.config.pythonpath
        return environment

    async def _stop(self, strategy_id: int, reason: str) -> None:
        process = self._running.get(strategy_id)
        if process is None:
            return
        process.note(f"{reason}: SIGTERM to its process group")
        code = await process.stop(self.config.stop_seconds)
        await self._record_exit(strategy_id, process, code, reason)

    async def _watch(self, strategy_id: int, process: ScriptProcess) -> None:
        code = await process.finished
        if not process.stop_requested:
            await self._record_exit(strategy_id, process, code, "")

    async def _record_exit(self, strategy_id: int, process: ScriptProcess, code: int, reason: str) -> None:
        if self._running.get(strategy_id) is not process:
            return  # already recorded
        del self._running[strategy_id]
        how = describe_exit(code)
        process.note(how)
        process.close()
        common = {"pid": None, "process_start": None, "exit_code": code, "stopped_at": utcnow()}
        if process.stop_requested:
            fields = {"status": STOPPED, "message": f"{reason} ({how})"}
        elif code == 0:
            fields = {"status": FINISHED, "desired_state": STOPPED, "message": "finished by itself (exit code 0)"}
        else:  # a crash: recorded, never restarted in a loop
            last = "\n".join(line for line in process.tail if not line.startswith("[brokergate]"))
            message = f"{how}\n{last}".strip()
            fields = {"status": FAILED, "desired_state": STOPPED, "message": message[-MESSAGE_CHARS:]}
            log.warning("python strategy %s failed: %s", strategy_id, how)
        self.store.update(strategy_id, **common, **fields)
