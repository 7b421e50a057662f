"""`brokergate history ...`: fill the history store, see what it holds, import, export and schedule.

DuckDB lets one process write a store at a time, so while `brokergate serve` has the store open
these commands say so and point at the console or the API instead.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from generated.errors import BrokergateError

history_app = typer.Typer(
    no_args_is_help=True, help="The local history store (Historify): download, read, import, export."
)
out = Console()

Username = Annotated[str, typer.Option("--username", "-u", help="Whose broker to download through.")]
Exchange = Annotated[str, typer.Option("--exchange", "-e", help="Exchange, e.g. NSE, NFO, MCX.")]
Interval = Annotated[str, typer.Option("--interval", "-i", help="1m or D (other intervals are folded on read).")]
From = Annotated[str, typer.Option("--from", help="First IST day, YYYY-MM-DD.")]
To = Annotated[str | None, typer.Option("--to", help="Last IST day, YYYY-MM-DD (default today).")]


def _fail(message: str) -> typer.Exit:
    from gateway.cli import fail

    return fail(message)


def _services():
    from gateway.cli import load_settings
    from gateway.services import Services

    return Services.build(load_settings())


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{name} must be a date as YYYY-MM-DD, not {value!r}") from None


def _run(coroutine_factory):
    """Run one command against the store, turning a locked store or a brokergate error into a message."""
    import duckdb  # here, not at the top: `brokergate serve` loads this module and needs no DuckDB

    try:
        return asyncio.run(coroutine_factory())
    except duckdb.IOException as e:
        if "lock" in str(e).lower():
            raise _fail(
                "the history store is open in a running brokergate; use the console's History page or "
                "POST /api/v1/historify/... instead, or stop the server"
            ) from None
        raise _fail(f"the history store could not be opened: {e}") from None
    except BrokergateError as e:
        raise _fail(e.message) from None
    except (ValueError, FileNotFoundError) as e:
        raise _fail(str(e)) from None


def _principal(services, username: str):
    from gateway.accounts import AccountError, Principal

    try:
        user = services.accounts.user(username)
    except AccountError as e:
        raise _fail(str(e)) from None
    return Principal(user.id, user.username)


@history_app.command("download")
def download(
    symbols: Annotated[list[str], typer.Argument(help="One or more symbols, e.g. SBIN INFY.")],
    username: Username,
    exchange: Exchange = "NSE",
    interval: Interval = "1m",
    start: From = "",
    end: To = None,
    full: Annotated[bool, typer.Option("--full", help="Download the whole range, not only what is missing.")] = False,
) -> None:
    """Download candles from the user's broker (the offline market in analyzer mode) into the store."""
    services = _services()
    user = _principal(services, username)
    historify = services.historify
    last = _day(end, "--to") if end else historify.today()
    first = _day(start, "--from") if start else last

    async def main():
        job = await historify.download(
            user,
            [(s.upper(), exchange.upper()) for s in symbols],
            interval,
            first,
            last,
            incremental=not full,
            run=False,
        )
        return await _follow(historify, job)

    job = _run(main)
    out.print(f"job {job['job_id']}: {job['status']}, {job['done']}/{job['items']} items, {job['rows']} bars")
    if job["status"] == "failed":
        raise typer.Exit(1)


async def _follow(historify, job: dict) -> dict:
    if job["status"] != "queued":
        return job
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=out, transient=False) as progress:
        task = progress.add_task(f"job {job['job_id']}", total=job["items"], completed=job["done"])

        def report(state: dict) -> None:
            progress.update(task, completed=state["done"] + state["failed"], description=f"{state['rows']} bars")

        return await historify.run(job["job_id"], progress=report)


@history_app.command("resume")
def resume(job_id: Annotated[str, typer.Argument(help="The job to go on with (see `history jobs`).")]) -> None:
    """Go on with a paused or interrupted job, retrying its failed items."""
    historify = _services().historify

    async def main():
        await asyncio.to_thread(historify.journal.retry_failed, job_id)
        await asyncio.to_thread(historify.journal.set_status, job_id, "queued")
        return await _follow(historify, await historify.job(job_id))

    job = _run(main)
    out.print(f"job {job['job_id']}: {job['status']}, {job['done']}/{job['items']} items, {job['rows']} bars")


@history_app.command("jobs")
def jobs() -> None:
    """The download jobs, newest first."""
    historify = _services().historify
    table = Table("job", "interval", "from", "to", "status", "items", "done", "failed", "bars")
    for job in _run(historify.jobs):
        table.add_row(
            job["job_id"], job["interval"], job["start_date"], job["end_date"], job["status"],
            *(str(job[name]) for name in ("items", "done", "failed", "rows")),
        )  # fmt: skip
    out.print(table)


