"""The `brokergate` command: serve, manage users and API keys, migrate the database.

User mistakes end with a one-line message and exit code 2, never a traceback.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from gateway.accounts import AccountError, Accounts
from gateway.envfile import ensure_env_file
from gateway.settings import Settings
from generated.errors import BrokergateError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="brokergate: one API in front of Indian brokers.")
user_app = typer.Typer(no_args_is_help=True, help="Manage users.")
apikey_app = typer.Typer(no_args_is_help=True, help="Manage API keys.")
db_app = typer.Typer(no_args_is_help=True, help="Manage the database.")
ban_app = typer.Typer(no_args_is_help=True, help="See and lift bans of client addresses.")
plugin_app = typer.Typer(no_args_is_help=True, help="Check broker plugins against the contract.")
broker_app = typer.Typer(no_args_is_help=True, help="See installed brokers and store your app credentials for one.")
app.add_typer(user_app, name="user")
app.add_typer(apikey_app, name="apikey")
app.add_typer(db_app, name="db")
app.add_typer(ban_app, name="ban")
app.add_typer(plugin_app, name="plugin")
app.add_typer(broker_app, name="broker")
err = Console(stderr=True)
Username = Annotated[str, typer.Option("--username", "-u", help="The user's login name.")]


def fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(2)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as e:
        problems = []
        for error in e.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            problem = "is missing" if error["type"] == "missing" else error["msg"].removeprefix("Value error, ")
            problems.append(f"{name} {problem}" if error["type"] == "missing" else problem)
        hint = " (run `make run` once to create .env, or set the variables)" if not Path(".env").exists() else ""
        raise fail("; ".join(problems) + hint) from None


def _accounts() -> Accounts:
    from gateway.services import Services

    return Services.build(load_settings()).accounts


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default from HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="REST port (default from PORT, 5000).")] = None,
    workers: Annotated[
        int,
        typer.Option(min=1, help="REST worker processes; more than 1 needs RATE_LIMIT_STORAGE_URL (see README)."),
    ] = 1,
) -> None:
    """Start brokergate (creates .env and the database on first start)."""
    import uvicorn

    from gateway.allocator import long_lived_start
    from gateway.logs import configure_logging

    if ensure_env_file():
        err.print("Created .env with fresh APP_KEY and API_KEY_PEPPER (keep it private).")
    settings = load_settings()
    if host:
        settings.host = host
    if port:
        settings.port = port
    configure_logging(settings.log_level, (settings.app_key, settings.api_key_pepper))
    if workers > 1:
        from gateway.workers import prepare_workers

        try:
            prepare_workers(settings, workers)
        except ValueError as e:
            raise fail(str(e)) from None
        application = "gateway.workers:worker_app"
    else:
        with long_lived_start():
            from gateway.app import create_app

            application = create_app(settings)
    base = f"http://{settings.host}:{settings.port}"
    err.print(
        f"brokergate REST on {base}  (API docs: {base}/api/docs)\n"
        f"WebSocket feed on ws://{settings.websocket_host}:{settings.websocket_port}\n"
        f"First time? Open {base}/ to set up the admin account and create an API key,\n"
        "or from another shell:\n"
        "  .venv/bin/brokergate user create --username admin\n"
        "  .venv/bin/brokergate apikey create --username admin\n"
        f"  curl -X POST {base}/api/v1/ping -H 'Content-Type: application/json' -d '{{\"apikey\":\"<key>\"}}'",
        highlight=False,
    )
    if workers > 1:
        err.print(f"{workers} workers; one of them leads (market loop, WebSocket feed, scheduler)", highlight=False)
    uvicorn.run(
        application,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        workers=workers if workers > 1 else None,
        factory=workers > 1,
        timeout_worker_healthcheck=60,  # a worker builds the whole gateway before it answers; slow on a busy machine
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    from storage import make_engine, upgrade

    upgrade(make_engine(load_settings().database_url))
    err.print("database is up to date")


@user_app.command("create")
def user_create(
    username: Username,
    password: Annotated[
        str | None,
        typer.Option(envvar="BROKERGATE_PASSWORD", help="Password (or BROKERGATE_PASSWORD); asked if absent."),
    ] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an administrator.")] = False,
) -> None:
    """Create a user."""
    accounts = _accounts()
    if password is None:
        if not os.isatty(0):
            raise fail("give --password or set BROKERGATE_PASSWORD (no terminal to ask on)")
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        accounts.create_user(username, password, is_admin=admin)
    except AccountError as e:
        raise fail(str(e)) from None
    typer.echo(f"created user {username}")


@user_app.command("password")
def user_password(
    username: Username,
    disable_totp: Annotated[
        bool, typer.Option("--disable-totp", help="Also turn off the user's two-factor login (a lost authenticator).")
    ] = False,
) -> None:
    """Set a new password for a user (asked twice), and sign out their console sessions."""
    accounts = _accounts()
    try:
        accounts.user(username)
    except AccountError as e:
        raise fail(str(e)) from None
    password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        ended = accounts.set_password(username, password, disable_totp=disable_totp)
    except AccountError as e:
        raise fail(str(e)) from None
    typer.echo(f"password of {username} changed; {ended} console session{'s' if ended != 1 else ''} signed out")


@apikey_app.command("create")
def apikey_create(username: Username) -> None:
    """Create an API key; it is printed alone on the last line."""
    try:
        api_key = _accounts().create_api_key(username)
    except AccountError as e:
        raise fail(str(e)) from None
    typer.echo(api_key)


@apikey_app.command("show")
def apikey_show(username: Username) -> None:
    """Reveal the user's API keys (the owner's explicit request)."""
    try:
        records = _accounts().api_keys(username)
    except AccountError as e:
        raise fail(str(e)) from None
    if not records:
        raise fail(f"user {username!r} has no API keys; create one with `brokergate apikey create`")
    for record in records:
        state = f"revoked {record.revoked_at:%Y-%m-%d %H:%M}" if record.revoked_at else "active"
        typer.echo(f"{record.id}\t{state}\t{record.api_key}")


@apikey_app.command("revoke")
def apikey_revoke(
    username: Username,
    key_id: Annotated[int | None, typer.Option("--id", help="Revoke only this key (see `apikey show`).")] = None,
) -> None:
    """Revoke the user's API keys (all of them, or one with --id)."""
    try:
        count = _accounts().revoke_api_keys(username, key_id)
    except AccountError as e:
        raise fail(str(e)) from None
    if count == 0:
        raise fail("no active key matched")
    typer.echo(f"revoked {count} key{'s' if count != 1 else ''}")


