"""A build log: every command's output goes to a file; short status lines go to the user too."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lab.docker import run
from lab.errors import CommandFailed, ImageBuildError


class BuildLog:
    def __init__(self, path: Path, status: Callable[[str], None]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._status = status
        self._file = path.open("a", encoding="utf-8")

    def note(self, message: str) -> None:
        """A status line the user sees, and the log keeps."""
        self._status(message)
        self._file.write(f"== {message}\n")
        self._file.flush()

    def run(self, argv: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        """Run a build command; its output goes to the log, its failure names the log."""
        self._file.write(f"$ {' '.join(argv)}\n")
        try:
            proc = run(argv, **kw)
        except CommandFailed as exc:
            self._file.write(exc.stdout + exc.stderr)
            self._file.flush()
            raise ImageBuildError(f"{exc} (full output in {self.path})") from exc
        self._file.write(proc.stdout + proc.stderr)
        self._file.flush()
        return proc

    def close(self) -> None:
        self._file.close()
