"""`lab fault`: list, inject, show and revert faults."""

from __future__ import annotations

import time

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from lab.cli import context
from lab.cli.context import console
from lab.doctor import capability_checks
from lab.errors import LabError
from lab.faults import active, all_faults, inject, plan, revert, revert_all
from lab.faults.durations import parse_duration
from lab.faults.engine import describe_record
from lab.faults.ledger import Ledger

app = typer.Typer(help="Inject real faults into the fleet; every fault is reverted.", no_args_is_help=True)


def _params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise LabError(f"--param {pair!r}: use key=value")
        params[key.strip()] = value.strip()
    return params


@app.command("list")
def list_() -> None:
    """Every fault type, its parameters, and whether it works on this host."""
    with console.status("probing this host"):
        probes = {c.name: c for c in capability_checks(context.settings())}
    table = Table("fault", "family", "parameters (defaults)", "works here", "effect")
    for name, fault in all_faults().items():
        params = ", ".join(
            f"{field}={info.default!r}" if not info.is_required() else f"{field} (required)"
            for field, info in fault.Params.model_fields.items()
        )
        missing = [p for p in fault.needs if p in probes and probes[p].ok is False]
        unknown = [p for p in fault.needs if p not in probes or probes[p].ok is None]
        works = f"[red]no[/]: {', '.join(missing)}" if missing else "[yellow]unknown[/]" if unknown else "[green]yes[/]"
        table.add_row(name, fault.family, params or "-", works, fault.effect)
    console.print(table)


@app.command("inject")
def inject_(
    fault: str = typer.Argument(..., help="The fault type (see `lab fault list`)."),
    target: str = typer.Option(..., "--target", "-t", help="The service to act on."),
    param: list[str] = typer.Option([], "--param", "-p", help="A parameter as key=value (repeatable)."),
    duration: str = typer.Option("60s", "--duration", "-d", help="Reverted after this long (1s to 6h)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be done; do nothing."),
    wait: bool = typer.Option(False, "--wait", help="Stay until it is reverted; Ctrl-C reverts it at once."),
) -> None:
    """Inject a fault into one service; it is reverted at the end of its duration."""
    settings = context.settings()
    seconds = parse_duration(duration)
    planned = plan(settings, fault, target, _params(param))
    if dry_run:
        console.print(f"would {planned.describe()} for {seconds:.0f}s (dry run: nothing done)")
        return
    record = inject(settings, planned, seconds)
    console.print(f"[bold]{record.id}[/]: {planned.describe()}; reverted in {seconds:.0f}s")
    if wait:
        _wait_for_revert(record.id, seconds)


def _wait_for_revert(fault_id: str, seconds: float) -> None:
    """A countdown until the keeper reverts the fault; Ctrl-C reverts it now."""
    settings = context.settings()
    ledger = Ledger(settings.state_dir)
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn(), console=console) as bar:
            task = bar.add_task(f"{fault_id} in force", total=seconds)
            while (record := ledger.read(fault_id)).open:
                bar.update(task, completed=min(seconds, seconds - (record.deadline - time.time())))
                time.sleep(0.25)
    except KeyboardInterrupt:
        record = revert(settings, fault_id, by="Ctrl-C")
        context.err_console.print(f"interrupted: fault {fault_id} {record.status}")
        raise typer.Exit(130) from None
    console.print(f"{fault_id}: {record.status} ({record.reverted_by})")


@app.command("active")
def active_() -> None:
    """Faults in force now, with the time left before each is reverted."""
    settings = context.settings()
    records = active(settings)
    if not records:
        console.print("no active faults")
        return
    table = Table("id", "fault", "target", "what", "reverted in")
    for r in records:
        left = f"{max(0, r.deadline - time.time()):.0f}s"
        table.add_row(r.id, r.fault, r.service, describe_record(settings, r), left)
    console.print(table)


@app.command("revert")
def revert_(
    fault_id: str = typer.Argument(None, help="The fault's id (see `lab fault active`)."),
    all_: bool = typer.Option(False, "--all", help="Revert every active fault."),
) -> None:
    """Revert one fault now, or all of them with --all."""
    settings = context.settings()
    if all_ == (fault_id is not None):
        raise LabError("give a fault id or --all (one of the two)")
    records = revert_all(settings) if all_ else [revert(settings, fault_id)]
    for r in records:
        console.print(f"{r.id}: {r.status}")
    if all_ and not records:
        console.print("no active faults")
