"""The lab's only ways to reach Docker: the CLI (``run``) and the engine API (``engine``)."""

from lab.docker.cli import compose_binary, run
from lab.docker.engine import engine, ping

__all__ = ["compose_binary", "engine", "ping", "run"]
