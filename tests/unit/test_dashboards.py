"""Dashboards are reviewed files generated from lab/dashboards.py; Grafana gets a real password."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import yaml

from lab.dashboards import DASHBOARDS, dashboards_dir, render
from lab.grafana import admin_password
from lab.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def test_committed_dashboards_are_generated_from_the_module() -> None:
    committed = {p.name for p in dashboards_dir(REPO).glob("*.json")}
    assert committed == {f"{d.uid}.json" for d in DASHBOARDS}
    for dashboard in DASHBOARDS:
        path = dashboards_dir(REPO) / f"{dashboard.uid}.json"
        assert path.read_text() == render(dashboard), "run `python -m lab.dashboards` and commit the result"


def test_the_issue_s_dashboards_exist_and_every_panel_has_a_query() -> None:
    titles = " ".join(d.title.lower() for d in DASHBOARDS)
    for topic in ("slo", "rate, errors, duration", "postgres", "redis", "worker", "containers"):
        assert topic in titles
    for dashboard in DASHBOARDS:
        doc = json.loads(render(dashboard))
        for panel in doc["panels"]:
            assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), panel["title"]
            assert panel["datasource"]["uid"] == "prometheus"


def test_the_provisioned_datasource_is_the_one_the_panels_name() -> None:
    raw = yaml.safe_load((REPO / "grafana/provisioning/datasources/prometheus.yml").read_text())
    assert [d["uid"] for d in raw["datasources"]] == ["prometheus"]


def test_the_grafana_password_is_generated_kept_private_and_never_the_default(tmp_path: Path) -> None:
    settings = Settings(project="p", root=REPO, state_dir=tmp_path / "p", cache_dir=tmp_path / "c")
    first = admin_password(settings)
    assert first != "admin" and len(first) >= 16
    assert admin_password(settings) == first  # stable for the lab
    mode = (tmp_path / "p" / "grafana-admin-password").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    other = Settings(project="q", root=REPO, state_dir=tmp_path / "q", cache_dir=tmp_path / "c")
    assert admin_password(other) != first  # per lab
