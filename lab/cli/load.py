"""`lab load`: the fleet's steady user traffic (Locust), shown and changed live."""

from __future__ import annotations

import typer

from lab.cli import context
from lab.cli.context import console
from lab.load import last_target, load_state, set_load, stop_load

app = typer.Typer(help="Show or change the steady user traffic (Locust) live.", invoke_without_command=True)


@app.callback()
def load(
    ctx: typer.Context,
    users: int | None = typer.Option(None, "--users", "-u", help="Simulated users (each makes about 1 request/s)."),
    spawn_rate: float = typer.Option(5.0, "--spawn-rate", "-r", help="Users started (or stopped) per second."),
) -> None:
    """Show the traffic now, or with --users change it live."""
    if ctx.invoked_subcommand is not None:
        if users is not None:
            raise typer.BadParameter("give --users to `lab load` itself, not with a subcommand", param_hint="--users")
        return
    settings = context.settings()
    if users is not None:
        set_load(settings, users, spawn_rate)
        console.print(f"load set to {users} users (spawn rate {spawn_rate:g}/s)")
        return
    state = load_state(settings)
    console.print(
        f"Locust is {state.state}: {state.users} users, {state.rps:.1f} requests/s, "
        f"{state.fail_ratio:.1%} failed  ({settings.url('locust')})"
    )


@app.command()
def stop() -> None:
    """Stop all simulated users (the fleet goes quiet)."""
    stop_load(context.settings())
    console.print("load stopped")


@app.command()
def start() -> None:
    """Start the traffic again at the last figures set (or the defaults of `lab up`)."""
    settings = context.settings()
    users, spawn_rate = last_target(settings)
    set_load(settings, users, spawn_rate)
    console.print(f"load started: {users} users (spawn rate {spawn_rate:g}/s)")
