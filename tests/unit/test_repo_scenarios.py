"""Every scenario shipped in the repository is valid against the lab it runs on."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.platforms.compose import compose_file_services
from lab.scenarios import check_references, load, scenario_files
from lab.scenarios.catalogue import known_slos
from lab.scenarios.taxonomy import CAUSES

ROOT = Path(__file__).resolve().parents[2]
FILES = scenario_files(ROOT / "scenarios")


@pytest.mark.parametrize("path", FILES, ids=[p.parent.name for p in FILES])
def test_shipped_scenario_is_valid(path: Path) -> None:
    services = list(compose_file_services(ROOT / "compose" / "lab.yaml"))
    check_references(path, load(path), services, known_slos(ROOT))


def test_the_first_twelve_cover_what_the_curriculum_promises() -> None:
    scenarios = [load(p) for p in FILES]
    assert len(scenarios) >= 12
    assert len({s.inspired_by.company + str(s.inspired_by.date) for s in scenarios}) == len(scenarios)
    assert len({s.answer.cause for s in scenarios}) == len(scenarios), "one fault class per scenario"
    assert all(s.answer.cause in CAUSES for s in scenarios)
    assert sum(any(st.red_herring for st in s.timeline) for s in scenarios) >= 3
    assert sum(sum(1 for st in s.timeline if st.inject) > 1 for s in scenarios) >= 2
    assert sum(any(st.monitoring_gap for st in s.timeline) for s in scenarios) >= 1
    levels = {level for s in scenarios for level in s.levels}
    assert levels == {"junior", "mid", "senior", "incident-commander"}
    assert {s.tier for s in scenarios} == {"tier1-giants", "tier2-innovators", "tier3-specialists"}
