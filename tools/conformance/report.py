"""Runs the kit over installed brokers and prints what a contributor needs: check, result, detail."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from brokers import PluginLoadError, Registry
from generated.errors import BrokergateError
from tools.conformance.checks import FAIL, PASS, SKIP, Result, run_checks
from tools.conformance.harness import NotCheckable, open_harness

NOT_CHECKABLE = "not checkable"
_STYLES = {PASS: "green", FAIL: "bold red", SKIP: "dim", NOT_CHECKABLE: "yellow"}


@dataclass(frozen=True)
class BrokerReport:
    broker: str
    results: list[Result]

    @property
    def is_failed(self) -> bool:
        return any(result.outcome == FAIL for result in self.results)


async def check_broker(broker_id: str, registry: Registry | None = None, **harness_options) -> BrokerReport:
    """Every check against one broker; a broker without a simulator is one `not checkable` row."""
    try:
        async with open_harness(broker_id, registry=registry, **harness_options) as harness:
            return BrokerReport(broker_id, await run_checks(harness))
    except NotCheckable as e:
        return BrokerReport(broker_id, [Result("--", "offline checks", NOT_CHECKABLE, str(e))])
    except PluginLoadError as e:
        return BrokerReport(broker_id, [Result("--", "plugin loads", FAIL, str(e))])
    except BrokergateError as e:  # the login through the simulator failed, before any check could run
        return BrokerReport(broker_id, [Result("--", "log in through the simulator", FAIL, f"raised {e.code}: {e.message}")])
    except Exception as e:  # a simulator or plugin that crashes while starting is reported, not a traceback
        return BrokerReport(broker_id, [Result("--", "open the harness", FAIL, f"crashed with {type(e).__name__}: {e}")])


def render(report: BrokerReport, console: Console) -> None:
    table = Table(title=f"{report.broker}: plugin conformance", title_justify="left", expand=False)
    table.add_column("Check", no_wrap=True)
    table.add_column("Result", no_wrap=True)
    table.add_column("Detail", overflow="fold")
    for result in report.results:
        style = _STYLES.get(result.outcome, "")
        table.add_row(f"{result.code} {result.title}", f"[{style}]{result.outcome}[/{style}]", result.detail)
    console.print(table)


def run(broker_ids: list[str] | None = None, console: Console | None = None) -> int:
    """Check the named brokers (every installed one when none are named); 1 when any check failed."""
    # A pipe gets wide lines, so details are not folded into a narrow column.
    console = console or Console(width=None if sys.stdout.isatty() else 180)
    registry = Registry.discover()
    unknown = [broker_id for broker_id in broker_ids or [] if broker_id not in registry]
    if unknown:
        console.print(f"[red]error:[/red] not installed: {', '.join(unknown)} (installed: {', '.join(registry.ids())})")
        return 2
    reports = [asyncio.run(check_broker(broker_id, registry)) for broker_id in broker_ids or registry.ids()]
    for report in reports:
        render(report, console)
    failed = [report.broker for report in reports if report.is_failed]
    console.print(f"[red]failed: {', '.join(failed)}[/red]" if failed else "[green]every checkable broker passes[/green]")
    return 1 if failed else 0
