"""Where the fleet runs. Compose now, Kubernetes (kind) later; chosen in one factory."""

from lab.platforms.base import ContainerState, Platform
from lab.platforms.factory import get_platform

__all__ = ["ContainerState", "Platform", "get_platform"]
