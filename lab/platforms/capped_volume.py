"""Postgres's data on a volume with a hard size cap, so a disk-fill fault never fills the host.

Where the host allows it (Linux, root, a local engine, ``mkfs.ext4`` and ``losetup``), `lab up`
creates the Postgres volume as a fixed-size ext4 filesystem in a sparse image file under the
lab's state dir, attached to a loop device, before Compose runs. Docker's local driver cannot
attach loop files itself (``o=loop`` is a mount(8) feature, not a syscall option), so the lab
attaches it and hands the device to the volume. The volume carries Compose's labels, so Compose
adopts it, and ``lab down --volumes`` removes it; the lab then detaches the device and deletes
the image. Elsewhere the volume is an ordinary one and `lab doctor` says disk-fill cannot run.
"""

from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path

import docker.errors

from lab import labels
from lab.docker import engine, run
from lab.settings import Settings

#: The capped volume (Compose's name for it) and its size.
VOLUME = "postgres-data"
CAP_BYTES = 1024 * 1024**2
#: Label on the volume giving its cap in bytes: disk-fill finds capped volumes by it.
CAP_LABEL = "io.incident-lab.size-cap-bytes"
_COMPOSE_PROJECT = "com.docker.compose.project"
_COMPOSE_VOLUME = "com.docker.compose.volume"


def support() -> tuple[bool, str]:
    """Can this host make a capped volume? (ok, why not / how)."""
    if platform.system() != "Linux":
        return False, "needs a Linux host (loop devices)"
    if os.geteuid() != 0:
        return False, "needs root to attach a loop device"
    if os.environ.get("DOCKER_HOST", "unix://").split("://")[0] not in ("unix", ""):
        return False, "needs the engine on this host (DOCKER_HOST is remote)"
    missing = [tool for tool in ("mkfs.ext4", "losetup") if shutil.which(tool) is None]
    if missing:
        return False, f"needs {' and '.join(missing)} (e2fsprogs, util-linux)"
    if not Path("/dev/loop-control").exists():
        return False, "no /dev/loop-control (loop devices unavailable)"
    return True, f"ext4 image of {CAP_BYTES // 1024**2} MiB on a loop device"


def volume_name(settings: Settings) -> str:
    return f"{settings.project}_{VOLUME}"


def image_path(settings: Settings) -> Path:
    return settings.state_dir / "volumes" / f"{VOLUME}.img"


def _attached(image: Path) -> str | None:
    """The loop device backing ``image``, if one is attached."""
    out = run(["losetup", "--noheadings", "--output", "NAME", "--associated", str(image)], check=False).stdout
    return out.split()[0] if out.split() else None


def ensure(settings: Settings) -> str:
    """Make the capped volume if it does not exist yet; return what was done (for status lines)."""
    client = engine()
    name = volume_name(settings)
    try:
        volume = client.volumes.get(name)
    except docker.errors.NotFound:
        volume = None
    if volume is not None:
        device = (volume.attrs.get("Options") or {}).get("device", "")
        if CAP_LABEL not in (volume.attrs.get("Labels") or {}):
            return f"{name} exists without a size cap (recreate it with `lab down --volumes`)"
        image = image_path(settings)
        if image.exists() and _attached(image) is None:
            run(["losetup", device, str(image)])  # after a reboot: the same device again
        return f"{name} is capped at {CAP_BYTES // 1024**2} MiB"
    ok, why = support()
    if not ok:
        return f"{name} is not size-capped: {why}"
    image = image_path(settings)
    image.parent.mkdir(parents=True, exist_ok=True)
    device = _attached(image)
    if device is None:
        image.unlink(missing_ok=True)
        with image.open("wb") as f:
            f.truncate(CAP_BYTES)  # sparse: takes disk only as Postgres writes
        # -m 0: no blocks reserved for root, so "full" means full for Postgres too.
        run(["mkfs.ext4", "-q", "-F", "-m", "0", "-L", "lab-pgdata", str(image)], timeout=60)
        device = run(["losetup", "--find", "--show", str(image)]).stdout.strip()
    client.volumes.create(
        name=name,
        driver="local",
        driver_opts={"type": "ext4", "device": device},
        labels={
            labels.MANAGED: "true",
            _COMPOSE_PROJECT: settings.project,
            _COMPOSE_VOLUME: VOLUME,
            CAP_LABEL: str(CAP_BYTES),
        },
    )
    return f"{name} created, capped at {CAP_BYTES // 1024**2} MiB"


def release(settings: Settings) -> None:
    """After the volume is removed: detach the loop device and delete the image."""
    image = image_path(settings)
    if not image.exists():
        return
    try:
        engine().volumes.get(volume_name(settings))
        return  # still there (in use): keep its backing
    except docker.errors.NotFound:
        pass
    device = _attached(image)
    if device is not None:
        run(["losetup", "--detach", device], check=False)
    image.unlink(missing_ok=True)
