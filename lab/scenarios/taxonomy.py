"""The fixed vocabularies scenarios and diagnoses use. One list each, so answers compare exactly."""

from __future__ import annotations

from typing import Literal

Tier = Literal["tier1-giants", "tier2-innovators", "tier3-specialists"]
Level = Literal["junior", "mid", "senior", "incident-commander"]
LEVELS: tuple[Level, ...] = ("junior", "mid", "senior", "incident-commander")

Pattern = Literal[
    "cascading-failure",
    "data-corruption",
    "performance-degradation",
    "security",
    "capacity-exhaustion",
]

#: Root-cause classes a trainee diagnoses with `lab diagnose --cause`. Fixed: scenarios and
#: trainees pick from this list, so a diagnosis is right or wrong without interpretation.
CAUSES: dict[str, str] = {
    "process-crash": "a process died or was killed",
    "crash-loop": "a service fails at start, again and again",
    "hang": "a process is frozen or deadlocked",
    "cpu-exhaustion": "CPU saturated or throttled",
    "memory-exhaustion": "memory pressure, a leak, an OOM kill",
    "disk-full": "a filesystem or volume ran out of space",
    "pid-exhaustion": "out of processes, threads or file descriptors",
    "network-partition": "two components cannot reach each other",
    "packet-loss": "packets dropped on a path",
    "network-latency": "a network path is slow or bandwidth-starved",
    "dns-failure": "a name does not resolve",
    "bad-config": "a configuration change the service accepted and misbehaves on",
    "bad-deploy": "a new version with a bug",
    "connection-exhaustion": "a connection pool or server connection limit is used up",
    "lock-contention": "transactions wait on locks",
    "missing-index": "a query lost the index it needs",
    "cache-loss": "a cache was emptied; the backing store takes the load",
    "cache-eviction": "a cache evicts under memory limits",
    "retry-storm": "clients retry without backoff and amplify load",
    "dependency-errors": "a dependency returns errors",
    "dependency-latency": "a dependency is slow",
    "clock-skew": "a clock is wrong",
    "data-corruption": "data was changed or deleted wrongly",
}
