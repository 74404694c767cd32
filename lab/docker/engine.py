"""The Docker engine API client, made once and checked to answer."""

from __future__ import annotations

import functools
from typing import Any

import docker
import docker.errors
import requests

from lab.errors import EngineUnavailable


@functools.cache
def engine() -> Any:
    """A docker SDK client for the engine, or :class:`EngineUnavailable` naming why not."""
    try:
        client = docker.from_env(timeout=60)
        client.ping()
    except (docker.errors.DockerException, requests.RequestException) as exc:
        raise EngineUnavailable(
            f"no Docker engine answers ({exc.__class__.__name__}): start Docker, or run "
            "scripts/ensure-docker.sh as root on Debian/Ubuntu"
        ) from exc
    return client


def ping() -> bool:
    """True when a Docker engine answers."""
    try:
        engine()
    except EngineUnavailable:
        return False
    return True
