"""Fleet commands: `lab up`, `lab down`, `lab status`, `lab logs`."""

from __future__ import annotations

import typer
from rich.table import Column, Table

from lab.cli import context
from lab.cli.context import console
from lab.errors import LabError
from lab.faults import revert_all
from lab.fleet import fleet_status
from lab.grafana import USER, admin_password
from lab.lock import fleet_lock
from lab.platforms import ContainerState
from lab.slo import load_slos, slo_path
from lab.slo.state import SloState, slo_states

_URLS = {
    "gateway": "the shop's API (all user traffic enters here)",
    "prometheus": "metrics, PromQL, SLO rules and alerts",
    "alertmanager": "alert routing and silences",
    "pager": "the on-call pager (`lab alerts` reads it)",
    "locust": "the steady user traffic (`lab load` changes it)",
}


def register(app: typer.Typer) -> None:
    app.command()(up)
    app.command()(down)
    app.command()(status)
    app.command()(logs)


def up(
    timeout: float = typer.Option(300, min=10, max=3600, help="Seconds to wait for the fleet to be healthy."),
) -> None:
    """Build what is missing, start the fleet and wait until every service is healthy."""
    settings = context.settings()
    platform = context.platform()
    with fleet_lock(settings.state_dir, "up"), console.status("starting the lab") as spinner:
        states = platform.up(status=lambda msg: spinner.update(f"[bold]lab up[/]: {msg}"), timeout=timeout)
    console.print(f"[green]the lab is up[/]: {len(states)} containers healthy")
    for name, what in _URLS.items():
        console.print(f"  {settings.url(name):28} {what}")
    if "grafana" in platform.services():
        password = admin_password(settings)
        console.print(f"  {settings.url('grafana'):28} dashboards (user {USER}, password {password})")
    for notice in platform.notices:
        console.print(f"[yellow]{notice}[/]", highlight=False, soft_wrap=True)


def down(
    volumes: bool = typer.Option(False, "--volumes", "-v", help="Also delete the data (Postgres, Redis, Prometheus)."),
) -> None:
    """Stop the fleet and remove its containers and networks (and volumes with --volumes)."""
    settings = context.settings()
    with fleet_lock(settings.state_dir, "down"), console.status("stopping the lab"):
        for record in revert_all(settings, by="lab down"):
            console.print(f"reverted fault {record.id} ({record.fault} on {record.service})")
        context.platform().down(volumes=volumes)
    console.print("the lab is down" + (" and its data deleted" if volumes else ""))


def _health(c: ContainerState) -> str:
    colour = "green" if c.ok else "yellow" if c.health == "starting" else "red"
    return f"[{colour}]{c.state}/{c.health}[/]"


def status() -> None:
    """Each service: state, health, restarts, request rate and error ratio."""
    settings = context.settings()
    rows, problem = fleet_status(settings, context.platform())
    if not rows:
        console.print("the lab is not running: start it with `lab up`")
        raise typer.Exit(1)
    table = Table("service", "state/health", "restarts", "req/s", "errors")
    for row in rows:
        c = row.container
        rate = "-" if row.request_rate is None else f"{row.request_rate:.1f}"
        errors = "-" if row.error_ratio is None else f"{row.error_ratio:.1%}"
        restarts = f"{c.restarts}" + (" (OOM)" if c.oom_killed else "")
        table.add_row(c.service, _health(c), restarts, rate, errors)
    console.print(table)
    if problem:
        console.print(f"[yellow]traffic figures unavailable[/]: {problem}")
        return
    try:
        slos = slo_states(settings, load_slos(slo_path(settings.root)))
    except LabError as exc:
        console.print(f"[yellow]SLO state unavailable[/]: {exc}")
        return
    console.print(_slo_table(slos))


def _slo_table(states: list[SloState]) -> Table:
    # SLO names stay whole on narrow terminals: tests and people grep for them.
    table = Table(Column("SLO", no_wrap=True), "objective", "SLI now", "error budget left", "state")
    for s in states:
        sli = "-" if s.sli is None else f"{s.sli:.2%}"
        budget = "-" if s.budget_left is None else f"{s.budget_left:.0%}"
        budget_colour = "red" if s.budget_left is not None and s.budget_left <= 0 else "green"
        state = "[green]ok[/]" if s.ok else f"[red]burning ({s.burning})[/]"
        table.add_row(s.name, f"{s.objective:.1%}", f"{sli} ({s.window})", f"[{budget_colour}]{budget}[/]", state)
    return table


def logs(
    service: str = typer.Argument(..., help="The service whose logs to show."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep streaming new lines."),
    tail: int = typer.Option(200, min=0, max=100_000, help="Lines from the end to start with."),
) -> None:
    """Show a service's logs (structured JSON lines)."""
    raise typer.Exit(context.platform().logs(service, follow=follow, tail=tail))
