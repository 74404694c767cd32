"""Fault types by name. Every module under ``lab/faults/types/`` registers its faults on import."""

from __future__ import annotations

import importlib
import pkgutil
from typing import TypeVar

from lab.errors import LabError
from lab.faults import types as fault_types
from lab.faults.base import Fault

F = TypeVar("F", bound=type[Fault])

_REGISTRY: dict[str, type[Fault]] = {}


def register(cls: F) -> F:
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise RuntimeError(f"fault name {cls.name!r} registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def fault_modules() -> list[str]:
    return [f"{fault_types.__name__}.{m.name}" for m in pkgutil.iter_modules(fault_types.__path__)]


def _load_all() -> None:
    for module in fault_modules():
        importlib.import_module(module)


def all_faults() -> dict[str, type[Fault]]:
    _load_all()
    return dict(sorted(_REGISTRY.items()))


def get_fault(name: str) -> type[Fault]:
    faults = all_faults()
    if name not in faults:
        raise LabError(f"unknown fault type {name!r}: see `lab fault list`")
    return faults[name]
