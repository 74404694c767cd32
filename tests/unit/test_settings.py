from __future__ import annotations

import pytest

from lab.errors import LabError
from lab.settings import Settings


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
