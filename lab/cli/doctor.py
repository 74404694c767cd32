"""`lab doctor`: can this host run the lab, and what does each missing thing take away?"""

from __future__ import annotations

import typer
from rich.table import Table

from lab.cli import context
from lab.cli.context import console
from lab.doctor import can_run, run_checks

_MARK = {True: "[green]ok[/]", False: "[red]missing[/]", None: "[yellow]unknown[/]"}


def register(app: typer.Typer) -> None:
    app.command()(doctor)


def doctor() -> None:
    """Check the engine, Compose, kernel features for chaos, memory and ports."""
    settings = context.settings()
    running = bool(context.platform().containers()) if _engine_up() else False
    with console.status("probing this host"):
        checks = run_checks(settings, lab_running=running)
    table = Table("check", "status", "detail", "if missing, you lose")
    for check in checks:
        table.add_row(check.name, _MARK[check.ok], check.detail, check.disables)
    console.print(table)
    if not can_run(checks):
        console.print("[red]the lab cannot run on this host[/]: fix the required checks above")
        raise typer.Exit(1)
    console.print("[green]the lab can run here[/]")


def _engine_up() -> bool:
    from lab.docker import ping

    return ping()
