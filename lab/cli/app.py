"""The `lab` root command: global options, command groups, and one-line errors."""

from __future__ import annotations

import os
import sys

import typer
from rich.markup import escape

from lab import __version__
from lab.cli import alerts, context, doctor, fault, fleet, images, load, run, scenario
from lab.errors import LabError
from lab.faults import revert_stale
from lab.runs.engine import reconcile

app = typer.Typer(
    help="Incident Lab: practise production incident response on a real microservice fleet.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lab {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    context.debug = debug or os.environ.get("LAB_DEBUG") == "1"
    # Every lab start reverts faults past their deadline or left without a keeper.
    revert_stale_faults()


def revert_stale_faults() -> None:
    settings = context.settings()
    for crashed in reconcile(settings):
        context.err_console.print(f"run {crashed.id} ({crashed.scenario}) had crashed: its faults are reverted")
    for record in revert_stale(settings):
        context.err_console.print(f"reverted stale fault {record.id} ({record.fault} on {record.service})")


fleet.register(app)
run.register(app)
alerts.register(app)
doctor.register(app)
app.add_typer(images.app, name="images")
app.add_typer(fault.app, name="fault")
app.add_typer(scenario.app, name="scenario")
app.add_typer(load.app, name="load")


def main() -> None:
    # Typer's standalone mode handles usage errors, --help and Ctrl-C (exit 1, "Aborted!");
    # the lab's own errors come through here and become one line.
    try:
        app()
    except LabError as exc:
        if context.debug:
            raise
        context.err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(1)
    except Exception as exc:
        if context.debug:
            raise
        context.err_console.print(
            f"[bold red]error:[/] unexpected {exc.__class__.__name__}: {exc} (rerun with --debug)",
            highlight=False,
        )
        sys.exit(1)
