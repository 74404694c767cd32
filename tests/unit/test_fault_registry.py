"""Every fault module is registered, documented and proven by a real-container case."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

from lab.faults import all_faults
from lab.faults.registry import fault_modules

FAMILIES = {"process", "resources", "network", "data", "application", "time"}
CASES_PACKAGE = Path(__file__).resolve().parents[1] / "integration" / "faults"


def test_every_fault_module_registers_at_least_one_fault() -> None:
    registered_modules = {cls.__module__ for cls in all_faults().values()}
    assert set(fault_modules()) == registered_modules


@pytest.mark.parametrize("name", sorted(all_faults()))
def test_every_fault_is_documented(name: str) -> None:
    fault = all_faults()[name]
    assert fault.family in FAMILIES
    assert fault.summary.strip() and fault.effect.strip()
    for field, info in fault.Params.model_fields.items():
        assert info.is_required() or info.default is not None or info.description, f"{name}.{field}"


def test_every_fault_has_a_real_container_case() -> None:
    cases: dict[str, object] = {}
    for module in pkgutil.iter_modules([str(CASES_PACKAGE)]):
        if module.name.startswith("test_"):
            loaded = importlib.import_module(f"tests.integration.faults.{module.name}")
            cases |= getattr(loaded, "CASES", {})
    missing = sorted(set(all_faults()) - set(cases))
    assert not missing, f"faults without a real-container case: {missing}"
