from __future__ import annotations

import pytest

from lab.errors import LabError
from lab.settings import DEFAULT_PORTS, Settings, use_separate_lab


def test_defaults_publish_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAB_GATEWAY_PORT", raising=False)
    settings = Settings.from_env()
    assert settings.url("gateway") == "http://127.0.0.1:8080"


@pytest.mark.parametrize("value", ["abc", "0", "70000", "-1", "80.5"])
def test_a_bad_port_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("LAB_GATEWAY_PORT", value)
    with pytest.raises(LabError, match="LAB_GATEWAY_PORT"):
        Settings.from_env()


def test_a_bad_project_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAB_PROJECT", "My Lab!")
    with pytest.raises(LabError, match="LAB_PROJECT"):
        Settings.from_env()


def test_lab_home_must_be_a_checkout(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("LAB_HOME", str(tmp_path))
    with pytest.raises(LabError, match="not an Incident Lab checkout"):
        Settings.from_env()


def test_a_separate_lab_shifts_every_port_and_respects_what_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in DEFAULT_PORTS:  # registered with monkeypatch, so restored after the test
        monkeypatch.delenv(f"LAB_{name.upper()}_PORT", raising=False)
    monkeypatch.delenv("LAB_PROJECT", raising=False)
    monkeypatch.setenv("LAB_GATEWAY_PORT", "41000")
    use_separate_lab("lab-bench", port_shift=20000)
    settings = Settings.from_env()
    assert settings.project == "lab-bench"
    assert settings.ports["prometheus"] == 29090
    assert settings.ports["gateway"] == 41000  # already set: kept
    use_separate_lab("lab-test", port_shift=10000, override=True)
    assert Settings.from_env().ports["gateway"] == 18080
