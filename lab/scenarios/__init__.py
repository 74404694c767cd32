"""Scenarios: incidents modelled on public outages, as validated data."""

from lab.scenarios.loader import ScenarioError, check_references, load, load_all, scenario_files
from lab.scenarios.model import Scenario

__all__ = ["Scenario", "ScenarioError", "check_references", "load", "load_all", "scenario_files"]
