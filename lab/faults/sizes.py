"""Sizes in fault parameters: "512M", "1.5GiB", "10TB", "64kb" or plain bytes (binary units)."""

from __future__ import annotations

import re

MIB = 1024**2
_UNITS = {"": 1, "k": 1024, "m": MIB, "g": 1024**3, "t": 1024**4, "p": 1024**5}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes in ``text``; a ValueError (shown by pydantic as the parameter's error) if malformed."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"not a size: {text!r} (use e.g. 64kb, 200M, 1G)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def human(size: int) -> str:
    """1073741824 -> '1 GiB', 786432 -> '768 KiB'."""
    for unit, factor in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", MIB), ("KiB", 1024)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} B"
