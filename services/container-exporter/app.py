"""container-exporter: per-container CPU, memory, restarts and OOM kills, plus volume fill.

A small stand-in for cAdvisor where its image cannot be pulled: it reads cgroup
files and the engine's container metadata from read-only mounts (no Docker
socket, so no write access to the engine), see containerstats.py. Volumes named
in LAB_VOLUMES (name=capacity_bytes) are measured under the engine's volumes
directory: a volume that is its own filesystem (Postgres's size-capped one) by
the filesystem's figures, any other by its files against the capacity given.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

from aiohttp import web
from containerstats import directory_bytes, lab_containers, parse_volumes, usage
from labsvc.config import ConfigError, Settings, env_str
from labsvc.http import create_app, run
from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

VOLUME_CACHE_S = 10.0


class ContainerCollector(Collector):
    def __init__(
        self, project: str, containers_dir: Path, cgroup_root: Path, volumes_dir: Path, volumes: dict[str, int]
    ):
        self.project = project
        self.containers_dir = containers_dir
        self.cgroup_root = cgroup_root
        self.volumes_dir = volumes_dir
        self.volumes = volumes
        self._volume_cache: tuple[float, dict[str, tuple[int, int]]] = (0.0, {})

    def collect(self) -> Iterator[Metric]:
        labels = ["name", "service"]
        fam = {
            "running": GaugeMetricFamily("container_running", "1 while the container runs.", labels=labels),
            "restarts": CounterMetricFamily(
                "container_restarts", "Restarts by the engine's restart policy (docker's RestartCount).", labels=labels
            ),
            "oom_killed": GaugeMetricFamily(
                "container_last_oom_killed", "1 when the container's last exit was an OOM kill.", labels=labels
            ),
            "cpu": CounterMetricFamily("container_cpu_usage_seconds", "CPU time used.", labels=labels),
            "periods": CounterMetricFamily("container_cpu_cfs_periods", "CFS periods with a quota.", labels=labels),
            "throttled": CounterMetricFamily(
                "container_cpu_cfs_throttled_periods",
                "CFS periods in which the container was throttled.",
                labels=labels,
            ),
            "throttled_s": CounterMetricFamily(
                "container_cpu_cfs_throttled_seconds", "Time the container was throttled.", labels=labels
            ),
            "quota": GaugeMetricFamily("container_spec_cpu_cores", "CPU limit in cores.", labels=labels),
            "memory": GaugeMetricFamily(
                "container_memory_usage_bytes", "Memory use, page cache included.", labels=labels
            ),
            "working_set": GaugeMetricFamily(
                "container_memory_working_set_bytes", "Memory use minus inactive page cache.", labels=labels
            ),
            "limit": GaugeMetricFamily("container_spec_memory_limit_bytes", "Memory limit.", labels=labels),
            "oom": CounterMetricFamily(
                "container_oom_events", "Processes OOM-killed in the container's current cgroup.", labels=labels
            ),
        }
        for c in lab_containers(self.containers_dir, self.project):
            values = [c.name, c.service]
            fam["running"].add_metric(values, int(c.running))
            fam["restarts"].add_metric(values, c.restarts)
            fam["oom_killed"].add_metric(values, int(c.oom_killed))
            u = usage(self.cgroup_root, c.id) if c.running else None
            if u is None:
                continue
            for key, value in (
                ("cpu", u.cpu_seconds),
                ("periods", u.cfs_periods),
                ("throttled", u.cfs_throttled_periods),
                ("throttled_s", u.cfs_throttled_seconds),
                ("quota", u.cpu_quota_cores),
                ("memory", u.memory_bytes),
                ("working_set", u.working_set_bytes),
                ("limit", u.memory_limit_bytes),
                ("oom", u.oom_kills),
            ):
                if value is not None:
                    fam[key].add_metric(values, value)
        yield from fam.values()
        yield from self._volume_metrics()

    def _volume_metrics(self) -> Iterator[Metric]:
        used = GaugeMetricFamily("lab_volume_used_bytes", "Disk used by a lab volume.", labels=["volume"])
        capacity = GaugeMetricFamily(
            "lab_volume_capacity_bytes", "The capacity the lab gives a volume.", labels=["volume"]
        )
        measured_at, sizes = self._volume_cache
        if time.monotonic() - measured_at > VOLUME_CACHE_S:
            sizes = {name: self._measure(name, cap) for name, cap in self.volumes.items()}
            self._volume_cache = (time.monotonic(), sizes)
        for name, (in_use, cap) in sizes.items():
            used.add_metric([name], in_use)
            capacity.add_metric([name], cap)
        yield used
        yield capacity

    def _measure(self, name: str, configured: int) -> tuple[int, int]:
        """(used, capacity): the filesystem's own figures where the volume is one (a size-capped
        volume), otherwise the files' size against the capacity configured for it."""
        data = self.volumes_dir / f"{self.project}_{name}" / "_data"
        if os.path.ismount(data):
            fs = os.statvfs(data)
            return (fs.f_blocks - fs.f_bfree) * fs.f_frsize, fs.f_blocks * fs.f_frsize
        return directory_bytes(data), configured


def build_app(settings: Settings) -> web.Application:
    env = os.environ
    try:
        volumes = parse_volumes(env.get("LAB_VOLUMES", ""))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    collector = ContainerCollector(
        project=env_str(env, "LAB_PROJECT", "incident-lab"),
        containers_dir=Path(env_str(env, "CONTAINERS_DIR", "/host/containers")),
        cgroup_root=Path(env_str(env, "CGROUP_ROOT", "/host/cgroup")),
        volumes_dir=Path(env_str(env, "VOLUMES_DIR", "/host/volumes")),
        volumes=volumes,
    )
    REGISTRY.register(collector)
    return create_app(settings)


if __name__ == "__main__":
    run(build_app)
