"""Resource faults: CPU and memory, acting on the target's own cgroup.

The load runs *inside* the target (``docker exec``, see :mod:`lab.faults.inside`), so the
container's CPU quota and memory limit govern it exactly as they govern the service. The
throttle changes the quota itself (``docker update --cpus``) and restores the recorded value.
Disk and PID faults are in :mod:`lab.faults.types.exhaustion`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lab.docker import run
from lab.errors import LabError
from lab.faults import inside
from lab.faults.base import Fault, Target
from lab.faults.docker_ops import container
from lab.faults.registry import register

MIB = 1024**2
_MAX_S = 6 * 3600  # the longest fault: a safety timeout for every load process


def _attrs(target: Target) -> dict[str, Any]:
    c = container(target)
    if c is None:
        raise LabError(f"{target.service}'s container is gone")
    attrs: dict[str, Any] = c.attrs
    return attrs


def _memory_limit(target: Target, fault: str) -> int:
    limit = int(_attrs(target)["HostConfig"].get("Memory") or 0)
    if limit <= 0:
        # Without a limit the load would press on the host's memory: refuse.
        raise LabError(f"fault {fault}: {target.service} has no memory limit; it would act on the host's memory")
    return limit


# Working set as the OOM killer and `docker stats` see it: usage minus inactive page cache.
_WORKING_SET = (
    "if [ -f /sys/fs/cgroup/memory.current ]; then u=$(cat /sys/fs/cgroup/memory.current); "
    "i=$(awk '$1==\"inactive_file\"{print $2}' /sys/fs/cgroup/memory.stat); else "
    "u=$(cat /sys/fs/cgroup/memory/memory.usage_in_bytes); "
    "i=$(awk '$1==\"total_inactive_file\"{print $2}' /sys/fs/cgroup/memory/memory.stat); fi; echo $((u - i))"
)


def working_set(target: Target) -> int:
    code, out = inside.exec_sh(target, _WORKING_SET)
    if code != 0 or not out.lstrip("-").isdigit():
        raise LabError(f"cannot read {target.service}'s memory use: {out}")
    return int(out)


class CpuHogParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    workers: int = Field(1, ge=1, le=8, description="CPU-bound stress-ng workers")
    load: int = Field(100, ge=1, le=100, description="percent of a CPU each worker keeps busy")


@register
class CpuHog(Fault):
    name = "cpu-hog"
    family = "resources"
    summary = "Burn CPU with stress-ng inside the service's own cgroup, competing with it for its quota."
    effect = "the container runs at its CPU limit (docker stats); the service's requests slow down"
    needs = ("cgroup: cpu",)
    Params = CpuHogParams

    def describe(self) -> str:
        assert isinstance(self.params, CpuHogParams)
        p = self.params
        return f"run {p.workers} stress-ng CPU worker(s) at {p.load}% inside {self.target.service}"

    def inject(self) -> None:
        assert isinstance(self.params, CpuHogParams)
        argv = ["stress-ng", "--quiet", "--cpu", str(self.params.workers), "--cpu-load", str(self.params.load)]
        inside.start(self.target, self.ctx.fault_id, [*argv, "--timeout", f"{_MAX_S}s"])

    def revert(self) -> None:
        inside.kill(self.ctx, self.target)


class CpuThrottleParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cpus: float = Field(0.05, ge=0.01, le=64, description="the CPU quota to set, in CPUs")


@register
class CpuThrottle(Fault):
    name = "cpu-throttle"
    family = "resources"
    summary = "Cut the container's CPU quota (cgroup CFS quota via docker update --cpus); restore it on revert."
    effect = "docker inspect shows the lower NanoCpus; the cgroup's throttled periods climb; requests slow down"
    needs = ("cgroup: cpu",)
    Params = CpuThrottleParams

    def prepare(self) -> None:
        assert isinstance(self.params, CpuThrottleParams)
        nano = int(_attrs(self.target)["HostConfig"].get("NanoCpus") or 0)
        if nano <= 0:
            raise LabError(f"fault cpu-throttle: {self.target.service} has no CPU limit (cpus) to restore afterwards")
        if self.params.cpus * 1e9 >= nano:
            raise LabError(
                f"fault cpu-throttle: param 'cpus': {self.params.cpus} is not below "
                f"{self.target.service}'s current limit of {nano / 1e9:g} CPUs"
            )
        self.state["previous_cpus"] = nano / 1e9

    def describe(self) -> str:
        assert isinstance(self.params, CpuThrottleParams)
        before = self.state.get("previous_cpus", "?")
        return f"throttle {self.target.service} to {self.params.cpus:g} CPUs (from {before})"

    def _set(self, cpus: float) -> None:
        proc = run(["docker", "update", "--cpus", f"{cpus:g}", self.target.container_id], check=False, timeout=30)
        if proc.returncode != 0 and container(self.target) is not None:
            raise LabError(f"docker update --cpus on {self.target.service}: {proc.stderr.strip()}")

    def inject(self) -> None:
        assert isinstance(self.params, CpuThrottleParams)
        self._set(self.params.cpus)

    def revert(self) -> None:
        if container(self.target) is not None:
            self._set(float(self.state["previous_cpus"]))


class MemoryPressureParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    percent: int = Field(90, ge=10, le=95, description="the container's memory use to reach, in % of its limit")


@register
class MemoryPressure(Fault):
    name = "memory-pressure"
    family = "resources"
    summary = "Hold memory inside the service's cgroup (stress-ng --vm) up to a share of its limit, below it."
    effect = "the container's memory use sits near its limit (docker stats); its page cache is squeezed out"
    needs = ("cgroup: memory",)
    Params = MemoryPressureParams

    def prepare(self) -> None:
        assert isinstance(self.params, MemoryPressureParams)
        limit = _memory_limit(self.target, self.name)
        used = working_set(self.target)
        goal = limit * self.params.percent // 100
        if used >= goal:
            raise LabError(
                f"fault memory-pressure: param 'percent': {self.target.service} already uses "
                f"{100 * used // limit}% of its {limit // MIB} MiB limit; give a higher percent"
            )
        self.state |= {"limit": limit, "bytes": goal - used}

    def describe(self) -> str:
        mib = int(self.state.get("bytes", 0)) // MIB
        return f"hold {mib} MiB inside {self.target.service} (limit {int(self.state.get('limit', 0)) // MIB} MiB)"

    def inject(self) -> None:
        # --vm-hang 0: allocate and touch once, then sleep holding it (no CPU burnt).
        size = f"{int(self.state['bytes']) // 1024}k"
        argv = ["stress-ng", "--quiet", "--vm", "1", "--vm-bytes", size, "--vm-hang", "0", "--vm-keep"]
        inside.start(self.target, self.ctx.fault_id, [*argv, "--timeout", f"{_MAX_S}s"])

    def revert(self) -> None:
        inside.kill(self.ctx, self.target)


class MemoryLeakParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rate_mb_s: int = Field(16, ge=1, le=512, description="how fast the leak grows, MiB per second")


_LEAKER = (
    "import time\nheld = []\nwhile True:\n"
    "    held.append(b'x' * {chunk})  # written, so resident\n    time.sleep(0.125)\n"
)
# The service's own processes: PID 1's children under docker's init, else PID 1.
_MAIN_PIDS = 'case "$(cat /proc/1/comm)" in docker-init|tini) pgrep -P 1;; *) echo 1;; esac'


@register
class MemoryLeakOom(Fault):
    name = "memory-leak-oom"
    family = "resources"
    summary = "Leak memory inside the service's cgroup until the kernel OOM-kills the service at its limit."
    effect = "memory climbs to the limit, then docker inspect shows OOMKilled=true and a restart; callers fail"
    needs = ("cgroup: memory",)
    Params = MemoryLeakParams

    def prepare(self) -> None:
        self.state["limit"] = _memory_limit(self.target, self.name)
        script = f"for p in $({_MAIN_PIDS}); do echo $p $(cat /proc/$p/oom_score_adj); done"
        code, out = inside.exec_sh(self.target, script)
        if code != 0:
            raise LabError(f"cannot read {self.target.service}'s processes: {out}")
        self.state["oom_score_adj"] = dict(line.split() for line in out.splitlines() if len(line.split()) == 2)

    def describe(self) -> str:
        assert isinstance(self.params, MemoryLeakParams)
        limit = int(self.state.get("limit", 0)) // MIB
        return f"leak {self.params.rate_mb_s} MiB/s in {self.target.service} until its {limit} MiB limit OOM-kills it"

    def inject(self) -> None:
        assert isinstance(self.params, MemoryLeakParams)
        # The OOM killer picks the biggest process; this points it at the service, as when the
        # service itself leaks (raising a score needs no privilege).
        pids = " ".join(self.state["oom_score_adj"])
        inside.exec_sh(self.target, f"for p in {pids}; do echo 1000 > /proc/$p/oom_score_adj; done")
        chunk = max(1, self.params.rate_mb_s * MIB // 8)
        inside.start(self.target, self.ctx.fault_id, ["python3", "-c", _LEAKER.format(chunk=chunk)])

    def revert(self) -> None:
        c = container(self.target)
        if c is None:
            return
        inside.kill(self.ctx, self.target)  # the leak, if the OOM kill has not ended it yet
        c.reload()
        if c.status == "running":
            adjs = self.state["oom_score_adj"].items()
            inside.exec_sh(self.target, " ".join(f"echo {adj} > /proc/{p}/oom_score_adj;" for p, adj in adjs) + " true")
        elif c.status in ("exited", "created"):
            c.start()  # nothing left allocated: the restart policy normally did this already
