"""What data faults share: the real psql and redis-cli in the data containers, and client helpers.

Statements run through the datastore's own client inside its container (Postgres as its
superuser over the local socket, which uses a reserved connection slot, so revert works even
when every ordinary slot is taken). A fault that needs a *client* (a noisy pool, a transaction
holding locks) runs it in a helper container on the lab's backend network, labelled with the
fault's id, so revert finds and removes exactly it.
"""

from __future__ import annotations

import time
from typing import Any

from lab import labels
from lab.docker import engine, run
from lab.errors import LabError
from lab.faults.base import FaultContext, Target
from lab.faults.docker_ops import container

FAULT_LABEL = "io.incident-lab.fault"


def require(target: Target, fault: str, service: str) -> None:
    if target.service != service:
        raise LabError(f"fault {fault} acts on {service}, not {target.service} (use --target {service})")


def _exec(target: Target, argv: list[str], what: str) -> str:
    c = container(target)
    if c is None or c.status != "running":
        raise LabError(f"{target.service} is not running: cannot run {what}")
    result: Any = c.exec_run(argv, demux=True)
    out, err = result.output
    text = (out or b"").decode(errors="replace").strip()
    if result.exit_code != 0:
        detail = (err or b"").decode(errors="replace").strip() or text
        raise LabError(f"{what} in {target.service} failed: {detail.splitlines()[-1] if detail else result.exit_code}")
    return text


def psql(target: Target, sql: str) -> str:
    """SQL as the superuser over the local socket; rows as text (``-tAX``). Callers pass only
    validated identifiers and numbers into ``sql``."""
    argv = ["psql", "-h", "/var/run/postgresql", "-U", "postgres", "-d", "shop", "-tAX", "-v", "ON_ERROR_STOP=1"]
    for attempt in range(10):
        try:
            return _exec(target, [*argv, "-c", sql], "psql")
        except LabError as exc:
            # A connection storm (say, a noisy client's retries) can take every slot for a moment.
            if "too many clients" not in str(exc) or attempt == 9:
                raise
            time.sleep(0.2)
    raise AssertionError("unreachable")


def redis_cli(target: Target, *args: str) -> str:
    return _exec(target, ["redis-cli", "--no-raw", *args], "redis-cli")


def db_password(target: Target) -> str:
    c = container(target)
    env = dict(e.split("=", 1) for e in (c.attrs["Config"].get("Env") or [])) if c is not None else {}
    return str(env.get("LAB_DB_PASSWORD", "lab"))


def start_client(ctx: FaultContext, target: Target, image: str, argv: list[str], env: dict[str, str]) -> None:
    """Run a client of the target in a helper container on the target's own network."""
    c = container(target)
    if c is None:
        raise LabError(f"{target.service}'s container is gone")
    network = next(iter(c.attrs["NetworkSettings"]["Networks"]))
    env_args = [a for k, v in env.items() for a in ("--env", f"{k}={v}")]
    run(
        ["docker", "run", "--detach", "--network", network, "--memory", "256m", "--pids-limit", "64",
         "--name", f"{ctx.settings.project}-fault-{ctx.fault_id}",
         "--label", f"{labels.MANAGED}=true", "--label", f"{labels.ROLE}=fault-helper",
         "--label", f"{FAULT_LABEL}={ctx.fault_id}", *env_args, "--entrypoint", argv[0], image, *argv[1:]],
        timeout=60,
    )  # fmt: skip


def remove_clients(ctx: FaultContext) -> None:
    """Remove the fault's helper containers (found by its label). Idempotent."""
    filters = {"label": [labels.MANAGED_FILTER, f"{labels.ROLE}=fault-helper", f"{FAULT_LABEL}={ctx.fault_id}"]}
    for helper in engine().containers.list(all=True, filters=filters):
        helper.remove(force=True)
