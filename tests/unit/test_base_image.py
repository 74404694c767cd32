from __future__ import annotations

from pathlib import Path

import pytest

from lab.images import base


def test_mirror_comes_from_deb822_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sources = tmp_path / "debian.sources"
    sources.write_text(
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main\n\nTypes: deb\nURIs: http://mirror.example/debian-security\n"
        "Suites: bookworm-security\n"
    )
    monkeypatch.delenv("LAB_DEBIAN_MIRROR", raising=False)
    monkeypatch.setattr(base, "Path", _only(sources))
    assert base.debian_mirror() == "http://mirror.example/debian"


def test_env_overrides_the_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAB_DEBIAN_MIRROR", "http://local/debian")
    assert base.debian_mirror() == "http://local/debian"


def _only(source: Path) -> type:
    """A Path stand-in whose /etc/apt files are just ``source``."""

    class FakePath(type(source)):  # type: ignore[misc]
        def __new__(cls, *args: object) -> Path:
            text = str(args[0]) if args else ""
            if text == "/etc/apt/sources.list":
                return Path(source.parent / "missing")
            if text == "/etc/apt/sources.list.d":
                return Path(source.parent)
            return Path(*args)  # type: ignore[arg-type]

    return FakePath
