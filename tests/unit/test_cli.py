"""The CLI's contract: every command documented; bad input is one line and a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
import typer.main

from lab.cli.app import app


def _commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for name, cmd in group.commands.items():
        found.append((prefix + name, cmd))
        if hasattr(cmd, "commands"):
            found += _commands(cmd, prefix + name + " ")
    return found


def test_every_command_has_help_text() -> None:
    root = typer.main.get_command(app)
    assert len(_commands(root)) >= 8
    for name, cmd in _commands(root):
        assert cmd.help and cmd.help.strip(), f"`lab {name}` has no help text"


def _lab(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lab", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (["status"], {"LAB_GATEWAY_PORT": "eighty"}, "LAB_GATEWAY_PORT"),
        (["up"], {"LAB_PROJECT": "Bad Name"}, "LAB_PROJECT"),
        (["images", "build", "--only", "nonesuch"], {}, "nonesuch"),
        (["load", "--users", "-1"], {}, "--users"),
    ],
)
def test_bad_input_is_one_clear_line(args: list[str], env: dict[str, str], needle: str) -> None:
    proc = _lab(*args, **env)
    assert proc.returncode != 0
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_debug_shows_the_traceback() -> None:
    proc = _lab("--debug", "status", LAB_GATEWAY_PORT="eighty")
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr
