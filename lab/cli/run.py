"""Incident commands: `lab run`, the trainee's actions, `lab report` and `lab smoke`."""

from __future__ import annotations

import random
from pathlib import Path

import typer
from rich.panel import Panel
from rich.table import Table

from lab.cli import context
from lab.cli.context import console
from lab.errors import LabError
from lab.runs import engine
from lab.runs.report import write_report
from lab.runs.smoke import smoke_one, write_junit
from lab.runs.store import RunStore
from lab.scenarios import load_all
from lab.scenarios.taxonomy import CAUSES, LEVELS
from lab.settings import Settings


def register(app: typer.Typer) -> None:
    for command in (run, ack, hint, diagnose, update, resolve, abort, report, smoke):
        app.command()(command)


def run(
    scenario: str = typer.Argument(None, help="The scenario id (omit with --mode assess)."),
    seed: int = typer.Option(None, "--seed", help="Seed for the scenario's randomisation (default: random)."),
    mode: str = typer.Option("solo", "--mode", help="solo (you pick) or assess (random scenario for --level)."),
    level: str = typer.Option(None, "--level", help=f"Graded level: {', '.join(LEVELS)}."),
    time_scale: float = typer.Option(
        engine.DEFAULT_TIME_SCALE,
        "--time-scale",
        min=0.05,
        max=1.0,
        help="Level time limits x this (1.0 = real incident time).",
    ),
) -> None:
    """Start an incident: reset the fleet, play the scenario, and page you when it hits."""
    settings = context.settings()
    if mode not in ("solo", "assess"):
        raise LabError(f"--mode {mode!r}: choose solo or assess")
    if level is not None and level not in LEVELS:
        raise LabError(f"--level {level!r}: choose one of {', '.join(LEVELS)}")
    if mode == "assess" and (scenario is not None or level is None):
        raise LabError("--mode assess picks the scenario itself: give --level and no scenario id")
    if mode == "solo" and scenario is None:
        raise LabError("give a scenario id (see `lab scenario list`), or --mode assess --level L")
    seed = seed if seed is not None else random.SystemRandom().randrange(1_000_000)
    chosen = engine.pick_scenario(settings, scenario, level, seed)
    level = level or chosen.levels[0]
    with console.status("preparing the incident") as spinner:
        started = engine.start_run(
            settings,
            chosen,
            seed=seed,
            mode=mode,
            level=level,
            time_scale=time_scale,
            status=lambda m: spinner.update(m),
        )
        spinner.update("on call: waiting for the page")
        try:
            page = engine.wait_for_page(settings, started)
        except KeyboardInterrupt:
            spinner.update("interrupted: aborting the run and reverting its faults")
            engine.abort(settings)
            context.err_console.print(f"interrupted: run {started.id} aborted, its faults reverted")
            raise typer.Exit(130) from None
    title = chosen.title if mode == "solo" else "Assessment incident"
    console.print(Panel(chosen.briefing.strip(), title=f"PAGE: {page}", subtitle=title, border_style="red"))
    console.print(
        f"run {started.id} (seed {seed}, level {level}). Investigate with real tools; then "
        "`lab ack`, `lab diagnose`, `lab update`, `lab resolve`. `lab hint` costs points."
    )


def ack() -> None:
    """Acknowledge the page."""
    run_, t = engine.record(context.settings(), "ack")
    console.print(f"acknowledged {run_.id} at {t:.0f}s")


def hint() -> None:
    """The next hint for the current incident (each costs points)."""
    got = engine.next_hint(context.settings())
    if got is None:
        console.print("no more hints for this incident")
        return
    text, penalty = got
    console.print(Panel(text, title=f"hint (-{penalty} points)"))


def diagnose(
    component: str = typer.Option(..., "--component", "-c", help="The service at the root of it."),
    cause: str = typer.Option(..., "--cause", "-k", help=f"The cause class: {', '.join(CAUSES)}."),
    note: str = typer.Option("", "--note", help="Your reasoning, kept in the report."),
) -> None:
    """Record your root-cause diagnosis: the component and the cause class."""
    settings = context.settings()
    services = context.platform().services()
    if component not in services:
        raise LabError(f"--component {component!r}: not a lab service ({', '.join(services)})")
    if cause not in CAUSES:
        raise LabError(f"--cause {cause!r}: choose one of {', '.join(CAUSES)}")
    run_, t = engine.record(settings, "diagnose", component=component, cause=cause, text=note)
    console.print(f"diagnosis recorded for {run_.id} at {t:.0f}s: {cause} in {component}")


