"""Fleet benchmarks: cold and warm `lab up`, steady memory of the fleet, image disk size.

Prints one JSON object. Runs its own lab (project ``incident-lab-bench``, ports 28xxx) so it
never disturbs a lab in use. ``--cold`` builds every image from nothing into its own image
namespace (``incident-lab-coldbench``) with an empty wheel cache, and deletes them afterwards,
so the images other labs use are left alone.

    python bench/fleet.py [--cold] [--settle 30]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

from lab.settings import use_separate_lab

use_separate_lab("incident-lab-bench", port_shift=20000)

from lab.docker import engine  # noqa: E402
from lab.images import image_specs  # noqa: E402
from lab.platforms import get_platform  # noqa: E402
from lab.settings import Settings  # noqa: E402

COLD_REPOSITORY = "incident-lab-coldbench"


def _timed_up(settings: Settings) -> float:
    platform = get_platform(settings)
    start = time.monotonic()
    platform.up(status=lambda _: None, timeout=1200)
    return round(time.monotonic() - start, 1)


def _memory_mib(settings: Settings) -> dict[str, float]:
    """Memory in use per container, as `docker stats` counts it (usage minus page cache)."""
    per_container: dict[str, float] = {}
    for state in get_platform(settings).containers():
        stats = engine().containers.get(state.name).stats(stream=False)["memory_stats"]
        cache = stats.get("stats", {}).get("cache", stats.get("stats", {}).get("inactive_file", 0))
        per_container[state.service] = round((stats["usage"] - cache) / 1024**2, 1)
    return per_container


def _image_disk_mib(settings: Settings) -> float:
    """Disk used by the lab's images, counting shared parent layers once."""
    specs = image_specs(settings.root)
    sizes = {name: engine().images.get(spec.ref).attrs["Size"] for name, spec in specs.items()}
    total = sizes["base"]
    for name, spec in specs.items():
        if spec.parent:
            total += sizes[name] - sizes[spec.parent]
    return round(total / 1024**2, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="delete the lab's images first")
    parser.add_argument("--settle", type=float, default=30, help="seconds at rest before measuring memory")
    args = parser.parse_args()
    if args.cold and os.environ.get("LAB_IMAGE_REPOSITORY") != COLD_REPOSITORY:
        # Re-run in a fresh process so the image namespace and caches apply from the start.
        env = {**os.environ, "LAB_IMAGE_REPOSITORY": COLD_REPOSITORY, "LAB_CACHE_DIR": tempfile.mkdtemp()}
        os.execvpe(sys.executable, [sys.executable, *sys.argv], env)

    settings = Settings.from_env()
    platform = get_platform(settings)
    result: dict[str, object] = {"project": settings.project}
    platform.down(volumes=True)
    if args.cold:
        _remove_cold_images(settings)
        result["cold_up_s"] = _timed_up(settings)
        platform.down(volumes=False)
    else:
        _timed_up(settings)  # make sure images and data exist
        platform.down(volumes=False)
    result["warm_up_s"] = _timed_up(settings)
    time.sleep(args.settle)
    per_container = _memory_mib(settings)
    result["fleet_memory_mib"] = round(sum(per_container.values()), 1)
    result["memory_by_service_mib"] = per_container
    result["image_disk_mib"] = _image_disk_mib(settings)
    platform.down(volumes=True)
    if args.cold:
        _remove_cold_images(settings)
    print(json.dumps(result, indent=2))


def _remove_cold_images(settings: Settings) -> None:
    for spec in reversed(image_specs(settings.root).values()):
        for image in engine().images.list(name=f"{COLD_REPOSITORY}/{spec.name}"):
            engine().images.remove(image.id, force=True)


if __name__ == "__main__":
    main()
