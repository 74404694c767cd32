"""The `lab` root command: global options, command groups, and one-line errors."""

from __future__ import annotations

import os
import sys

import typer

from lab import __version__
from lab.cli import alerts, context, doctor, fleet, images, load
from lab.errors import LabError

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


fleet.register(app)
alerts.register(app)
doctor.register(app)
app.add_typer(images.app, name="images")
app.add_typer(load.app, name="load")


def main() -> None:
    # Typer's standalone mode handles usage errors, --help and Ctrl-C (exit 1, "Aborted!");
    # the lab's own errors come through here and become one line.
    try:
        app()
    except LabError as exc:
        if context.debug:
            raise
        context.err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(1)
    except Exception as exc:
        if context.debug:
            raise
        context.err_console.print(
            f"[bold red]error:[/] unexpected {exc.__class__.__name__}: {exc} (rerun with --debug)",
            highlight=False,
        )
        sys.exit(1)
