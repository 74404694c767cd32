"""Steady user traffic: the fleet's Locust, changed live through its web API on 127.0.0.1."""

from __future__ import annotations

import json
from dataclasses import dataclass

import requests
from pydantic import BaseModel, ValidationError

from lab.errors import LabError
from lab.settings import Settings

#: What `lab up` starts with (compose/lab.yaml: LAB_LOAD_USERS, LAB_LOAD_SPAWN_RATE).
DEFAULT_USERS = 10
DEFAULT_SPAWN_RATE = 5.0
MAX_USERS = 5000


class LoadError(LabError):
    """Locust did not answer or refused the change."""


class _Stats(BaseModel):
    state: str
    user_count: int
    total_rps: float
    fail_ratio: float


@dataclass(frozen=True)
class LoadState:
    state: str  # running, spawning, stopped, ready
    users: int
    rps: float
    fail_ratio: float


def _url(settings: Settings, path: str) -> str:
    return f"{settings.url('locust')}{path}"


def _target_file(settings: Settings) -> str:
    return str(settings.state_dir / "load.json")


def load_state(settings: Settings) -> LoadState:
    url = _url(settings, "/stats/requests")
    try:
        resp = requests.get(url, timeout=5)
        resp.raise_for_status()
        stats = _Stats.model_validate_json(resp.content)
    except requests.RequestException as exc:
        raise LoadError(f"Locust at {url} did not answer ({exc.__class__.__name__}): is the lab up?") from exc
    except ValidationError as exc:
        raise LoadError(f"Locust at {url} answered with an unexpected body") from exc
    return LoadState(stats.state, stats.user_count, stats.total_rps, stats.fail_ratio)


def set_load(settings: Settings, users: int, spawn_rate: float) -> None:
    """Run ``users`` simulated users, reached at ``spawn_rate`` users a second; remember it."""
    if not 0 <= users <= MAX_USERS:
        raise LoadError(f"--users {users}: choose 0 to {MAX_USERS}")
    if not 0 < spawn_rate <= 1000:
        raise LoadError(f"--spawn-rate {spawn_rate:g}: choose more than 0 and at most 1000")
    url = _url(settings, "/swarm")
    try:
        resp = requests.post(url, data={"user_count": users, "spawn_rate": spawn_rate}, timeout=10)
        resp.raise_for_status()
    except requests.RequestException as exc:
        raise LoadError(f"Locust at {url} refused the change ({exc.__class__.__name__}): is the lab up?") from exc
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    with open(_target_file(settings), "w") as f:
        json.dump({"users": users, "spawn_rate": spawn_rate}, f)


def last_target(settings: Settings) -> tuple[int, float]:
    """The users and spawn rate last set with `lab load`, or the defaults of `lab up`."""
    try:
        with open(_target_file(settings)) as f:
            raw = json.load(f)
        return int(raw["users"]), float(raw["spawn_rate"])
    except (OSError, ValueError, KeyError, TypeError):
        return DEFAULT_USERS, DEFAULT_SPAWN_RATE


def stop_load(settings: Settings) -> None:
    url = _url(settings, "/stop")
    try:
        requests.post(url, timeout=10).raise_for_status()
    except requests.RequestException as exc:
        raise LoadError(f"Locust at {url} did not stop ({exc.__class__.__name__}): is the lab up?") from exc
