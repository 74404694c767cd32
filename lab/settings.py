"""Where the lab lives and how it is reached: one place, read from the environment.

Environment variables (all optional):
- ``LAB_PROJECT``: the Compose project name (default ``incident-lab``); lets two labs coexist.
- ``LAB_HOME``: the repository checkout holding ``services/``, ``compose/`` and friends.
- ``LAB_STATE_DIR``: where the lab keeps its state (default ``$XDG_STATE_HOME/incident-lab``);
  each project has its own folder inside, so two labs never share a lock or a fault ledger.
- ``LAB_CACHE_DIR``: build caches such as the wheelhouse (default ``$XDG_CACHE_HOME/incident-lab``).
- ``LAB_<NAME>_PORT``: the host port (on 127.0.0.1) for each published endpoint.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from lab.errors import LabError

#: Published endpoints and their default host ports. Everything binds to 127.0.0.1 only.
DEFAULT_PORTS: dict[str, int] = {
    "gateway": 8080,
    "prometheus": 9090,
    "alertmanager": 9093,
    "grafana": 3000,
    "locust": 8089,
    "pager": 9095,
}

HOST = "127.0.0.1"


def use_separate_lab(project: str, port_shift: int, *, override: bool = False) -> None:
    """Point this process at a lab of its own: ``project`` and every published port shifted by
    ``port_shift``. Values already in the environment win unless ``override`` (tests, benches)."""
    wanted = {"LAB_PROJECT": project} | {
        f"LAB_{name.upper()}_PORT": str(port + port_shift) for name, port in DEFAULT_PORTS.items()
    }
    for key, value in wanted.items():
        if override or key not in os.environ:
            os.environ[key] = value


def _repo_root() -> Path:
    env = os.environ.get("LAB_HOME")
    root = Path(env) if env else Path(__file__).resolve().parent.parent
    if not (root / "compose").is_dir() or not (root / "services").is_dir():
        raise LabError(f"{root} is not an Incident Lab checkout (no compose/ and services/): set LAB_HOME")
    return root


def _port(name: str, default: int) -> int:
    raw = os.environ.get(f"LAB_{name.upper()}_PORT")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise LabError(f"LAB_{name.upper()}_PORT={raw!r} is not a port number (1-65535)")
    return int(raw)


@dataclass(frozen=True)
class Settings:
    project: str
    root: Path
    state_dir: Path
    cache_dir: Path
    ports: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        xdg_state = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state"))
        xdg_cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        project = os.environ.get("LAB_PROJECT", "incident-lab")
        if not project.replace("-", "").replace("_", "").isalnum() or project != project.lower():
            raise LabError(f"LAB_PROJECT={project!r}: use lower-case letters, digits, - and _")
        return cls(
            project=project,
            root=_repo_root(),
            state_dir=Path(os.environ.get("LAB_STATE_DIR", xdg_state / "incident-lab")) / project,
            cache_dir=Path(os.environ.get("LAB_CACHE_DIR", xdg_cache / "incident-lab")),
            ports={name: _port(name, port) for name, port in DEFAULT_PORTS.items()},
        )

    def url(self, endpoint: str) -> str:
        return f"http://{HOST}:{self.ports[endpoint]}"
