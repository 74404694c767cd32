"""`lab scenario`: validate, list and show scenarios (briefings only: no spoilers)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.panel import Panel
from rich.table import Table

from lab.cli import context
from lab.cli.context import console
from lab.errors import LabError
from lab.scenarios import ScenarioError, check_references, load, load_all, scenario_files
from lab.scenarios.catalogue import known_slos
from lab.scenarios.taxonomy import LEVELS

app = typer.Typer(help="Validate, list and show the incident scenarios.", no_args_is_help=True)


@app.command()
def validate(
    path: Path = typer.Argument(None, help="A scenario.yaml or a folder of scenarios (default: all)."),
) -> None:
    """Check scenario files: shape, fault names and parameters, services, SLOs."""
    settings = context.settings()
    root = path or settings.root / "scenarios"
    files = [root] if root.is_file() else scenario_files(root) if root.is_dir() else []
    if not files:
        raise LabError(f"{root}: no scenario.yaml found")
    services = context.platform().services()
    slos = known_slos(settings.root)
    errors = 0
    for file in files:
        try:
            check_references(file, load(file), services, slos)
            console.print(
                f"[green]ok[/]    {file.relative_to(settings.root) if file.is_relative_to(settings.root) else file}"
            )
        except ScenarioError as exc:
            errors += 1
            console.print(f"[red]error[/] {exc}", highlight=False)
    if errors:
        raise LabError(f"{errors} of {len(files)} scenario file(s) are invalid")


@app.command("list")
def list_(
    level: str = typer.Option(None, "--level", help=f"Only scenarios for this level ({', '.join(LEVELS)})."),
    tier: str = typer.Option(
        None, "--tier", help="Only this tier (tier1-giants, tier2-innovators, tier3-specialists)."
    ),
) -> None:
    """The scenarios, with their levels, difficulty and inspiration."""
    if level is not None and level not in LEVELS:
        raise LabError(f"--level {level!r}: choose one of {', '.join(LEVELS)}")
    table = Table("id", "title", "tier", "levels", "difficulty", "inspired by")
    for _, (_, s) in sorted(load_all(context.settings().root / "scenarios").items()):
        if (level and level not in s.levels) or (tier and s.tier != tier):
            continue
        inspired = f"{s.inspired_by.company}, {s.inspired_by.date:%Y-%m-%d}"
        table.add_row(s.id, s.title, s.tier, ", ".join(s.levels), "★" * s.difficulty, inspired)
    console.print(table)


@app.command()
def show(scenario_id: str = typer.Argument(..., help="The scenario's id (see `lab scenario list`).")) -> None:
    """The briefing a trainee gets: the symptom and the stakes, never the cause."""
    scenarios = load_all(context.settings().root / "scenarios")
    if scenario_id not in scenarios:
        raise LabError(f"unknown scenario {scenario_id!r}: see `lab scenario list`")
    _, s = scenarios[scenario_id]
    console.print(Panel(s.briefing.strip(), title=f"{s.title}  ({s.id})", subtitle=", ".join(s.levels)))
    console.print(
        f"SLOs in play: {', '.join(s.slos)}; difficulty {'★' * s.difficulty}; hints available: {len(s.hints)}"
    )
