"""The one place that knows which platform is in use."""

from __future__ import annotations

import os

from lab.errors import LabError
from lab.platforms.base import Platform
from lab.settings import Settings


def get_platform(settings: Settings) -> Platform:
    name = os.environ.get("LAB_PLATFORM", "compose")
    if name == "compose":
        from lab.platforms.compose import ComposePlatform

        return ComposePlatform(settings)
    if name == "kubernetes":
        raise LabError("LAB_PLATFORM=kubernetes: the kind platform is not available yet")
    raise LabError(f"LAB_PLATFORM={name!r}: choose compose (or kubernetes, later)")
