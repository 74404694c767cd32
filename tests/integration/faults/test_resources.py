"""Resource faults on real containers: CPU, memory, a capped volume, the PID limit."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from lab.errors import LabError
from lab.faults import plan
from lab.faults.ledger import Ledger
from lab.platforms import Platform, capped_volume
from lab.settings import Settings
from lab.testing import container_of, exec_in, wait_for

from .cases import FaultCase, run_case

pytestmark = pytest.mark.docker

_CPU_USAGE = (
    "cat /sys/fs/cgroup/cpuacct/cpuacct.usage 2>/dev/null "
    "|| awk '$1==\"usage_usec\"{print $2 * 1000}' /sys/fs/cgroup/cpu.stat"
)


def cpu_cores(settings: Settings, service: str, window: float = 1.0) -> float:
    """CPU the container's cgroup used over ``window`` seconds, in cores (what docker stats shows)."""
    first = int(exec_in(settings, service, ["sh", "-c", _CPU_USAGE]))
    time.sleep(window)
    return (int(exec_in(settings, service, ["sh", "-c", _CPU_USAGE])) - first) / 1e9 / window


def memory_share(settings: Settings, service: str) -> float:
    """The container's working set as a share of its memory limit."""
    from lab.faults.types.resources import _WORKING_SET

    limit = int(container_of(settings, service).attrs["HostConfig"]["Memory"])
    return int(exec_in(settings, service, ["sh", "-c", _WORKING_SET])) / limit


def cfs_quota_us(settings: Settings, service: str) -> int:
    script = "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d' ' -f1 /sys/fs/cgroup/cpu.max"
    return int(exec_in(settings, service, ["sh", "-c", script]))


def volume_use_percent(settings: Settings) -> int:
    out = exec_in(settings, "postgres", ["df", "--output=pcent", "/var/lib/postgresql/data"])
    return int(out.split()[-1].rstrip("%"))


def oom_killed(settings: Settings, service: str) -> bool:
    attrs = container_of(settings, service).attrs
    return bool(attrs["State"]["OOMKilled"]) and int(attrs["RestartCount"]) >= 1


def new_connection_refused(settings: Settings) -> bool:
    # psql itself needs no fork inside the container; the server's fork for the session fails.
    try:
        exec_in(settings, "postgres", ["psql", "-h", "/var/run/postgresql", "-U", "postgres", "-c", "SELECT 1"])
    except LabError as exc:
        return "could not fork" in str(exc)
    return False


CASES: dict[str, FaultCase] = {
    "cpu-hog": FaultCase(target="catalog", params={"workers": "1"}, effect=lambda s: cpu_cores(s, "catalog") > 0.3),
    "cpu-throttle": FaultCase(
        target="catalog", params={"cpus": "0.05"}, effect=lambda s: cfs_quota_us(s, "catalog") == 5000
    ),
    "memory-pressure": FaultCase(
        target="catalog", params={"percent": "90"}, effect=lambda s: memory_share(s, "catalog") > 0.8
    ),
    "memory-leak-oom": FaultCase(target="worker", params={"rate_mb_s": "64"}, effect=lambda s: oom_killed(s, "worker")),
    "disk-fill": FaultCase(target="postgres", params={"percent": "90"}, effect=lambda s: volume_use_percent(s) >= 90),
    "pid-exhaustion": FaultCase(target="postgres", effect=new_connection_refused),
}


def _needs_cap(name: str, target: str = "postgres") -> None:
    capped, why = capped_volume.support()
    if name == "disk-fill" and target == "postgres" and not capped:
        pytest.skip(f"this host cannot make a size-capped volume: {why}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_resource_fault(name: str, fleet: Platform, settings: Settings) -> None:
    _needs_cap(name)
    run_case(settings, fleet, name, CASES[name])


def test_resource_faults_are_gone_after_revert(fleet: Platform, settings: Settings) -> None:
    # The baseline, not just health: no fault process left, the quota and the volume back.
    assert cfs_quota_us(settings, "catalog") == 100_000
    assert volume_use_percent(settings) < 50 or not capped_volume.support()[0]
    assert cpu_cores(settings, "catalog", window=0.5) < 0.3
    ps = exec_in(settings, "postgres", ["ps", "-eo", "args"]) + exec_in(settings, "catalog", ["ps", "-eo", "args"])
    assert "stress-ng" not in ps and "sleep 21600" not in ps


@pytest.mark.parametrize(
    ("name", "target", "params", "message"),
    [
        ("disk-fill", "postgres", {"size": "10TB"}, "param 'size': 10TB is more than the volume's cap of 1024 MiB"),
        ("disk-fill", "catalog", {}, "catalog has no size-capped volume"),
        ("disk-fill", "postgres", {"percent": "100"}, "param 'percent'"),
        ("cpu-throttle", "catalog", {"cpus": "-1"}, "param 'cpus'"),
        ("cpu-hog", "catalog", {"workers": "many"}, "param 'workers'"),
        ("memory-leak-oom", "catalog", {"rate": "1"}, "param 'rate'"),
    ],
)
def test_bad_parameters_are_refused_and_inject_nothing(
    name: str, target: str, params: dict[str, str], message: str, fleet: Platform, settings: Settings
) -> None:
    _needs_cap(name, target)
    before = len(Ledger(settings.state_dir).records())
    with pytest.raises(LabError, match=message):
        plan(settings, name, target, params)
    assert len(Ledger(settings.state_dir).records()) == before


def test_sigkill_of_lab_mid_cpu_hog_still_ends_the_hog_by_its_deadline(fleet: Platform, settings: Settings) -> None:
    def hogs() -> int:
        return exec_in(settings, "inventory", ["ps", "-eo", "args"]).count("stress-ng")

    argv = [sys.executable, "-m", "lab", "fault", "inject", "cpu-hog", "-t", "inventory", "-d", "6s", "--wait"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: hogs() > 0, timeout=30, what="the hog to start")
    started = time.monotonic()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    wait_for(lambda: hogs() == 0, timeout=6 + 5, what="the hog gone by its deadline")
    assert time.monotonic() - started <= 6 + 5
