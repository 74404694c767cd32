"""The services' runtime fault switches (``/admin/faults``), reached from inside the target.

Every Python service serves PUT/GET/DELETE /admin/faults on port 8000, on the lab's internal
backend network only; the lab never publishes that port. It runs curl (in every service image)
inside the target's own container, so the call stays on the container's loopback.
"""

from __future__ import annotations

import json
from typing import Any

from lab.docker import run
from lab.errors import LabError
from lab.faults.base import Target
from lab.faults.docker_ops import container
from lab.images import image_specs
from lab.settings import Settings

ADMIN_URL = "http://127.0.0.1:8000/admin/faults"
#: How long a switch call may take: a service whose event loop is stalled does not answer.
CALL_TIMEOUT_S = 3
#: A stalled process cannot run its SIGTERM handler either: it is killed after this long.
STALLED_STOP_S = 2


class SwitchUnreachable(LabError):
    """The service did not answer its admin endpoint (stalled, paused or not running)."""


def python_services(settings: Settings) -> list[str]:
    """The services built on the shared library, so with runtime fault switches."""
    return sorted(name for name, spec in image_specs(settings.root).items() if spec.parent == "python")


def require_switches(settings: Settings, fault: str, service: str, among: list[str] | None = None) -> None:
    """Refuse a target that has no such switch (Postgres, Redis, Prometheus...)."""
    allowed = among if among is not None else python_services(settings)
    if service not in allowed:
        raise LabError(f"fault {fault}: {service} has no such runtime switch; targets: {', '.join(allowed)}")


def _call(target: Target, method: str, path: str = "", body: Any = None) -> tuple[int, Any]:
    # The docker CLI, not the SDK's exec_run: under load the latter now and then returned an
    # empty output for a call that had run.
    argv = ["docker", "exec", target.container_id, "curl", "-sS", "-m", str(CALL_TIMEOUT_S), "-X", method]
    argv += ["-w", "\n%{http_code}", ADMIN_URL + path]
    if body is not None:
        argv += ["-H", "Content-Type: application/json", "--data-binary", json.dumps(body)]
    proc = run(argv, timeout=CALL_TIMEOUT_S + 10, check=False)
    if proc.returncode != 0:  # not running, paused, gone, or curl found no answer
        detail = proc.stderr.strip() or f"exit {proc.returncode}"
        raise SwitchUnreachable(f"{target.service}'s /admin/faults did not answer: {detail}")
    text, _, status = proc.stdout.rpartition("\n")
    if not status.isdigit():
        raise SwitchUnreachable(f"{target.service}'s /admin/faults gave no status: {proc.stdout[-200:]!r}")
    try:
        return int(status), json.loads(text) if text else None
    except ValueError:
        return int(status), text


def active_switches(target: Target) -> dict[str, Any]:
    status, body = _call(target, "GET")
    if status != 200 or not isinstance(body, dict):
        raise LabError(f"{target.service}: GET /admin/faults answered {status}: {body}")
    return body


def put_switch(target: Target, name: str, params: dict[str, Any]) -> None:
    status, body = _call(target, "PUT", body={name: params})
    if status != 200:
        detail = body.get("detail", body) if isinstance(body, dict) else body
        raise LabError(f"{target.service} refused the {name} switch: {detail}")


def clear_switch(target: Target, name: str) -> None:
    """Turn one switch off. A container that is gone or restarted has none left on.

    A service too stalled to answer (the backtracking regex of bad-config) is restarted: its
    switches live only in its memory, so a restart clears them for certain.
    """
    c = container(target)
    if c is None:
        return
    c.reload()
    if c.status in ("exited", "created", "dead"):
        return  # it starts with no switch on
    try:
        status, body = _call(target, "DELETE", f"/{name}")
    except SwitchUnreachable:
        if c.status == "paused":
            raise  # its memory still holds the switch; retried at the next `lab` start
        c.restart(timeout=STALLED_STOP_S)
        return
    if status != 200:
        raise LabError(f"{target.service}: DELETE /admin/faults/{name} answered {status}: {body}")
