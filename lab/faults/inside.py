"""Processes a fault runs inside the target's container, so they count against its cgroup.

A fault's processes are started with ``docker exec`` (they join the container's cgroups, so its
CPU quota, memory limit and PID limit apply to them) in a session of their own, and carry the
environment variable ``LAB_FAULT_ID=<id>``. That marker is how revert finds them, with no pid
file to go stale: after a restart of the container nothing carries it, and nothing of the
service ever does. Revert kills every marked process and its process group. When the container
cannot run ``docker exec`` any more (its PID limit is exhausted), the kill runs in a helper
container joined to the target's PID namespace instead.
"""

from __future__ import annotations

from typing import Any

import docker.errors

from lab import labels
from lab.docker import run
from lab.errors import LabError
from lab.faults.base import FaultContext, Target
from lab.faults.docker_ops import container

MARKER = "LAB_FAULT_ID"


# Python, not sh: it lists and kills without forking, so it works in a container whose PID limit
# is used up (docker exec itself still starts there; a fork inside it would fail).
_KILLER = """import os, signal, time
marker = {marker!r}
def marked():
    found = []
    for d in os.listdir("/proc"):
        try:
            with open("/proc/" + d + "/environ", "rb") as f:
                if d.isdigit() and marker in f.read().split(b"\\0"):
                    found.append(int(d))
        except OSError:
            pass
    return found
for _ in range({passes}):
    pids = marked()
    if not pids:
        break
    for p in pids:
        for who in (-p, p):  # its group (each fault process leads its own session), then itself
            try:
                os.kill(who, signal.SIGKILL)
            except OSError:
                pass
    time.sleep(0.05)  # a dying process still shows for a moment
print(len(marked()))
"""


def _script(fault_id: str, *, passes: int) -> list[str]:
    return ["python3", "-c", _KILLER.format(marker=f"{MARKER}={fault_id}".encode(), passes=passes)]


def start(target: Target, fault_id: str, argv: list[str]) -> None:
    """Start ``argv`` detached inside the target, in its own session, marked with the fault id."""
    c = container(target)
    if c is None or c.status != "running":
        raise LabError(f"{target.service} is not running: nothing to inject into")
    try:
        c.exec_run(["setsid", *argv], environment={MARKER: fault_id}, detach=True)
    except docker.errors.APIError as exc:
        raise LabError(f"cannot start a process in {target.service}: {exc.explanation or exc}") from exc


def exec_sh(target: Target, script: str) -> tuple[int, str]:
    """Run a short shell script inside the target; (exit code, output)."""
    c = container(target)
    if c is None:
        raise LabError(f"{target.service}'s container is gone")
    result: Any = c.exec_run(["sh", "-c", script])
    return int(result.exit_code), bytes(result.output or b"").decode(errors="replace").strip()


def count(target: Target, fault_id: str) -> int:
    """How many of the fault's processes run in the target now."""
    c = container(target)
    if c is None or c.status != "running":
        return 0
    result: Any = c.exec_run(_script(fault_id, passes=0))
    out = bytes(result.output or b"").decode().strip()
    return int(out) if result.exit_code == 0 and out.isdigit() else 0


def kill(ctx: FaultContext, target: Target) -> None:
    """Kill every process of this fault in the target. Idempotent; a gone target is done."""
    c = container(target)
    if c is None or c.status not in ("running", "paused", "restarting"):
        return  # gone or stopped: its processes died with it
    script = _script(ctx.fault_id, passes=60)
    try:
        result: Any = c.exec_run(script)
        if result.exit_code == 0 and bytes(result.output or b"").strip() == b"0":
            return
    except docker.errors.APIError:
        pass  # exec itself failed (the container is paused, say)
    argv = [
        "docker", "run", "--rm", "--pid", f"container:{target.container_id}", "--network", "none",
        "--label", f"{labels.MANAGED}=true", "--label", f"{labels.ROLE}=fault-helper",
        "--entrypoint", script[0], ctx.base_image, *script[1:],
    ]  # fmt: skip
    proc = run(argv, timeout=60, check=False)
    left = proc.stdout.strip()
    if proc.returncode != 0 or left != "0":
        detail = proc.stderr.strip() or f"{left} left"
        raise LabError(f"could not stop fault {ctx.fault_id}'s processes in {target.service}: {detail}")
