"""What the lab's images are made of, and the content hash that names each one.

An image's tag is a hash of everything that goes into it (its recipe files and its parent's tag),
so unchanged inputs rebuild nothing and a changed input rebuilds exactly what depends on it.

The set of images is derived from the tree, not kept by hand: ``base`` (Debian with every
package the fleet needs), ``python`` (base plus a venv from the wheelhouse), one image per
``services/<name>/Dockerfile``, and one per top-level folder holding both a ``Dockerfile`` and
its own ``requirements.txt`` (base plus a venv of just those: ``load/``, Locust).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path


def repository() -> str:
    """The image namespace; LAB_IMAGE_REPOSITORY sets another (a cold benchmark uses its own)."""
    return os.environ.get("LAB_IMAGE_REPOSITORY", "incident-lab")


_SKIP_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache"}


@dataclass(frozen=True)
class ImageSpec:
    """One image: its name, its parent, and the files whose content defines it."""

    name: str
    parent: str | None
    inputs: tuple[Path, ...]
    tag: str

    @property
    def ref(self) -> str:
        return f"{repository()}/{self.name}:{self.tag}"


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and not _SKIP_PARTS.intersection(p.parts))


def content_hash(root: Path, inputs: tuple[Path, ...], parent_tag: str | None) -> str:
    """A short hash over each input file's path (relative to root) and bytes, plus the parent."""
    digest = hashlib.sha256((parent_tag or "").encode())
    for path in inputs:
        for file in _files(path):
            digest.update(str(file.relative_to(root)).encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def service_names(root: Path) -> list[str]:
    """Every service that has an image recipe, in a stable order."""
    return sorted(p.parent.name for p in (root / "services").glob("*/Dockerfile"))


def venv_image_names(root: Path) -> list[str]:
    """Top-level folders that are the base plus their own venv (a Dockerfile and requirements.txt)."""
    return sorted(
        p.parent.name
        for p in root.glob("*/requirements.txt")
        if (p.parent / "Dockerfile").is_file() and p.parent.name not in ("services", "images")
    )


def _parent_of(dockerfile: Path) -> str:
    # A service image names its parent by the build argument it takes.
    return "python" if "ARG PYTHON_IMAGE" in dockerfile.read_text() else "base"


def image_specs(root: Path) -> dict[str, ImageSpec]:
    """All images in build order (parents before children)."""
    specs: dict[str, ImageSpec] = {}

    def add(name: str, parent: str | None, inputs: tuple[Path, ...]) -> None:
        parent_tag = specs[parent].tag if parent else None
        specs[name] = ImageSpec(name, parent, inputs, content_hash(root, inputs, parent_tag))

    add("base", None, (root / "images" / "base",))
    add("python", "base", (root / "images" / "python", root / "services" / "requirements.txt"))
    for name in service_names(root):
        dockerfile = root / "services" / name / "Dockerfile"
        parent = _parent_of(dockerfile)
        inputs: tuple[Path, ...] = (root / "services" / name,)
        if parent == "python":
            inputs = (root / "services" / "common", *inputs)
        add(name, parent, inputs)
    for name in venv_image_names(root):
        add(name, "base", (root / name,))
    return specs
