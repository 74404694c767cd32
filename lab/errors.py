"""One root error for everything the lab reports to a user.

Every message names what is at fault (a file, a field, a container, a command) so the CLI can
print it as one line. Tracebacks are for `--debug` only.
"""

from __future__ import annotations


class LabError(Exception):
    """Something the user can act on; printed as one line by the CLI."""


class EngineUnavailable(LabError):
    """No Docker engine answers."""


class CommandFailed(LabError):
    """An external command (docker, compose, debootstrap) exited non-zero."""

    def __init__(self, argv: list[str], returncode: int, stdout: str, stderr: str) -> None:
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        last_line = next((ln for ln in reversed(stderr.strip().splitlines()) if ln.strip()), "")
        super().__init__(f"`{' '.join(argv[:3])} ...` exited {returncode}: {last_line}")


class ImageBuildError(LabError):
    """An image could not be built."""


class FleetError(LabError):
    """The fleet did not reach the state asked for."""


class UnknownService(LabError):
    """A command named a service the lab does not run."""
