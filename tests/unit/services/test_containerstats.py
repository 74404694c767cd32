"""The container exporter's parsing of cgroup files and container metadata (no Docker socket)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "services" / "container-exporter"))

from containerstats import lab_containers, parse_volumes, usage

CID = "a" * 64


def _container(root: Path, cid: str, labels: dict[str, str], **state: object) -> None:
    folder = root / cid
    folder.mkdir(parents=True)
    config = {"ID": cid, "Name": f"/{cid[:4]}", "RestartCount": 2, "Config": {"Labels": labels}, "State": state}
    (folder / "config.v2.json").write_text(json.dumps(config))


def test_only_the_labs_containers_of_its_project_are_listed(tmp_path: Path) -> None:
    lab = {"io.incident-lab.managed": "true", "com.docker.compose.project": "lab", "io.incident-lab.service": "orders"}
    _container(tmp_path, CID, lab, Running=True, OOMKilled=True)
    _container(tmp_path, "b" * 64, {**lab, "com.docker.compose.project": "other"}, Running=True)
    _container(tmp_path, "c" * 64, {"com.docker.compose.project": "lab"}, Running=True)
    found = list(lab_containers(tmp_path, "lab"))
    assert [(c.id, c.service, c.restarts, c.oom_killed, c.running) for c in found] == [(CID, "orders", 2, True, True)]


def test_cgroup_v1_usage(tmp_path: Path) -> None:
    for part, files in {
        "cpuacct": {"cpuacct.usage": "2500000000"},
        "cpu": {
            "cpu.stat": "nr_periods 10\nnr_throttled 4\nthrottled_time 300000000\n",
            "cpu.cfs_quota_us": "50000",
            "cpu.cfs_period_us": "100000",
        },
        "memory": {
            "memory.usage_in_bytes": "1000",
            "memory.limit_in_bytes": "134217728",
            "memory.stat": "total_inactive_file 400\n",
            "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n",
        },
    }.items():
        folder = tmp_path / part / "docker" / CID
        folder.mkdir(parents=True)
        for name, text in files.items():
            (folder / name).write_text(text)
    u = usage(tmp_path, CID)
    assert u is not None
    assert (u.cpu_seconds, u.cfs_periods, u.cfs_throttled_periods, u.cfs_throttled_seconds) == (2.5, 10, 4, 0.3)
    assert (u.cpu_quota_cores, u.memory_bytes, u.working_set_bytes, u.memory_limit_bytes, u.oom_kills) == (
        0.5,
        1000,
        600,
        134217728,
        3,
    )


def test_cgroup_v2_usage(tmp_path: Path) -> None:
    folder = tmp_path / "system.slice" / f"docker-{CID}.scope"
    folder.mkdir(parents=True)
    for name, text in {
        "cgroup.controllers": "cpu memory",
        "cpu.stat": "usage_usec 1500000\nnr_periods 8\nnr_throttled 2\nthrottled_usec 250000\n",
        "cpu.max": "100000 100000",
        "memory.current": "2048",
        "memory.max": "max",
        "memory.stat": "inactive_file 48\n",
        "memory.events": "oom 1\noom_kill 1\n",
    }.items():
        (folder / name).write_text(text)
    u = usage(tmp_path, CID)
    assert u is not None
    assert (u.cpu_seconds, u.cfs_throttled_seconds, u.cpu_quota_cores) == (1.5, 0.25, 1.0)
    assert (u.working_set_bytes, u.memory_limit_bytes, u.oom_kills) == (2000, None, 1)


def test_a_container_without_a_cgroup_has_no_usage(tmp_path: Path) -> None:
    assert usage(tmp_path, CID) is None


def test_volume_capacities_are_validated() -> None:
    assert parse_volumes("postgres-data=100, redis-data=5") == {"postgres-data": 100, "redis-data": 5}
    with pytest.raises(ValueError, match="postgres-data=lots"):
        parse_volumes("postgres-data=lots")
