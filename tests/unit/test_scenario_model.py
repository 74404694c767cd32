"""Scenario files: a good one loads; malformed ones are rejected naming file, field and problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lab.scenarios import ScenarioError, check_references, load

SERVICES = ["gateway", "catalog", "orders", "inventory", "payments", "payment-provider", "worker", "postgres", "redis"]
SLOS = ["availability", "checkout-latency", "browse-latency", "worker-freshness"]


def good() -> dict[str, Any]:
    return {
        "id": "payments-down",
        "title": "Checkout fails at the payment step",
        "inspired_by": {
            "company": "Example", "date": "2021-06-08", "summary": "A dependency went away.",
            "source": "https://example.com/postmortem",
        },
        "tier": "tier2-innovators",
        "levels": ["junior"],
        "difficulty": 1,
        "patterns": ["cascading-failure"],
        "briefing": "PAGE: checkout availability is burning its error budget fast.",
        "slos": ["availability"],
        "timeline": [
            {"id": "outage", "at": "10s", "inject": {"fault": "stop", "target": "payments", "duration": "10m"}},
            {"id": "noise", "at": 0, "red_herring": {"fault": "kill", "target": "worker", "params": {"restart": True}}},
            {"id": "support", "at": "2m", "escalation": "Support: customers cannot pay"},
        ],
        "answer": {"component": "payments", "cause": "process-crash", "contributing": ["dependency-errors"]},
        "recovery": {"slos": ["availability"], "hold": "60s"},
        "solution": [{"describe": "start payments again", "revert": "outage"}],
        "hints": [{"text": "Which service does checkout call last?", "penalty": 5}],
        "messages": [{"at": "3m", "from": "VP Engineering", "text": "Are customers affected?"}],
    }  # fmt: skip


def write(tmp_path: Path, data: dict[str, Any], *, readme: bool = True) -> Path:
    folder = tmp_path / "scenarios" / str(data.get("tier", "tier2-innovators")) / str(data.get("id", "x"))
    folder.mkdir(parents=True)
    (folder / "scenario.yaml").write_text(yaml.safe_dump(data))
    if readme:
        (folder / "README.md").write_text("# walkthrough\n")
    return folder / "scenario.yaml"


def test_a_good_scenario_loads_and_its_references_check(tmp_path: Path) -> None:
    path = write(tmp_path, good())
    scenario = load(path)
    assert scenario.timeline[0].at == 10 and scenario.timeline[0].inject is not None
    assert scenario.timeline[0].inject.duration == 600
    assert scenario.messages[0].sender == "VP Engineering"
    check_references(path, scenario, SERVICES, SLOS)


def _broken(**changes: Any) -> dict[str, Any]:
    data = good()
    for dotted, value in changes.items():
        node: Any = data
        *parents, last = dotted.split("__")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is ...:
            del node[last]
        else:
            node[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("changes", "field", "needle"),
    [
        ({"title": ...}, "title", "Field required"),
        ({"tier": "tier9"}, "tier", "Input should be"),
        ({"difficulty": 9}, "difficulty", "less than or equal to 5"),
        ({"levels": ["wizard"]}, "levels.0", "Input should be"),
        ({"timeline__0__at": "soon"}, "timeline.0.at", "duration"),
        ({"timeline__0__inject__duration": "-1m"}, "timeline.0.inject.duration", "positive"),
        ({"answer__cause": "gremlins"}, "answer.cause", "unknown cause 'gremlins'"),
        ({"surprise": 1}, "surprise", "Extra inputs are not permitted"),
        ({"solution__0__revert": "nope"}, "(top level)", "unknown step 'nope'"),
        ({"inspired_by__source": "not a url"}, "inspired_by.source", "URL"),
    ],
)
def test_malformed_files_name_the_field(tmp_path: Path, changes: dict[str, Any], field: str, needle: str) -> None:
    path = write(tmp_path, _broken(**changes))
    with pytest.raises(ScenarioError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {field}: ")
    assert needle in message


def test_a_step_needs_exactly_one_kind(tmp_path: Path) -> None:
    data = good()
    data["timeline"][2]["inject"] = {"fault": "stop", "target": "orders"}
    with pytest.raises(ScenarioError, match=r"timeline\.2: .*exactly one of"):
        load(write(tmp_path, data))


def test_the_briefing_must_not_give_away_the_cause(tmp_path: Path) -> None:
    data = good()
    data["briefing"] = "PAGE: a process-crash in payments broke checkout for everyone."
    with pytest.raises(ScenarioError, match="gives away the cause"):
        load(write(tmp_path, data))


def test_folder_must_match_id_and_tier_and_have_a_walkthrough(tmp_path: Path) -> None:
    data = good()
    path = write(tmp_path, {**data, "tier": "tier1-giants"} | {"tier": "tier2-innovators"}, readme=False)
    with pytest.raises(ScenarioError, match=r"README\.md"):
        load(path)


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, good())
    path.write_text("id: x\ntitle: [unclosed\n")
    with pytest.raises(ScenarioError, match=r"line \d+: not valid YAML"):
        load(path)


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"timeline__0__inject__fault": "meteor"}, "timeline.0.inject.fault: unknown fault type 'meteor'"),
        ({"timeline__0__inject__target": "mainframe"}, "timeline.0.inject.target: unknown service 'mainframe'"),
        ({"timeline__1__red_herring__params": {"signal": "SIGNOPE"}}, "timeline.1.red_herring.fault: fault kill"),
        ({"answer__component": "dns"}, "answer.component: unknown service 'dns'"),
        ({"slos": ["uptime"]}, "slos: unknown SLO 'uptime'"),
    ],
)
def test_references_are_checked_against_the_lab(tmp_path: Path, changes: dict[str, Any], needle: str) -> None:
    path = write(tmp_path, _broken(**changes))
    with pytest.raises(ScenarioError) as info:
        check_references(path, load(path), SERVICES, SLOS)
    assert needle in str(info.value)


def test_no_step_may_blind_the_grader(tmp_path: Path) -> None:
    data = good()
    data["timeline"].append({"id": "gap", "at": 0, "monitoring_gap": {"fault": "stop", "target": "gateway"}})
    path = write(tmp_path, data)
    with pytest.raises(ScenarioError, match=r"timeline\.3\.monitoring_gap\.target: gateway carries the grader"):
        check_references(path, load(path), [*SERVICES, "prometheus"], SLOS)
