"""What every command shares: the consoles, the settings and the platform, made on demand."""

from __future__ import annotations

from rich.console import Console

from lab.platforms import Platform, get_platform
from lab.settings import Settings

console = Console()
# soft_wrap: an error stays on one line, however narrow the terminal.
err_console = Console(stderr=True, soft_wrap=True)

#: Set by the root callback (`--debug` or LAB_DEBUG=1): show tracebacks instead of one line.
debug = False


def settings() -> Settings:
    return Settings.from_env()


def platform() -> Platform:
    return get_platform(settings())
