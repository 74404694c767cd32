"""Small helpers faults share: container state, and commands in a helper container.

Network and resource tools run in a short-lived helper container from the lab's base image,
joined to the target's network namespace (``--network container:<id>``) with only the
capability it needs. No host tools and no host root are needed, and the helper carries the
lab's labels like everything else the lab creates.
"""

from __future__ import annotations

from typing import Any

import docker.errors

from lab import labels
from lab.docker import engine, run
from lab.errors import LabError
from lab.faults.base import FaultContext, Target


def container(target: Target) -> Any | None:
    """The target's container, or None when it is gone (a gone target counts as reverted)."""
    try:
        return engine().containers.get(target.container_id)
    except docker.errors.NotFound:
        return None


def in_netns(ctx: FaultContext, target: Target, script: str, *, check: bool = True) -> str:
    """Run ``script`` (sh) in the target's network namespace with NET_ADMIN; return stdout."""
    argv = [
        "docker", "run", "--rm", "--network", f"container:{target.container_id}",
        "--cap-add", "NET_ADMIN", "--label", f"{labels.MANAGED}=true",
        "--label", f"{labels.ROLE}=fault-helper", "--entrypoint", "sh", ctx.base_image, "-c", script,
    ]  # fmt: skip
    proc = run(argv, timeout=60, check=False)
    if check and proc.returncode != 0:
        raise LabError(f"in {target.service}'s network namespace: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout
