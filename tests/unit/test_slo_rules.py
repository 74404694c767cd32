"""The SLO file is the one source: the committed rules match it, and every rule is tested."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from lab.slo import SloFileError, load_slos, render_rules, slo_path
from lab.slo.__main__ import rules_path
from lab.slo.model import format_duration, parse_duration

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS = REPO / "prometheus"


def _rules(path: Path) -> list[dict[str, Any]]:
    return [rule for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"]]


def _tests_text() -> str:
    return "\n".join(p.read_text() for p in sorted((PROMETHEUS / "tests").glob("*.yml")))


def test_committed_rules_are_generated_from_the_slo_file() -> None:
    expected = render_rules(load_slos(slo_path(REPO)))
    assert rules_path(REPO).read_text() == expected, "run `python -m lab.slo` and commit the result"


def test_every_recording_rule_and_alert_has_a_promtool_test() -> None:
    tests = _tests_text()
    for path in sorted((PROMETHEUS / "rules").glob("*.yml")):
        for rule in _rules(path):
            if "record" in rule:
                slo = rule.get("labels", {}).get("slo", "")
                # Tests name a rule either exactly or in a __name__ regex; either way with its SLO.
                stem = rule["record"].rsplit(":", 1)[0]
                assert stem in tests and f'slo="{slo}"' in tests, f"{path.name}: {rule['record']} {slo} untested"
            else:
                assert f"alertname: {rule['alert']}" in tests, f"{path.name}: alert {rule['alert']} untested"


def test_every_slo_and_burn_pair_is_exercised_by_promtool() -> None:
    tests = _tests_text()
    slos = load_slos(slo_path(REPO))
    for slo in slos.slos:
        assert f"slo: {slo.name}, long_window" in tests, f"no alert test for SLO {slo.name}"
    for alert in slos.burn_alerts:
        long, short = (format_duration(slos.scaled(d)) for d in (alert.long, alert.short))
        pair = f"long_window: {long}, short_window: {short}"
        assert pair in tests, f"no test fires the {alert.long}/{alert.short} pair"


def test_windows_are_scaled_by_the_lab_hour_and_never_below_the_floor() -> None:
    slos = load_slos(slo_path(REPO))
    hour = parse_duration(slos.lab_hour)
    assert slos.scaled("1h") == max(hour, parse_duration(slos.min_window))
    assert slos.scaled("6h") == 6 * hour
    assert slos.scaled("1s") == parse_duration(slos.min_window)
    assert slos.period_seconds == 30 * 24 * hour


def test_the_window_floor_holds_at_least_four_scrapes() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    scrape = parse_duration(config["global"]["scrape_interval"])
    assert parse_duration(load_slos(slo_path(REPO)).min_window) >= 4 * scrape


def test_latency_thresholds_are_histogram_buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(REPO / "services" / "common"))
    from labsvc.metrics import LATENCY_BUCKETS

    for slo in load_slos(slo_path(REPO)).slos:
        threshold = getattr(slo.sli, "threshold_s", None)
        if threshold is not None:
            assert threshold in LATENCY_BUCKETS, f"{slo.name}: {threshold}s is not a bucket bound"


def test_latency_slos_name_routes_the_gateway_serves() -> None:
    routes = yaml.safe_load((REPO / "services" / "gateway" / "routes.yaml").read_text())["routes"]
    served = {(r["method"], r["path"]) for r in routes}
    for slo in load_slos(slo_path(REPO)).slos:
        for route in getattr(slo.sli, "routes", []):
            assert (slo.sli.method, route) in served, f"{slo.name}: {slo.sli.method} {route} is not a gateway route"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda raw: raw["slos"][0].update(objective=1.5), "slos.0.objective"),
        (lambda raw: raw["slos"][1]["sli"].update(kind="nonesuch"), "slos.1.sli"),
        (lambda raw: raw.update(lab_hour="soon"), "lab_hour"),
        (lambda raw: raw["slos"].append(dict(raw["slos"][0])), "unique"),
        (lambda raw: raw["burn_alerts"][0].update(long="1m"), "long window"),
    ],
)
def test_a_bad_slo_file_is_one_line_naming_the_field(tmp_path: Path, edit: Any, needle: str) -> None:
    raw = yaml.safe_load(slo_path(REPO).read_text())
    edit(raw)
    bad = tmp_path / "slos.yaml"
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(SloFileError) as caught:
        load_slos(bad)
    message = str(caught.value)
    assert str(bad) in message and needle in message
    assert "\n" not in message


def test_routes_become_an_anchored_literal_regex() -> None:
    text = rules_path(REPO).read_text()
    assert re.search(r"route=~`/api/products\|/api/products/search\|/api/products/\\\{id\\\}`", text)
