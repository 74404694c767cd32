"""`lab alerts`: what the pager received, pages first, then warnings."""

from __future__ import annotations

import time

import typer
from rich.table import Table

from lab.cli import context
from lab.cli.context import console
from lab.pager import PagedAlert, pager_alerts


def register(app: typer.Typer) -> None:
    app.command()(alerts)


def _ago(ts: float) -> str:
    seconds = max(0, int(time.time() - ts))
    return f"{seconds}s ago" if seconds < 120 else f"{seconds // 60}m ago"


def _subject(alert: PagedAlert) -> str:
    labels = alert.labels
    if "slo" in labels:
        return f"slo={labels['slo']} ({labels.get('long_window', '?')}/{labels.get('short_window', '?')})"
    return ", ".join(f"{k}={labels[k]}" for k in ("service", "volume") if k in labels)


def alerts(
    all_: bool = typer.Option(False, "--all", "-a", help="Also show resolved alerts."),
) -> None:
    """Pages (SLO burn) and warnings (causes) the lab's pager received."""
    received = pager_alerts(context.settings())
    shown = [a for a in received if all_ or a.status == "firing"]
    if not shown:
        console.print("[green]nothing is firing[/]" + ("" if all_ else " (`lab alerts --all` shows resolved ones)"))
        return
    table = Table("channel", "alert", "about", "status", "since", "summary")
    for alert in sorted(shown, key=lambda a: (a.channel != "page", a.status != "firing")):
        colour = "red" if alert.channel == "page" else "yellow"
        status = f"[{colour}]{alert.status}[/]" if alert.status == "firing" else "[green]resolved[/]"
        table.add_row(
            f"[{colour}]{alert.channel}[/]",
            alert.name,
            _subject(alert),
            status,
            _ago(alert.first_received_at),
            alert.annotations.get("summary", ""),
        )
    console.print(table)
