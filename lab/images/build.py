"""Build whatever images are missing, parents first, reusing every unchanged one."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import docker.errors

from lab import labels
from lab.docker import engine
from lab.images.base import build_base
from lab.images.log import BuildLog
from lab.images.specs import ImageSpec, image_specs, venv_image_names
from lab.images.wheelhouse import ensure_wheelhouse
from lab.settings import Settings


def image_present(ref: str) -> bool:
    try:
        engine().images.get(ref)
    except docker.errors.ImageNotFound:
        return False
    return True


def missing_images(settings: Settings) -> list[ImageSpec]:
    return [spec for spec in image_specs(settings.root).values() if not image_present(spec.ref)]


def build_images(
    settings: Settings,
    *,
    only: list[str] | None = None,
    force: bool = False,
    status: Callable[[str], None] = lambda _: None,
) -> list[ImageSpec]:
    """Build the missing images (or all of ``only``/all with ``force``); return those built."""
    specs = image_specs(settings.root)
    wanted = set(only or specs)
    log = BuildLog(settings.state_dir / "logs" / "images.log", status)
    built: list[ImageSpec] = []
    try:
        for spec in specs.values():
            if spec.name not in wanted and not _needed_by(spec, wanted, specs):
                continue
            if image_present(spec.ref) and not (force and spec.name in wanted):
                continue
            log.note(f"building {spec.ref}")
            _build(spec, specs, settings, log)
            built.append(spec)
    finally:
        log.close()
    return built


def _needed_by(spec: ImageSpec, wanted: set[str], specs: dict[str, ImageSpec]) -> bool:
    """True when a wanted image descends from ``spec`` and ``spec`` is not present yet."""
    for name in wanted:
        parent = specs[name].parent
        while parent is not None:
            if parent == spec.name:
                return not image_present(spec.ref)
            parent = specs[parent].parent
    return False


def _label_args(spec: ImageSpec) -> list[str]:
    return [
        "--label",
        f"{labels.MANAGED}=true",
        "--label",
        f"{labels.IMAGE}={spec.name}",
        "--label",
        f"{labels.INPUT_HASH}={spec.tag}",
    ]


def _build(spec: ImageSpec, specs: dict[str, ImageSpec], settings: Settings, log: BuildLog) -> None:
    root = settings.root
    if spec.name == "base":
        build_base(spec, root, log)
    elif spec.name == "python":
        requirements = root / "services" / "requirements.txt"
        _build_venv_image(spec, specs["base"], settings, log, root / "images" / "python", requirements)
    elif spec.name in venv_image_names(root):
        source = root / spec.name
        _build_venv_image(spec, specs["base"], settings, log, source, source / "requirements.txt")
    else:
        parent = specs[spec.parent or "base"]
        argv = ["docker", "build", "-q", "-f", str(root / "services" / spec.name / "Dockerfile")]
        argv += ["--build-arg", f"{parent.name.upper()}_IMAGE={parent.ref}", "-t", spec.ref]
        log.run([*argv, *_label_args(spec), str(root)], timeout=900)


def _build_venv_image(
    spec: ImageSpec, base: ImageSpec, settings: Settings, log: BuildLog, source: Path, requirements: Path
) -> None:
    """Base plus a venv: the context is ``source``'s files, the requirements and their wheelhouse."""
    wheels = ensure_wheelhouse(requirements, settings.cache_dir, log)
    with tempfile.TemporaryDirectory(prefix=f"lab-{spec.name}-") as tmp:
        context = Path(tmp) / "context"
        shutil.copytree(source, context, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(requirements, context / "requirements.txt")
        shutil.copytree(wheels, context / "wheelhouse")
        argv = ["docker", "build", "-q", "--build-arg", f"BASE_IMAGE={base.ref}", "-t", spec.ref]
        log.run([*argv, *_label_args(spec), str(context)], timeout=900)
