"""What scenarios may refer to besides faults and services: the SLOs the lab declares."""

from __future__ import annotations

from pathlib import Path

from lab.slo import load_slos, slo_path


def known_slos(root: Path) -> list[str]:
    """SLO names from the lab's SLO file (prometheus/slos.yaml)."""
    return [slo.name for slo in load_slos(slo_path(root)).slos]
