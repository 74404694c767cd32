"""Grafana where it can run: its image present or pullable, and an admin password per lab.

Grafana is optional (behind the Compose profile ``grafana``): no Debian or PyPI package ships
it, so without a registry it cannot run, and the lab says so in one line instead of failing.
"""

from __future__ import annotations

import os
import secrets

from lab.docker import run
from lab.errors import CommandFailed, LabError
from lab.images.build import image_present
from lab.settings import Settings

DEFAULT_IMAGE = "grafana/grafana-oss:11.3.0"
PROFILE = "grafana"
USER = "admin"


def grafana_image() -> str:
    return os.environ.get("LAB_GRAFANA_IMAGE", DEFAULT_IMAGE)


def unavailable_reason(image: str) -> str | None:
    """None when ``image`` is here or can be pulled now; otherwise why not, in a few words."""
    if image_present(image):
        return None
    try:
        run(["docker", "pull", "--quiet", image], timeout=300)
    except CommandFailed as exc:
        detail = exc.stderr.strip().splitlines()[-1] if exc.stderr.strip() else f"exit {exc.returncode}"
        return f"{image} is not present and cannot be pulled ({detail[:160]})"
    except LabError as exc:
        return f"{image} could not be pulled ({exc})"
    return None


def admin_password(settings: Settings) -> str:
    """This lab's Grafana admin password: generated once, kept in its state folder (mode 600)."""
    path = settings.state_dir / "grafana-admin-password"
    if path.is_file():
        password = path.read_text().strip()
        if len(password) >= 16:
            return password
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(18)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(password + "\n")
    return password
