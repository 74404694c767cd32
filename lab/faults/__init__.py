"""The fault library: real faults, registered by name, always reverted."""

from lab.faults.base import Fault, FaultContext, NoParams, Target
from lab.faults.engine import active, inject, plan, revert, revert_all, revert_stale
from lab.faults.ledger import FaultRecord, Ledger
from lab.faults.registry import all_faults, get_fault, register

__all__ = [
    "Fault",
    "FaultContext",
    "FaultRecord",
    "Ledger",
    "NoParams",
    "Target",
    "active",
    "all_faults",
    "get_fault",
    "inject",
    "plan",
    "register",
    "revert",
    "revert_all",
    "revert_stale",
]
