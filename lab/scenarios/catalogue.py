"""What scenarios may refer to besides faults and services: the SLOs the lab declares."""

from __future__ import annotations

from pathlib import Path

import yaml

SLO_FILE = Path("slo") / "slos.yaml"


def known_slos(root: Path) -> list[str] | None:
    """SLO names from the lab's SLO file, or None where the lab declares none yet."""
    path = root / SLO_FILE
    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text()) or {}
    return [str(slo["name"]) for slo in data.get("slos", [])]
