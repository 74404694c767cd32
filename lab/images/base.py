"""The base image: ``debian:bookworm-slim`` where a registry answers, debootstrap otherwise.

Both paths install the same package list (``images/base/packages.txt``), so every lab image has
the same contents whichever way its base was made.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from lab import labels
from lab.docker import engine, run
from lab.errors import ImageBuildError
from lab.images.log import BuildLog
from lab.images.specs import ImageSpec

REGISTRY_BASE = "debian:bookworm-slim"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def registry_base_available(pull_timeout: float = 60) -> bool:
    """True when ``debian:bookworm-slim`` is present locally or can be pulled now."""
    import docker.errors

    try:
        engine().images.get(REGISTRY_BASE)
        return True
    except docker.errors.ImageNotFound:
        pass
    try:
        run(["docker", "pull", "-q", REGISTRY_BASE], timeout=pull_timeout)
    except Exception:
        return False
    return True


def debian_mirror() -> str:
    """The Debian mirror this host already uses (so offline hosts use their own mirror)."""
    if env := os.environ.get("LAB_DEBIAN_MIRROR"):
        return env
    sources = [Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*")]
    for source in sources:
        if not source.is_file():
            continue
        text = source.read_text(errors="replace")
        # One-line format ("deb URI bookworm main") and deb822 ("URIs: URI" + "Suites: bookworm").
        for match in re.finditer(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s", text, re.M):
            return match.group(1)
        for stanza in text.split("\n\n"):
            uris = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
            if uris and re.search(r"^Suites:.*\bbookworm\b", stanza, re.M) and "security" not in uris.group(1):
                return uris.group(1)
    return DEFAULT_MIRROR


def _label_args(spec: ImageSpec) -> list[str]:
    return [f"{labels.MANAGED}=true", f"{labels.IMAGE}={spec.name}", f"{labels.INPUT_HASH}={spec.tag}"]


def build_base(spec: ImageSpec, root: Path, log: BuildLog) -> None:
    recipe = root / "images" / "base"
    source = os.environ.get("LAB_BASE_SOURCE", "auto")
    if source == "online" or (source == "auto" and registry_base_available()):
        log.note(f"building base from {REGISTRY_BASE}")
        argv = ["docker", "build", "-f", str(recipe / "Dockerfile.online"), "-t", spec.ref]
        for label in _label_args(spec):
            argv += ["--label", label]
        log.run([*argv, str(recipe)], timeout=1800)
        return
    _build_base_offline(spec, recipe, log)


def _build_base_offline(spec: ImageSpec, recipe: Path, log: BuildLog) -> None:
    if os.geteuid() != 0:
        raise ImageBuildError(
            f"no registry answers for {REGISTRY_BASE} and the offline base build (debootstrap) "
            "needs root: run `sudo lab images build`, or `lab images load FILE`"
        )
    if shutil.which("debootstrap") is None:
        raise ImageBuildError(
            f"no registry answers for {REGISTRY_BASE} and debootstrap is not installed: "
            "`apt-get install debootstrap`, or `lab images load FILE`"
        )
    mirror = debian_mirror()
    with tempfile.TemporaryDirectory(prefix="lab-base-") as tmp:
        tarball = Path(tmp) / "rootfs.tar"
        log.note(f"building base offline with debootstrap from {mirror} (about a minute)")
        script = recipe / "build-rootfs.sh"
        log.run(["bash", str(script), str(recipe / "packages.txt"), mirror, str(tarball)], timeout=1800)
        log.note("importing the base root filesystem into Docker")
        changes = [f"ENV PATH={_PATH}", 'CMD ["/bin/bash"]']
        changes += [f"LABEL {label}" for label in _label_args(spec)]
        argv = ["docker", "import"]
        for change in changes:
            argv += ["--change", change]
        log.run([*argv, str(tarball), spec.ref], timeout=600)