def update(text: str = typer.Argument(..., help="The status update to stakeholders.")) -> None:
    """Post a status update to stakeholders (graded on cadence)."""
    if not text.strip():
        raise LabError("an update needs some text")
    run_, t = engine.record(context.settings(), "update", text=text)
    console.print(f"update posted for {run_.id} at {t:.0f}s")


def resolve() -> None:
    """Declare the incident resolved: recovery must hold; then the scorecard."""
    settings = context.settings()
    with console.status("checking that recovery holds"):
        finished = engine.finish(settings, "resolving")
    _print_report(settings, finished.id)


def abort() -> None:
    """Abandon the current incident: faults are reverted, the run is kept."""
    settings = context.settings()
    with console.status("aborting: reverting faults"):
        finished = engine.abort(settings)
    console.print(f"run {finished.id} aborted; its faults are reverted")


def report(
    run_id: str = typer.Argument(None, help="A run id (default: the latest run)."),
    out: Path = typer.Option(None, "--out", help="Folder for the Markdown, JSON and PNG (default: state dir)."),
    list_runs: bool = typer.Option(False, "--list", help="List the runs instead."),
) -> None:
    """Print a run's scorecard and timeline; write Markdown, JSON and a PNG chart."""
    settings = context.settings()
    if list_runs:
        table = Table("run", "scenario", "level", "status", "score")
        for r in RunStore(settings.state_dir).runs():
            table.add_row(r.id, r.scenario, r.level, r.status, str((r.scorecard or {}).get("score", "-")))
        console.print(table)
        return
    _print_report(settings, run_id, out)


def _print_report(settings: Settings, run_id: str | None, out: Path | None = None) -> None:
    store = RunStore(settings.state_dir)
    found = store.get(run_id) if run_id else store.latest()
    if found.open:
        raise LabError(f"run {found.id} is still in progress: `lab resolve` or `lab abort` first")
    files = write_report(store, found, out or settings.state_dir / "reports")
    console.print(files.markdown.read_text(), markup=False, highlight=False)
    console.print(f"written: {files.markdown}, {files.json}, {files.chart}")
    known = load_all(settings.root / "scenarios").get(found.scenario)
    if known is not None:
        console.print(f"the expert walkthrough: {known[0].parent / 'README.md'}")


def smoke(
    scenarios: list[str] = typer.Argument(None, help="Scenario ids (default with --all: every scenario)."),
    all_: bool = typer.Option(False, "--all", help="Smoke-test every scenario."),
    junit: Path = typer.Option(None, "--junit", help="Write JUnit XML here."),
    seed: int = typer.Option(1, "--seed", help="Seed for the scenarios' randomisation."),
) -> None:
    """Prove scenarios: each must break an SLO and be fixed by its reference solution."""
    settings = context.settings()
    known = load_all(settings.root / "scenarios")
    if all_ == bool(scenarios):
        raise LabError("give scenario ids or --all (one of the two)")
    wanted = sorted(known) if all_ else scenarios
    for sid in wanted:
        if sid not in known:
            raise LabError(f"unknown scenario {sid!r}: see `lab scenario list`")
    results = []
    table = Table("scenario", "result", "detection", "recovery", "score", "time")
    with console.status("smoke") as spinner:
        for sid in wanted:
            try:
                result = smoke_one(settings, sid, seed=seed, status=lambda m: spinner.update(m))
            except KeyboardInterrupt:
                if RunStore(settings.state_dir).current() is not None:
                    engine.abort(settings)
                context.err_console.print(f"interrupted during {sid}: its run is aborted, faults reverted")
                raise typer.Exit(130) from None
            results.append(result)
            mark = "[green]pass[/]" if result.ok else f"[red]fail[/]: {result.failure}"
            table.add_row(
                sid, mark, f"{result.detection_s}s", f"{result.recovery_s}s", str(result.score), f"{result.seconds}s"
            )
    console.print(table)
    if junit:
        write_junit(results, junit)
        console.print(f"JUnit XML: {junit}")
    failed = [r.scenario for r in results if not r.ok]
    if failed:
        raise LabError(f"{len(failed)} of {len(results)} scenario(s) failed smoke: {', '.join(failed)}")
