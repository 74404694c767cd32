"""Move the whole lab's images as one tarball, for workshops with bad Wi-Fi."""

from __future__ import annotations

from pathlib import Path

from lab.docker import run
from lab.errors import LabError
from lab.images.build import image_present, missing_images
from lab.images.specs import image_specs
from lab.settings import Settings


def save_images(settings: Settings, target: Path) -> list[str]:
    """Write every current lab image to ``target``; refuse when some are not built yet."""
    missing = missing_images(settings)
    if missing:
        names = ", ".join(spec.name for spec in missing)
        raise LabError(f"images not built yet ({names}): run `lab images build` first")
    refs = [spec.ref for spec in image_specs(settings.root).values()]
    target.parent.mkdir(parents=True, exist_ok=True)
    run(["docker", "save", "-o", str(target), *refs], timeout=1800)
    return refs


def load_images(settings: Settings, source: Path) -> list[str]:
    """Load a tarball made by ``save_images``; return the refs this checkout now has."""
    if not source.is_file():
        raise LabError(f"{source}: no such file")
    run(["docker", "load", "-i", str(source)], timeout=1800)
    specs = image_specs(settings.root).values()
    present = [spec.ref for spec in specs if image_present(spec.ref)]
    absent = [spec.name for spec in specs if not image_present(spec.ref)]
    if absent:
        raise LabError(
            f"{source} was saved from another version of the lab: still missing "
            f"{', '.join(absent)} (build them with `lab images build`)"
        )
    return present
