"""What a fault is: validated parameters, a revert plan made before acting, inject, revert.

A fault type is a subclass of :class:`Fault` in a module under ``lab/faults/types/``, registered
by name with :func:`lab.faults.registry.register`. Its contract:

- ``Params``: a pydantic model; bad values are refused before anything happens.
- ``prepare()``: read what revert will need (say, the container's CPU quota) into
  ``self.state``. No side effects: the ledger records this before ``inject`` acts.
- ``inject()``: act on the real target (its container, cgroup, namespace, volume, data).
- ``revert()``: undo it. Idempotent; a target that is gone counts as reverted. Removes only
  what the lab added (its own iptables chains, tc handles, helper containers).
- ``effect``: the observable effect a user (and the tests) can check from outside.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from lab.settings import Settings


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Target:
    """A lab service's container, resolved and checked to carry the lab's labels."""

    service: str
    container_id: str
    container_name: str


@dataclass
class FaultContext:
    """What a fault needs besides its target: settings, its id, and the base image for helpers."""

    settings: Settings
    fault_id: str
    base_image: str
    notes: list[str] = field(default_factory=list)


class Fault(ABC):
    name: ClassVar[str]
    family: ClassVar[str]  # process, resources, network, data, application, time
    summary: ClassVar[str]
    effect: ClassVar[str]
    #: Host capabilities this fault needs, by `lab doctor` probe name (e.g. "kernel: tbf").
    needs: ClassVar[tuple[str, ...]] = ()
    Params: ClassVar[type[BaseModel]] = NoParams

    def __init__(self, ctx: FaultContext, target: Target, params: BaseModel, state: dict[str, Any]) -> None:
        self.ctx = ctx
        self.target = target
        self.params = params
        self.state = state

    def prepare(self) -> None:  # noqa: B027 (optional hook: most faults need no prior state)
        """Record in ``self.state`` what revert needs. Must not change anything."""

    @abstractmethod
    def describe(self) -> str:
        """One line: what inject will do (shown by --dry-run and `lab fault active`)."""

    @abstractmethod
    def inject(self) -> None: ...

    @abstractmethod
    def revert(self) -> None: ...

    @property
    def chain(self) -> str:
        """The lab's own iptables chain name for this fault (≤ 28 characters)."""
        return f"LAB-{self.ctx.fault_id[:24]}"
