"""Files faults ship into helper containers (passed as arguments, never bind-mounted)."""

from pathlib import Path

ASSETS = Path(__file__).resolve().parent


def asset_text(name: str) -> str:
    return (ASSETS / name).read_text()
