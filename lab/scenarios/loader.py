"""Find, load and check scenario files. Every error names the file, the field and the problem."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import ValidationError

from lab.errors import LabError
from lab.faults import get_fault
from lab.faults.engine import parse_params
from lab.scenarios.model import Scenario

#: Scrapes the grader's SLIs come from (see lab.runs.sli): out of bounds for monitoring gaps.
GRADER_SOURCES = ("gateway", "worker", "prometheus")


class ScenarioError(LabError):
    """A scenario file is malformed; the message names file, field and problem."""


def scenario_files(root: Path) -> list[Path]:
    return sorted(root.glob("*/*/scenario.yaml"))


def _field(loc: Iterable[int | str]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def load(path: Path) -> Scenario:
    """Parse and validate one scenario file (its shape; see :func:`check_references`)."""
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}:" if mark else ""
        raise ScenarioError(f"{path}:{where} not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: expected a mapping of fields at the top level")
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ScenarioError(f"{path}: {_field(first['loc'])}: {first['msg']}{more}") from None
    folder = path.parent
    if folder.name != scenario.id or folder.parent.name != scenario.tier:
        raise ScenarioError(
            f"{path}: id/tier: the file must live at scenarios/{scenario.tier}/{scenario.id}/scenario.yaml"
        )
    if not (folder / "README.md").is_file():
        raise ScenarioError(f"{folder}: README.md (the expert walkthrough) is missing")
    return scenario


def check_references(path: Path, scenario: Scenario, services: list[str], slos: list[str] | None) -> None:
    """Check what the shape cannot: fault names and parameters, services, SLOs."""

    def fail(field: str, message: str) -> ScenarioError:
        return ScenarioError(f"{path}: {field}: {message}")

    for i, step in enumerate(scenario.timeline):
        fault = step.fault
        if fault is None:
            continue
        kind = "inject" if step.inject else "red_herring" if step.red_herring else "monitoring_gap"
        where = f"timeline.{i}.{kind}"
        try:
            cls = get_fault(fault.fault)
            parse_params(cls, {k: str(v) for k, v in fault.params.items()})
        except LabError as exc:
            raise fail(f"{where}.fault", str(exc)) from None
        if fault.target not in services:
            raise fail(f"{where}.target", f"unknown service {fault.target!r}; services: {', '.join(services)}")
        # The grader reads the SLIs through Prometheus' scrapes of these: no step may impair them.
        if fault.target == "prometheus" or (kind == "monitoring_gap" and fault.target in GRADER_SOURCES):
            raise fail(
                f"{where}.target",
                f"{fault.target} carries the grader's SLIs; monitoring gaps and faults may not target it",
            )
    for field, names in (("answer.component", [scenario.answer.component]),):
        for name in names:
            if name not in services:
                raise fail(field, f"unknown service {name!r}; services: {', '.join(services)}")
    for i, check in enumerate(scenario.recovery.checks):
        if check.service not in services:
            raise fail(f"recovery.checks.{i}.service", f"unknown service {check.service!r}")
    for r in scenario.randomise:
        for target in r.targets:
            if target not in services:
                raise fail("randomise.targets", f"unknown service {target!r}")
    if slos is not None:
        for field, used in (("slos", scenario.slos), ("recovery.slos", scenario.recovery.slos)):
            for name in used:
                if name not in slos:
                    raise fail(field, f"unknown SLO {name!r}; SLOs: {', '.join(slos)}")


def load_all(root: Path) -> dict[str, tuple[Path, Scenario]]:
    found: dict[str, tuple[Path, Scenario]] = {}
    for path in scenario_files(root):
        scenario = load(path)
        if scenario.id in found:
            raise ScenarioError(f"{path}: id: {scenario.id!r} is also used by {found[scenario.id][0]}")
        found[scenario.id] = (path, scenario)
    return found
