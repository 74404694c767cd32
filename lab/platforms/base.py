"""The Platform protocol: what the CLI and the core need from wherever the fleet runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ContainerState:
    """One running (or stopped) unit of the fleet, as the platform reports it."""

    service: str
    name: str
    state: str  # running, exited, restarting, paused, created
    health: str  # healthy, unhealthy, starting, or "none" without a healthcheck
    restarts: int
    oom_killed: bool
    image: str

    @property
    def ok(self) -> bool:
        return self.state == "running" and self.health in ("healthy", "none")


class Platform(Protocol):
    name: str
    #: One line each about optional parts `up` left out, and why.
    notices: list[str]

    def services(self) -> list[str]:
        """Every service the fleet defines."""
        ...

    def up(self, *, status: Callable[[str], None], timeout: float = 300) -> list[ContainerState]:
        """Build what is missing, start everything and wait until healthy."""
        ...

    def down(self, *, volumes: bool = False) -> None:
        """Stop and remove everything of this lab (its volumes too with ``volumes``)."""
        ...

    def containers(self) -> list[ContainerState]:
        """The fleet's containers now."""
        ...

    def logs(self, service: str, *, follow: bool, tail: int) -> int:
        """Stream a service's logs to stdout; return the exit code."""
        ...

    def recreate(self, service: str, *, env: dict[str, str] | None = None, image: str | None = None) -> None:
        """Recreate one service's container with extra environment and/or another image; with
        neither, as the fleet's definition says (a no-op when it already is). Nothing else moves."""
        ...