def _bans():
    from gateway.bans import BanList
    from gateway.services import Services

    settings = load_settings()
    return BanList(Services.build(settings).engine, settings)


@ban_app.command("list")
def ban_list() -> None:
    """Show the banned addresses: address, until (or 'permanent'), reason."""
    records = _bans().active()
    if not records:
        typer.echo("no address is banned")
    for record in records:
        until = f"{record.until:%Y-%m-%d %H:%M} UTC" if record.until else "permanent"
        typer.echo(f"{record.address}\t{until}\t{record.reason}")


@ban_app.command("lift")
def ban_lift(address: Annotated[str, typer.Argument(help="The banned address, as `ban list` shows it.")]) -> None:
    """Lift the bans of one address (the server notices within seconds)."""
    if _bans().lift(address) == 0:
        raise fail(f"{address} is not banned")
    typer.echo(f"lifted the ban of {address}")


@plugin_app.command("check")
def plugin_check(
    brokers: Annotated[list[str] | None, typer.Argument(help="Broker ids; every installed broker when none.")] = None,
) -> None:
    """Run the conformance kit offline against each broker's simulator and print what to fix."""
    from tools.conformance import run

    code = run(brokers or None)
    if code:
        raise typer.Exit(code)


@broker_app.command("list")
def broker_list() -> None:
    """Installed brokers: id, login kind, and the credentials each needs."""
    from brokers import Registry

    registry = Registry.discover()
    for broker_id in registry.ids():
        data = registry.manifest(broker_id).data
        needs = ", ".join(data.get("credentials") or []) or "nothing"
        typer.echo(f"{broker_id}\t{data.get('auth', 'none')}\tneeds {needs}")


@broker_app.command("credentials")
def broker_credentials(
    broker: Annotated[str, typer.Argument(help="The broker id, as `broker list` shows it.")],
    username: Annotated[str, typer.Option("--user", help="Whose credentials these are.")],
) -> None:
    """Store a user's app credentials for a broker, encrypted. Each is read from BROKER_<NAME> (OpenAlgo's
    BROKER_API_KEY, BROKER_API_SECRET) or asked for without echo."""
    from gateway.services import Services

    services = Services.build(load_settings())
    if broker not in services.registry or broker == "sandbox":
        raise fail(f"{broker!r} is not an installed live broker; see `brokergate broker list`")
    names = services.registry.manifest(broker).data.get("credentials") or []
    try:
        user = services.accounts.user(username)
    except AccountError as e:
        raise fail(str(e)) from None
    fields = {}
    for name in names:
        value = os.environ.get(f"BROKER_{name.upper()}")
        if value is None:
            if not os.isatty(0):
                raise fail(f"set BROKER_{name.upper()} (no terminal to ask on)")
            value = typer.prompt(name, hide_input=True)
        fields[name] = value
    try:
        services.credentials.store(user.id, broker, fields, names)
    except BrokergateError as e:
        raise fail(e.message) from None
    typer.echo(f"stored {', '.join(names)} for {username} at {broker}, encrypted")


def main() -> None:
    # connexion imports starlette's test client, which warns about httpx on every command; users
    # of the CLI cannot act on that warning, so it is not shown to them.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    app()


# -- Historify: `brokergate history ...` (its commands live in gateway/historify_cli.py) ----------
from gateway.historify_cli import history_app  # noqa: E402

app.add_typer(history_app, name="history")

# -- Python strategies: `brokergate strategy ...` (gateway/pystrategies/cli.py) -------------------
from gateway.pystrategies.cli import strategy_app  # noqa: E402

app.add_typer(strategy_app, name="strategy")