@history_app.command("catalogue")
def catalogue(symbol: Annotated[str | None, typer.Argument(help="Only this symbol.")] = None) -> None:
    """What the store holds: first and last bar and the count per symbol and interval."""
    historify = _services().historify
    table = Table("symbol", "exchange", "interval", "first", "last", "bars")
    for row in _run(lambda: historify.catalogue(symbol.upper() if symbol else None)):
        table.add_row(row["symbol"], row["exchange"], row["interval"], _when(row, "first"), _when(row, "last"),
                      str(row["count"]))  # fmt: skip
    out.print(table)


def _when(row: dict, end: str) -> str:
    if row["interval"] == "D":
        return row[f"{end}_date"]
    from sandbox.market import IST

    return datetime.fromtimestamp(row[end], IST).strftime("%Y-%m-%d %H:%M")


@history_app.command("delete")
def delete(
    symbol: Annotated[str, typer.Argument()],
    exchange: Exchange = "NSE",
    interval: Annotated[str | None, typer.Option("--interval", "-i", help="1m or D; both if absent.")] = None,
) -> None:
    """Delete a symbol's stored candles."""
    historify = _services().historify
    deleted = _run(lambda: historify.delete(symbol.upper(), exchange.upper(), interval))
    out.print(f"deleted {deleted} bars")


@history_app.command("import")
def import_file(
    path: Annotated[
        Path, typer.Argument(help="A .csv or .parquet file: timestamp, open, high, low, close, volume[, oi].")
    ],
    symbol: Annotated[str, typer.Option("--symbol", "-s")],
    exchange: Exchange = "NSE",
    interval: Interval = "1m",
) -> None:
    """Load a file of one series; a bad row rejects the whole file with a row-numbered report."""
    from storage.history import ImportRejected

    store = _services().historify.store
    try:
        loaded = _run(lambda: asyncio.to_thread(store.import_file, path, symbol.upper(), exchange.upper(), interval))
    except ImportRejected as e:
        for problem in e.problems:
            out.print(f"  {problem}", highlight=False)
        raise _fail(f"{e.total} bad row(s) in {path.name}; nothing was loaded") from None
    out.print(f"loaded {loaded} bars of {symbol.upper()} {exchange.upper()} {interval}")


@history_app.command("export")
def export(
    path: Annotated[Path, typer.Argument(help="The .csv or .parquet file to write.")],
    symbol: Annotated[str, typer.Option("--symbol", "-s")],
    exchange: Exchange = "NSE",
    interval: Annotated[
        str, typer.Option("--interval", "-i", help="Any interval `history` serves, e.g. 5m or D.")
    ] = "1m",
    start: From = "1970-01-01",
    end: To = None,
) -> None:
    """Write one series (folded to any interval) to CSV or Parquet."""
    historify = _services().historify
    last = _day(end, "--to") if end else historify.today()
    written = _run(
        lambda: asyncio.to_thread(
            historify.store.export, path, symbol.upper(), exchange.upper(), interval, _day(start, "--from"), last
        )
    )
    out.print(f"wrote {written} bars to {path}")


@history_app.command("watch")
def watch(symbols: Annotated[list[str], typer.Argument()], exchange: Exchange = "NSE") -> None:
    """Add symbols to the watchlist that scheduled refreshes keep up to date."""
    historify = _services().historify
    watched = _run(lambda: historify.watch([(s.upper(), exchange.upper()) for s in symbols]))
    out.print("watching: " + ", ".join(f"{s} {e}" for s, e in watched))


@history_app.command("unwatch")
def unwatch(symbols: Annotated[list[str], typer.Argument()], exchange: Exchange = "NSE") -> None:
    """Remove symbols from the watchlist."""
    historify = _services().historify
    watched = _run(lambda: historify.unwatch([(s.upper(), exchange.upper()) for s in symbols]))
    out.print("watching: " + (", ".join(f"{s} {e}" for s, e in watched) or "nothing"))


@history_app.command("schedule")
def schedule(
    username: Username,
    interval: Interval = "1m",
    at: Annotated[str, typer.Option("--at", help="IST time on weekdays, HH:MM.")] = "16:00",
    cancel: Annotated[bool, typer.Option("--cancel", help="Remove the schedule instead.")] = False,
) -> None:
    """Refresh the watchlist every weekday after the close (runs in `brokergate serve`)."""
    services = _services()
    user = _principal(services, username)
    try:
        hour, minute = (int(part) for part in at.split(":"))
    except ValueError:
        raise _fail(f"--at must be HH:MM, not {at!r}") from None

    async def main():
        services.scheduler.start(paused=True)  # jobs are stored only while it runs; paused, none is run
        try:
            if cancel:
                return services.historify.unschedule_refresh(user, interval)
            return services.historify.schedule_refresh(user, interval, hour, minute)
        finally:
            services.scheduler.stop()

    done = _run(main)
    if cancel:
        out.print("schedule removed" if done else "there was no such schedule")
    else:
        out.print(f"the watchlist's {interval} candles refresh on weekdays at {hour:02d}:{minute:02d} IST")
