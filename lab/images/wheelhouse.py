"""The wheelhouse: the services' Python dependencies as wheels for the image's Python.

`RUN` steps in a build may have no network, so wheels are fetched on the host and copied in.
They must match the container (Debian 12: CPython 3.11), not the host, hence the explicit
``--python-version`` and ``--platform``.
"""

from __future__ import annotations

import hashlib
import platform
import shutil
import sys
from pathlib import Path

from lab.images.log import BuildLog

CONTAINER_PYTHON = "3.11"
_MANYLINUX = ("manylinux_2_36", "manylinux_2_28", "manylinux_2_17", "manylinux2014")


def _platform_args() -> list[str]:
    machine = platform.machine()
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine.lower(), machine)
    args: list[str] = []
    for tag in _MANYLINUX:
        args += ["--platform", f"{tag}_{arch}"]
    return args


def ensure_wheelhouse(requirements: Path, cache_dir: Path, log: BuildLog) -> Path:
    """A folder of wheels for ``requirements``, reused while the requirements are unchanged."""
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:12]
    target = cache_dir / f"wheelhouse-{digest}"
    if (target / ".complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    log.note(f"downloading wheels for {requirements.name} (CPython {CONTAINER_PYTHON})")
    log.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--only-binary=:all:",
            "--implementation",
            "cp",
            "--python-version",
            CONTAINER_PYTHON,
            *_platform_args(),
            "-r",
            str(requirements),
            "-d",
            str(target),
        ],
        timeout=900,
    )
    (target / ".complete").touch()
    return target
