"""Container metrics read from files, without the Docker socket (a cAdvisor stand-in).

Metadata (name, labels, restart count, OOMKilled) comes from each container's
config.v2.json under the engine's containers directory; CPU and memory from its
cgroup (v1: <root>/{cpuacct,cpu,memory}/docker/<id>/, v2: <root>/system.slice/
docker-<id>.scope/ or <root>/docker/<id>/). Everything is mounted read-only.
Only containers labelled io.incident-lab.managed=true of one Compose project
are exported. Metric names follow cAdvisor's where one exists.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MANAGED = "io.incident-lab.managed"
SERVICE = "io.incident-lab.service"
PROJECT = "com.docker.compose.project"


@dataclass(frozen=True)
class Container:
    id: str
    name: str
    service: str
    running: bool
    restarts: int
    oom_killed: bool


@dataclass(frozen=True)
class Usage:
    cpu_seconds: float | None = None
    cfs_periods: int | None = None
    cfs_throttled_periods: int | None = None
    cfs_throttled_seconds: float | None = None
    cpu_quota_cores: float | None = None
    memory_bytes: int | None = None
    working_set_bytes: int | None = None
    memory_limit_bytes: int | None = None
    oom_kills: int | None = None


def lab_containers(containers_dir: Path, project: str) -> Iterator[Container]:
    """The lab's containers of ``project``, from their config.v2.json files."""
    for config in sorted(containers_dir.glob("*/config.v2.json")):
        try:
            raw = json.loads(config.read_text())
        except (OSError, ValueError):
            continue  # being written or removed right now
        labels = (raw.get("Config") or {}).get("Labels") or {}
        if labels.get(MANAGED) != "true" or labels.get(PROJECT) != project:
            continue
        state = raw.get("State") or {}
        yield Container(
            id=raw["ID"],
            name=str(raw.get("Name", "")).lstrip("/"),
            service=labels.get(SERVICE, ""),
            running=bool(state.get("Running")),
            restarts=int(raw.get("RestartCount", 0)),
            oom_killed=bool(state.get("OOMKilled")),
        )


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _int(path: Path) -> int | None:
    text = _read(path)
    return int(text) if text is not None and text.lstrip("-").isdigit() else None


def _keyed(path: Path) -> dict[str, int]:
    text = _read(path) or ""
    pairs = (line.split() for line in text.splitlines())
    return {p[0]: int(p[1]) for p in pairs if len(p) == 2 and p[1].lstrip("-").isdigit()}


def usage(cgroup_root: Path, container_id: str) -> Usage | None:
    """CPU and memory of a running container, from cgroup v1 or v2; None when not found."""
    v1_memory = cgroup_root / "memory" / "docker" / container_id
    if v1_memory.is_dir():
        return _usage_v1(cgroup_root, container_id)
    for v2 in (cgroup_root / "system.slice" / f"docker-{container_id}.scope", cgroup_root / "docker" / container_id):
        if (v2 / "cgroup.controllers").exists():
            return _usage_v2(v2)
    return None


def _usage_v1(root: Path, cid: str) -> Usage:
    cpuacct = next(
        (d for d in (root / "cpuacct" / "docker" / cid, root / "cpu,cpuacct" / "docker" / cid) if d.is_dir()), None
    )
    cpu = next((d for d in (root / "cpu" / "docker" / cid, root / "cpu,cpuacct" / "docker" / cid) if d.is_dir()), None)
    memory = root / "memory" / "docker" / cid
    usage_ns = _int(cpuacct / "cpuacct.usage") if cpuacct else None
    stat = _keyed(cpu / "cpu.stat") if cpu else {}
    quota = _int(cpu / "cpu.cfs_quota_us") if cpu else None
    period = _int(cpu / "cpu.cfs_period_us") if cpu else None
    mem_stat = _keyed(memory / "memory.stat")
    used = _int(memory / "memory.usage_in_bytes")
    limit = _int(memory / "memory.limit_in_bytes")
    inactive = mem_stat.get("total_inactive_file", mem_stat.get("inactive_file", 0))
    return Usage(
        cpu_seconds=usage_ns / 1e9 if usage_ns is not None else None,
        cfs_periods=stat.get("nr_periods"),
        cfs_throttled_periods=stat.get("nr_throttled"),
        cfs_throttled_seconds=stat["throttled_time"] / 1e9 if "throttled_time" in stat else None,
        cpu_quota_cores=quota / period if quota and period and quota > 0 else None,
        memory_bytes=used,
        working_set_bytes=max(0, used - inactive) if used is not None else None,
        # An unlimited cgroup v1 reports a huge number (page-aligned LONG_MAX).
        memory_limit_bytes=limit if limit is not None and limit < 2**62 else None,
        oom_kills=_keyed(memory / "memory.oom_control").get("oom_kill"),
    )


def _usage_v2(cg: Path) -> Usage:
    stat = _keyed(cg / "cpu.stat")
    cpu_max = (_read(cg / "cpu.max") or "max 100000").split()
    used = _int(cg / "memory.current")
    limit_text = _read(cg / "memory.max")
    inactive = _keyed(cg / "memory.stat").get("inactive_file", 0)
    return Usage(
        cpu_seconds=stat["usage_usec"] / 1e6 if "usage_usec" in stat else None,
        cfs_periods=stat.get("nr_periods"),
        cfs_throttled_periods=stat.get("nr_throttled"),
        cfs_throttled_seconds=stat["throttled_usec"] / 1e6 if "throttled_usec" in stat else None,
        cpu_quota_cores=int(cpu_max[0]) / int(cpu_max[1]) if cpu_max[0] != "max" else None,
        memory_bytes=used,
        working_set_bytes=max(0, used - inactive) if used is not None else None,
        memory_limit_bytes=int(limit_text) if limit_text and limit_text.isdigit() else None,
        oom_kills=_keyed(cg / "memory.events").get("oom_kill"),
    )


def directory_bytes(path: Path) -> int:
    """Disk used under ``path`` (allocated blocks, like du), skipping what vanishes meanwhile."""
    total = 0
    stack = [str(path)]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    total += entry.stat(follow_symlinks=False).st_blocks * 512
            except OSError:
                continue
    return total


def parse_volumes(spec: str) -> dict[str, int]:
    """``postgres-data=1073741824,redis-data=268435456`` -> {name: capacity bytes}."""
    volumes: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, size = item.partition("=")
        if not name or not size.isdigit() or int(size) <= 0:
            raise ValueError(f"LAB_VOLUMES item {item!r} is not name=capacity_bytes")
        volumes[name] = int(size)
    return volumes
