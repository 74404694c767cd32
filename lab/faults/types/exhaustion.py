"""Exhaustion faults: fill a size-capped volume, use up a container's PID limit.

Both act only within a hard limit the lab set, never on the host: disk-fill writes into a volume
with a size cap (Postgres's data, see :mod:`lab.platforms.capped_volume`) and refuses a volume
without one; pid-exhaustion forks sleepers inside a container with a ``pids_limit`` and refuses
one without (it would eat the host's PIDs).
"""

from __future__ import annotations

import shlex

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lab import labels
from lab.docker import engine, run
from lab.errors import LabError
from lab.faults import inside
from lab.faults.base import Fault
from lab.faults.docker_ops import container
from lab.faults.registry import register
from lab.faults.sizes import MIB, parse_size
from lab.platforms.capped_volume import CAP_LABEL


class DiskFillParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    percent: int | None = Field(None, ge=1, le=99, description="fill the volume to this % of its size (default 95)")
    size: str | None = Field(None, description="or write this much, e.g. 200M (at most the volume's cap)")

    @field_validator("size")
    @classmethod
    def _size(cls, value: str | None) -> str | None:
        if value is not None and parse_size(value) <= 0:
            raise ValueError("must be more than 0 bytes")
        return value


@register
class DiskFill(Fault):
    name = "disk-fill"
    family = "resources"
    summary = "Fill the service's size-capped volume (Postgres's data) with a filler file; revert deletes it."
    effect = "df in the container shows the volume at the asked use; at 100% Postgres fails writes (checkout fails)"
    needs = ("volume: size cap",)
    Params = DiskFillParams

    def prepare(self) -> None:
        assert isinstance(self.params, DiskFillParams)
        if self.params.percent is not None and self.params.size is not None:
            raise LabError("fault disk-fill: give param 'percent' or param 'size', not both")
        c = container(self.target)
        mounts = c.attrs.get("Mounts", []) if c is not None else []
        for mount in mounts:
            if mount.get("Type") != "volume":
                continue
            volume = engine().volumes.get(mount["Name"])
            cap = int((volume.attrs.get("Labels") or {}).get(CAP_LABEL) or 0)
            if cap:
                break
        else:
            raise LabError(
                f"fault disk-fill: {self.target.service} has no size-capped volume (only Postgres's data "
                "volume is capped, where the host allows it: see `lab doctor`)"
            )
        if self.params.size is not None and parse_size(self.params.size) > cap:
            raise LabError(
                f"fault disk-fill: param 'size': {self.params.size} is more than the volume's cap of "
                f"{cap // MIB} MiB ({mount['Name']})"
            )
        filler = f"{mount['Destination'].rstrip('/')}/.lab-fill-{self.ctx.fault_id}"
        self.state |= {"volume": mount["Name"], "cap": cap, "mount": mount["Destination"], "filler": filler}

    def describe(self) -> str:
        assert isinstance(self.params, DiskFillParams)
        how = f"write {self.params.size}" if self.params.size else f"fill to {self.params.percent or 95}%"
        cap = int(self.state.get("cap", 0)) // MIB
        return f"{how} of {self.state.get('volume', '?')} ({cap} MiB cap) in {self.target.service}"

    def inject(self) -> None:
        assert isinstance(self.params, DiskFillParams)
        mount = shlex.quote(self.state["mount"])
        code, out = inside.exec_sh(self.target, f"df -B1 --output=size,used,avail {mount} | tail -1")
        if code != 0:
            raise LabError(f"df in {self.target.service}: {out}")
        _, used, avail = (int(v) for v in out.split())
        usable = used + avail  # df's own base for Use% (ext4 keeps some of `size` for itself)
        want = parse_size(self.params.size) if self.params.size else usable * (self.params.percent or 95) // 100 - used
        amount = min(want, avail)
        if amount <= 0:
            self.ctx.notes.append(f"the volume is already at {100 * used // usable}%: nothing written")
            return
        # fallocate reserves real blocks at once (no data to write, so inject stays fast).
        code, out = inside.exec_sh(self.target, f"fallocate -l {amount} {shlex.quote(self.state['filler'])}")
        if code != 0:
            raise LabError(f"fallocate in {self.target.service}: {out}")

    def revert(self) -> None:
        c = container(self.target)
        if c is not None and c.status == "running":
            code, _ = inside.exec_sh(self.target, f"rm -f {shlex.quote(self.state['filler'])}")
            if code == 0:
                return
        # Not running (a full disk can crash Postgres): delete through a helper mounting the volume.
        try:
            engine().volumes.get(self.state["volume"])
        except Exception:
            return
        name = self.state["filler"].rsplit("/", 1)[1]
        run(
            ["docker", "run", "--rm", "--network", "none", "-v", f"{self.state['volume']}:/v",
             "--label", f"{labels.MANAGED}=true", "--label", f"{labels.ROLE}=fault-helper",
             "--entrypoint", "rm", self.ctx.base_image, "-f", f"/v/{name}"],
            timeout=60,
        )  # fmt: skip


class PidExhaustionParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    spare: int = Field(0, ge=0, le=50, description="PIDs to leave free under the limit")


# Fork `sleep` until the PID limit refuses, and keep retrying so a freed PID is taken at once.
_FORKER = """import subprocess, time
def current():
    for path in ("/sys/fs/cgroup/pids/pids.current", "/sys/fs/cgroup/pids.current"):
        try:
            return int(open(path).read())
        except OSError:
            pass
    return 0
held = []
while True:
    if current() >= {limit} - {spare}:
        time.sleep(0.05)
        continue
    try:
        held.append(subprocess.Popen(["sleep", "{seconds}"], close_fds=True))
    except OSError:
        time.sleep(0.05)
"""


@register
class PidExhaustion(Fault):
    name = "pid-exhaustion"
    family = "resources"
    summary = "Fork sleepers inside the service until its PID limit (pids cgroup) is used up, and hold them."
    effect = "nothing new can start in the container (its healthcheck fails); Postgres refuses new connections"
    needs = ("cgroup: pids",)
    Params = PidExhaustionParams

    def prepare(self) -> None:
        c = container(self.target)
        limit = int((c.attrs["HostConfig"].get("PidsLimit") or 0) if c is not None else 0)
        if limit <= 0:
            raise LabError(f"fault pid-exhaustion: {self.target.service} has no PID limit: it would use up the host's")
        self.state["pids_limit"] = limit

    def describe(self) -> str:
        assert isinstance(self.params, PidExhaustionParams)
        return f"use up {self.target.service}'s {self.state.get('pids_limit', '?')} PIDs (leaving {self.params.spare})"

    def inject(self) -> None:
        assert isinstance(self.params, PidExhaustionParams)
        script = _FORKER.format(spare=self.params.spare, limit=self.state["pids_limit"], seconds=6 * 3600)
        inside.start(self.target, self.ctx.fault_id, ["python3", "-c", script])

    def revert(self) -> None:
        inside.kill(self.ctx, self.target)
