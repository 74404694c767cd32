"""Process faults: kill, stop, pause. They act on the target's container through the engine."""

from __future__ import annotations

import signal

from pydantic import BaseModel, ConfigDict, field_validator

from lab.faults.base import Fault
from lab.faults.docker_ops import container
from lab.faults.registry import register


class KillParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    signal: str = "SIGKILL"
    restart: bool = True

    @field_validator("signal")
    @classmethod
    def _known_signal(cls, value: str) -> str:
        name = value.upper() if value.upper().startswith("SIG") else f"SIG{value.upper()}"
        if name not in signal.Signals.__members__:
            raise ValueError(f"unknown signal {value!r}")
        return name


@register
class Kill(Fault):
    name = "kill"
    family = "process"
    summary = "Kill the service's process with a signal; with restart=false it stays down."
    effect = "the container exits (restarts under its policy with restart=true); its callers fail meanwhile"
    Params = KillParams

    def describe(self) -> str:
        assert isinstance(self.params, KillParams)
        how = "restarted by its policy" if self.params.restart else "kept down until revert"
        return f"send {self.params.signal} to {self.target.service}'s process ({how})"

    def inject(self) -> None:
        assert isinstance(self.params, KillParams)
        c = container(self.target)
        if c is None:
            return
        if self.params.restart:
            # A signal from inside looks like a crash: Docker's restart policy then applies.
            # (`docker kill` counts as a manual stop, which the policy ignores.)
            c.exec_run(["sh", "-c", f"kill -{self.params.signal.removeprefix('SIG')} -1"])
        else:
            c.kill(signal=self.params.signal)

    def revert(self) -> None:
        c = container(self.target)
        if c is not None and c.status in ("exited", "created"):
            c.start()


@register
class Stop(Fault):
    name = "stop"
    family = "process"
    summary = "Stop the service's container (graceful SIGTERM, then SIGKILL)."
    effect = "the container is exited until revert; its callers fail"

    def describe(self) -> str:
        return f"stop {self.target.service}'s container until revert"

    def inject(self) -> None:
        c = container(self.target)
        if c is not None:
            c.stop(timeout=10)

    def revert(self) -> None:
        c = container(self.target)
        if c is not None and c.status in ("exited", "created"):
            c.start()


@register
class Pause(Fault):
    name = "pause"
    family = "process"
    summary = "Freeze every process of the service (cgroup freezer): it hangs, it does not die."
    effect = "requests to the service hang until timeouts; the container shows as paused"
    needs = ("cgroup: freezer",)

    def describe(self) -> str:
        return f"freeze {self.target.service} (docker pause) until revert"

    def inject(self) -> None:
        c = container(self.target)
        if c is not None:
            c.pause()

    def revert(self) -> None:
        c = container(self.target)
        if c is not None:
            c.reload()
            if c.status == "paused":
                c.unpause()
