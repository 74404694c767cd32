"""Resolve a service name to its container, and refuse anything the lab did not label."""

from __future__ import annotations

from lab import labels
from lab.docker import engine
from lab.errors import LabError, UnknownService
from lab.faults.base import Target
from lab.platforms import get_platform
from lab.platforms.compose import PROJECT_LABEL
from lab.settings import Settings


def resolve_target(settings: Settings, service: str) -> Target:
    """The running, lab-labelled container of ``service`` in this lab's project."""
    known = get_platform(settings).services()
    if service not in known:
        raise UnknownService(f"unknown service {service!r}: faults act only on the lab's services ({', '.join(known)})")
    filters = {"label": [labels.MANAGED_FILTER, f"{PROJECT_LABEL}={settings.project}", f"{labels.SERVICE}={service}"]}
    found = engine().containers.list(all=True, filters=filters)
    if not found:
        raise LabError(f"service {service!r} has no container in {settings.project}: is the lab up?")
    container = found[0]
    # Belt and braces: the label filter already guarantees this.
    if container.labels.get(labels.MANAGED) != "true":
        raise LabError(f"container {container.name} is not labelled as the lab's: refusing to touch it")
    return Target(service=service, container_id=container.id, container_name=container.name)
