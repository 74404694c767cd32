"""Faults that redeploy a service: a new image version with a bug, and a crash loop.

Both recreate the service's container through the platform (Compose, with an override for
just that service), so its labels, networks, limits and restart policy are the fleet's own.
The container's id changes on recreate: revert acts on the service, found again by its labels,
and recreates it as the Compose file defines it only while the fault is still in place.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lab import labels
from lab.docker import engine, run
from lab.errors import LabError
from lab.faults.admin_api import require_switches
from lab.faults.base import Fault
from lab.faults.registry import register
from lab.images import image_specs
from lab.images.build import image_present
from lab.platforms import get_platform
from lab.platforms.compose import PROJECT_LABEL

# The bug the new version ships: handlers of the route now read a header no caller sends.
# Loaded at interpreter start (sitecustomize on PYTHONPATH), so it is in the code, not a switch.
RELEASE_PATCH = '''\
"""Release {version}: handlers require the X-Price-Currency header (new pricing API)."""
import functools

from aiohttp import web_urldispatcher

_ROUTE = {route!r}
_INFRA = ("/healthz", "/readyz", "/metrics", "/admin/")
_add_route = web_urldispatcher.Resource.add_route


def _add_route_with_currency(self, method, handler, **kwargs):
    if _ROUTE in ("*", self.canonical) and not self.canonical.startswith(_INFRA):
        inner = handler

        @functools.wraps(inner)
        async def handler(request):
            request["currency"] = request.headers["X-Price-Currency"]
            return await inner(request)

    return _add_route(self, method, handler, **kwargs)


web_urldispatcher.Resource.add_route = _add_route_with_currency
'''


def _service_container(fault: Fault) -> Any | None:
    """The service's current container (its id changes on recreate), or None when gone."""
    filters = {
        "label": [
            labels.MANAGED_FILTER,
            f"{PROJECT_LABEL}={fault.ctx.settings.project}",
            f"{labels.SERVICE}={fault.target.service}",
        ]
    }
    found = engine().containers.list(all=True, filters=filters)
    return found[0] if found else None


class BadDeployParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    route: str = Field(
        "*",
        pattern=r"^(\*|/\S{0,200})$",
        description="the route template the bug breaks, e.g. /orders/checkout; * for every route",
    )


@register
class BadDeploy(Fault):
    name = "bad-deploy"
    family = "application"
    summary = "Deploy a new image version of the service with a bug in a route; revert rolls back."
    effect = "docker inspect shows a new image (tag ...-bad-...); the route answers 500 with a KeyError in the logs"
    Params = BadDeployParams

    def prepare(self) -> None:
        assert isinstance(self.params, BadDeployParams)
        settings, service, route = self.ctx.settings, self.target.service, self.params.route
        require_switches(settings, self.name, service)  # the bug is in the shared Python library
        if route != "*" and not _route_in_sources(settings.root / "services" / service, route):
            raise LabError(f"fault bad-deploy: param 'route': {route!r} is not a route of {service}")
        good = image_specs(settings.root)[service]
        patch = RELEASE_PATCH.format(version=f"{good.tag}-2", route=route)
        digest = hashlib.sha256(patch.encode()).hexdigest()[:6]
        self.state.update(good=good.ref, bad=f"{good.ref}-bad-{digest}", patch=patch)

    def describe(self) -> str:
        assert isinstance(self.params, BadDeployParams)
        bad = self.state.get("bad", "a new image")
        return f"deploy {bad} to {self.target.service} ({self.params.route} fails), roll back on revert"

    def inject(self) -> None:
        if not image_present(self.state["good"]):
            raise LabError(f"image {self.state['good']} is missing: run `lab images build`")
        if not image_present(self.state["bad"]):
            self._build_bad_image()
        get_platform(self.ctx.settings).recreate(self.target.service, image=self.state["bad"])

    def _build_bad_image(self) -> None:
        with tempfile.TemporaryDirectory(prefix="lab-bad-deploy-") as tmp:
            context = Path(tmp)
            (context / "sitecustomize.py").write_text(self.state["patch"])
            (context / "Dockerfile").write_text(
                f"FROM {self.state['good']}\nCOPY sitecustomize.py /app/services/common/sitecustomize.py\n"
            )
            argv = ["docker", "build", "-q", "-t", self.state["bad"], "--label", f"{labels.MANAGED}=true"]
            argv += ["--label", f"{labels.IMAGE}={self.target.service}", str(context)]
            run(argv, timeout=300)

    def revert(self) -> None:
        c = _service_container(self)
        if c is not None and c.attrs["Config"]["Image"] == self.state["bad"]:
            get_platform(self.ctx.settings).recreate(self.target.service)


def _route_in_sources(folder: Path, route: str) -> bool:
    """Whether a service's own files declare the route (its app or, for the gateway, routes.yaml)."""
    return any(route in p.read_text() for p in folder.glob("*") if p.suffix in (".py", ".yaml"))


class CrashLoopParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    setting: str = Field(
        "LOG_LEVEL=TRACE",
        pattern=r"^[A-Z][A-Z0-9_]{0,63}=.{0,200}$",
        description="the environment setting (KEY=VALUE) the service refuses at start",
    )


@register
class CrashLoop(Fault):
    name = "crash-loop"
    family = "process"
    summary = "Redeploy the service with a setting it refuses at start: it exits, restarts, exits..."
    effect = "the container keeps exiting (bad_config in its logs); Docker's restart count grows; callers fail"
    Params = CrashLoopParams

    def prepare(self) -> None:
        assert isinstance(self.params, CrashLoopParams)
        require_switches(self.ctx.settings, self.name, self.target.service)  # they all validate config
        key, _, value = self.params.setting.partition("=")
        self.state.update(key=key, value=value)

    def describe(self) -> str:
        assert isinstance(self.params, CrashLoopParams)
        return f"redeploy {self.target.service} with {self.params.setting} so it exits at every start"

    def inject(self) -> None:
        get_platform(self.ctx.settings).recreate(self.target.service, env={self.state["key"]: self.state["value"]})

    def revert(self) -> None:
        c = _service_container(self)
        setting = f"{self.state['key']}={self.state['value']}"
        if c is not None and setting in (c.attrs["Config"]["Env"] or []):
            get_platform(self.ctx.settings).recreate(self.target.service)
