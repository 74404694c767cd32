"""The application and redeploy faults' own logic: parameters, config values, the release
patch a bad deploy ships, and the Compose override a recreate writes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from lab.errors import LabError
from lab.faults import get_fault
from lab.faults.base import FaultContext, Target
from lab.faults.engine import parse_params
from lab.faults.types.deploy import RELEASE_PATCH
from lab.platforms import compose
from lab.settings import Settings


@pytest.mark.parametrize(
    ("fault", "raw", "needle"),
    [
        ("error-rate", {"rate": "1.5"}, r"param 'rate'"),
        ("error-rate", {"rate": "0"}, r"param 'rate'"),
        ("error-rate", {"status": "200"}, r"param 'status'"),
        ("error-rate", {"route": "products"}, r"param 'route'"),
        ("slow-path", {"ms": "-1"}, r"param 'ms'"),
        ("slow-path", {"ms": "soon"}, r"param 'ms'"),
        ("app-memory-leak", {"max_mb": "10000000"}, r"param 'max_mb'"),
        ("retry-storm", {"retries": "1000"}, r"param 'retries'"),
        ("bad-deploy", {"route": "no slash"}, r"param 'route'"),
        ("crash-loop", {"setting": "no-equals"}, r"param 'setting'"),
        ("bad-config", {"regex": "x"}, r"param 'regex'"),
    ],
)
def test_bad_params_name_the_parameter(fault: str, raw: dict[str, str], needle: str) -> None:
    with pytest.raises(LabError, match=rf"fault {fault}: {needle}"):
        parse_params(get_fault(fault), raw)


def _fault(name: str, service: str, raw: dict[str, str]) -> Any:
    cls = get_fault(name)
    ctx = FaultContext(settings=Settings.from_env(), fault_id=f"{name}-test", base_image="unused")
    return cls(ctx, Target(service, "cid", f"lab-{service}-1"), parse_params(cls, raw), {})


def test_bad_config_pushes_each_services_classic_value() -> None:
    assert _fault("bad-config", "catalog", {}).switch_params() == {"page_size": 5000}
    assert "request_filter" in _fault("bad-config", "gateway", {}).switch_params()
    assert _fault("bad-config", "catalog", {"value": "100000"}).switch_params() == {"page_size": 100000}


@pytest.mark.parametrize(
    ("service", "value", "needle"),
    [("catalog", "many", "positive integer"), ("catalog", "0", "positive integer"), ("gateway", "(", "valid regex")],
)
def test_bad_config_refuses_values_the_service_could_not_take(service: str, value: str, needle: str) -> None:
    with pytest.raises(LabError, match=rf"param 'value': {service}'s .*{needle}"):
        _fault("bad-config", service, {"value": value}).switch_params()


def test_switch_params_are_what_the_service_api_takes() -> None:
    raw = {"route": "/products/{id}", "rate": "0.25", "status": "503"}
    expected = {"route": "/products/{id}", "rate": 0.25, "status": 503}
    assert _fault("error-rate", "catalog", raw).switch_params() == expected
    assert _fault("slow-path", "catalog", {"ms": "200"}).switch_params() == {"route": "*", "ms": 200}


def test_release_patch_breaks_only_the_named_route(tmp_path: Path) -> None:
    """The bad image's sitecustomize, loaded the way Python loads it (from PYTHONPATH)."""
    (tmp_path / "sitecustomize.py").write_text(RELEASE_PATCH.format(version="t-2", route="/orders/checkout"))
    probe = textwrap.dedent(
        """
        import asyncio
        from aiohttp import web
        from aiohttp.test_utils import make_mocked_request

        async def ok(request):
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_post("/orders/checkout", ok)
        app.router.add_get("/orders/{id}", ok)
        app.router.add_get("/readyz", ok)
        handlers = {r.resource.canonical: r.handler for r in app.router.routes()}

        async def call(path):
            try:
                return (await handlers[path](make_mocked_request("GET", path))).text
            except KeyError as exc:
                return f"KeyError {exc}"

        for path in ("/orders/checkout", "/orders/{id}", "/readyz"):
            print(path, asyncio.run(call(path)))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], env={"PYTHONPATH": str(tmp_path)}, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["/orders/checkout KeyError 'X-Price-Currency'", "/orders/{id} ok", "/readyz ok"]


def test_recreate_writes_an_override_for_one_service_and_removes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(compose, "run", lambda argv, **_: calls.append(list(argv)))
    monkeypatch.setattr(compose, "compose_binary", lambda: "docker-compose")
    settings = Settings(project="lab-unit", root=Settings.from_env().root, state_dir=tmp_path, cache_dir=tmp_path)
    platform = compose.ComposePlatform(settings)
    override = tmp_path / "compose" / "payments.override.yaml"

    platform.recreate("payments", env={"LOG_LEVEL": "TRACE"}, image="incident-lab/payments:x-bad")
    spec = yaml.safe_load(override.read_text())
    expected = {"image": "incident-lab/payments:x-bad", "environment": {"LOG_LEVEL": "TRACE"}}
    assert spec == {"services": {"payments": expected}}
    assert calls[-1][-6:] == ["up", "-d", "--no-deps", "--quiet-pull", "--force-recreate", "payments"]
    assert str(override) in calls[-1]

    platform.recreate("payments")
    assert not override.exists()
    assert str(override) not in calls[-1]
    assert "--force-recreate" not in calls[-1]  # back to the definition: Compose recreates what differs
    with pytest.raises(LabError, match="unknown service"):
        platform.recreate("mainframe")
