"""`brokergate strategy ...`: add, list, start, stop, schedule, read logs of and remove Python strategies.

Scripts run inside `brokergate serve`; these commands write what the user wants to the database and
wait for the server to act on it (start and stop need a running server, the rest do not).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from generated.errors import BrokergateError

strategy_app = typer.Typer(
    no_args_is_help=True, help="Python strategies: your own scripts, run by `brokergate serve` as supervised processes."
)
out = Console()
User = Annotated[str, typer.Option("--user", "-u", help="Whose strategy (a brokergate username).")]
Ref = Annotated[str, typer.Argument(help="The strategy's name or id (see `strategy list`).")]


def _fail(message: str) -> typer.Exit:
    from gateway.cli import fail

    return fail(message)


def _context(username: str):
    from gateway.accounts import AccountError
    from gateway.cli import load_settings
    from gateway.services import Services

    services = Services.build(load_settings())
    try:
        user = services.accounts.user(username)
    except AccountError as e:
        raise _fail(str(e)) from None
    return services, user.id


def _run(coroutine_factory, *, needs_scheduler: bool = False, services=None):
    async def main():
        if needs_scheduler:
            services.scheduler.start(paused=True)  # jobs are stored only while it runs; paused, none is run
        try:
            return await coroutine_factory()
        finally:
            if needs_scheduler:
                services.scheduler.stop()

    try:
        return asyncio.run(main())
    except BrokergateError as e:
        raise _fail(e.message) from None


def _line(strategy: dict) -> str:
    text = f"{strategy['id']}\t{strategy['name']}\t{strategy['status']}"
    if strategy.get("exit_code") is not None:
        text += f" (exit code {strategy['exit_code']})"
    return text


def _require_server(services) -> None:
    if not services.pystrategies.server_is_running():
        raise _fail("brokergate serve is not running on this data folder; scripts run inside it, start it first")


@strategy_app.command("add")
def add(
    file: Annotated[Path, typer.Argument(help="The .py file to upload.")],
    username: User,
    name: Annotated[str | None, typer.Option("--name", help="Its name (default: the file's name).")] = None,
) -> None:
    """Store a script (checked: size, UTF-8, valid Python) with its own API key; it starts stopped."""
    if not file.is_file():
        raise _fail(f"{file} is not a file")
    services, user_id = _context(username)
    limit = services.pystrategies.max_script_bytes
    if file.stat().st_size > limit:
        raise _fail(f"{file} is {file.stat().st_size} bytes; at most {limit} bytes are accepted")
    created = _run(lambda: services.pystrategies.add(user_id, name or file.stem, file.read_bytes()))
    typer.echo(f"added {_line(created)}")


@strategy_app.command("edit")
def edit(
    ref: Ref,
    file: Annotated[Path, typer.Argument(help="The .py file with the new text.")],
    username: User,
) -> None:
    """Replace a strategy's script (a running one uses it from its next start)."""
    if not file.is_file():
        raise _fail(f"{file} is not a file")
    services, user_id = _context(username)
    if file.stat().st_size > services.pystrategies.max_script_bytes:
        raise _fail(f"{file} is larger than {services.pystrategies.max_script_bytes} bytes")
    edited = _run(lambda: services.pystrategies.edit(user_id, ref, source=file.read_bytes()))
    typer.echo(f"saved {_line(edited)}")


@strategy_app.command("list")
def list_strategies(username: User) -> None:
    """The user's strategies: id, name, state, schedule, and why the last run ended."""
    services, user_id = _context(username)
    strategies = services.pystrategies.list(user_id)
    if not strategies:
        typer.echo("no Python strategies; add one with `brokergate strategy add FILE --user U`")
        return
    table = Table("id", "name", "status", "schedule (IST)", "last message")
    for strategy in strategies:
        schedule = strategy["schedule"]
        when = f"{','.join(schedule['days'])} {schedule['start']}-{schedule['stop']}" if schedule else ""
        status = strategy["status"] + (f" ({strategy['exit_code']})" if strategy["exit_code"] is not None else "")
        table.add_row(str(strategy["id"]), strategy["name"], status, when, strategy["message"].split("\n")[0])
    out.print(table)


@strategy_app.command("start")
def start(ref: Ref, username: User) -> None:
    """Start a strategy now (in the running server)."""
    services, user_id = _context(username)
    _require_server(services)
    started = _run(lambda: services.pystrategies.start_strategy(user_id, ref))
    typer.echo(_line(started))
    if started["status"] != "running":
        raise _fail(started["message"] or "the server did not start it in time; see `strategy list`")


@strategy_app.command("stop")
def stop(ref: Ref, username: User) -> None:
    """Stop a strategy (SIGTERM to its process group, SIGKILL after the grace period)."""
    services, user_id = _context(username)
    stopped = _run(lambda: services.pystrategies.stop_strategy(user_id, ref))
    typer.echo(_line(stopped))


@strategy_app.command("logs")
def logs(
    ref: Ref,
    username: User,
    lines: Annotated[int, typer.Option("--lines", "-n", min=1, max=2000, help="How many of the last lines.")] = 50,
) -> None:
    """The last lines of a strategy's output (times in IST)."""
    services, user_id = _context(username)
    try:
        found = services.pystrategies.logs(user_id, ref, lines)
    except BrokergateError as e:
        raise _fail(e.message) from None
    for line in found:
        typer.echo(line)


@strategy_app.command("remove")
def remove(ref: Ref, username: User) -> None:
    """Stop a strategy, revoke its API key, and delete its script, schedule and logs."""
    services, user_id = _context(username)
    removed = _run(lambda: services.pystrategies.remove(user_id, ref), needs_scheduler=True, services=services)
    typer.echo(f"removed {removed['id']}\t{removed['name']}")


@strategy_app.command("schedule")
def schedule(
    ref: Ref,
    username: User,
    days: Annotated[str, typer.Option("--days", help="Weekdays, e.g. mon,tue,wed,thu,fri.")] = "mon,tue,wed,thu,fri",
    start_at: Annotated[str, typer.Option("--start", help="IST start time, HH:MM.")] = "09:15",
    stop_at: Annotated[str, typer.Option("--stop", help="IST stop time, HH:MM (after the start).")] = "15:30",
    clear: Annotated[bool, typer.Option("--clear", help="Remove the schedule instead.")] = False,
) -> None:
    """Start and stop a strategy on weekdays at IST times; market holidays are skipped."""
    services, user_id = _context(username)
    strategies = services.pystrategies
    if clear:
        done = _run(lambda: strategies.unschedule(user_id, ref), needs_scheduler=True, services=services)
        typer.echo(f"{done['name']}: no schedule")
        return
    done = _run(
        lambda: strategies.schedule(user_id, ref, days, start_at, stop_at), needs_scheduler=True, services=services
    )
    plan = done["schedule"]
    typer.echo(f"{done['name']}: starts {','.join(plan['days'])} at {plan['start']} and stops at {plan['stop']} IST")
