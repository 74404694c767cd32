"""A run's report: the scorecard and timeline as text, Markdown, JSON and a PNG chart."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab.runs.store import Run, RunStore

MARKED = ("inject", "page", "ack", "diagnose", "update", "hint", "resolve", "abort", "collateral", "escalation")


@dataclass(frozen=True)
class ReportFiles:
    markdown: Path
    json: Path
    chart: Path


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def timeline(store: RunStore, run: Run) -> list[tuple[float, str, str]]:
    rows = []
    for t, kind, data in store.events(run.id):
        detail = data.get("text") or " ".join(f"{k}={v}" for k, v in data.items() if k != "penalty")
        rows.append((t - run.started, kind, str(detail)))
    return rows


def markdown(store: RunStore, run: Run) -> str:
    card: dict[str, Any] = run.scorecard or {}
    lines = [
        f"# Incident Lab report: {run.scenario}",
        "",
        f"Run `{run.id}`, seed {run.seed}, level **{run.level}**, mode {run.mode}, status **{run.status}**.",
        "",
        f"**Score {card.get('score', 0)} / 100, {'passed' if card.get('passed') else 'not passed'}**",
        "",
        "| measure | value |",
        "|---|---|",
        f"| time to acknowledge | {_fmt(card.get('time_to_acknowledge'))} |",
        f"| time to diagnose | {_fmt(card.get('time_to_diagnose'))} |",
        f"| time to recover (held) | {_fmt(card.get('time_to_recover'))} |",
        f"| error budget burned | {card.get('budget_burned', 0):.1%} |",
        f"| RCA accuracy | {card.get('rca_accuracy', 0):.0%} ({card.get('wrong_diagnoses', 0)} wrong) |",
        f"| hints | {card.get('hints_used', 0)} (-{card.get('hint_penalty', 0)} points) |",
        f"| stakeholder updates | {card.get('updates', 0)}, {card.get('cadence_met', 0):.0%} of deadlines met |",
        f"| collateral actions | {', '.join(card.get('collateral', [])) or 'none'} |",
        "",
    ]
    if card.get("reasons"):
        lines += ["Not passed because:", *[f"- {r}" for r in card["reasons"]], ""]
    lines += ["## Timeline", "", "| t | event | detail |", "|---|---|---|"]
    lines += [f"| {_fmt(t)} | {kind} | {detail} |" for t, kind, detail in timeline(store, run)]
    return "\n".join(lines) + "\n"


def chart(store: RunStore, run: Run, path: Path) -> None:
    """SLI burn over the incident, with the run's events marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samples = store.samples(run.id)
    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=110)
    names = sorted({n for _, d in samples for n in d})
    for name in names:
        ts = [t - run.started for t, d in samples if name in d]
        burn = [d[name]["burn"] for _, d in samples if name in d]
        ax.plot(ts, burn, label=name, linewidth=1.6)
    ax.axhline(1.0, color="grey", linestyle="--", linewidth=0.8, label="budget burn = 1x")
    ax.set_yscale("symlog", linthresh=1)
    ax.set_xlabel("seconds since the run started")
    ax.set_ylabel("error-budget burn rate")
    ax.set_title(f"{run.scenario}: SLO burn ({run.status})")
    colours = {"inject": "red", "page": "orange", "ack": "blue", "diagnose": "purple", "resolve": "green"}
    for t, kind, _ in timeline(store, run):
        if kind in MARKED:
            ax.axvline(t, color=colours.get(kind, "lightgrey"), linewidth=0.9, alpha=0.8)
            ax.annotate(kind, (t, 1), rotation=90, fontsize=7, va="bottom", color=colours.get(kind, "dimgrey"))
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_report(store: RunStore, run: Run, folder: Path) -> ReportFiles:
    folder.mkdir(parents=True, exist_ok=True)
    files = ReportFiles(folder / f"{run.id}.md", folder / f"{run.id}.json", folder / f"{run.id}.png")
    files.markdown.write_text(markdown(store, run))
    payload = {
        "run": {k: getattr(run, k) for k in ("id", "scenario", "seed", "mode", "level", "status", "started", "ended")},
        "scorecard": run.scorecard,
        "timeline": [{"t": t, "event": kind, "detail": detail} for t, kind, detail in timeline(store, run)],
        "samples": [{"t": t - run.started, **d} for t, d in store.samples(run.id)],
    }
    files.json.write_text(json.dumps(payload, indent=2))
    chart(store, run, files.chart)
    return files
