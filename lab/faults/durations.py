"""Fault durations: "90s", "5m", "1h" or plain seconds, within sane bounds."""

from __future__ import annotations

import re

from lab.errors import LabError

MIN_SECONDS = 1.0
MAX_SECONDS = 6 * 3600.0
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}


def parse_duration(text: str) -> float:
    if text.strip().startswith("-"):
        raise LabError(f"duration {text!r}: must be positive")
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match:
        raise LabError(f"duration {text!r}: use a number with s, m or h (e.g. 90s, 5m)")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise LabError(f"duration {text!r}: must be between 1s and 6h")
    return seconds
