"""Put the service code on sys.path: the shared library and the gateway's modules.

Only modules with unique names are imported by these tests (never a service's
`app.py`, which every service has).
"""

from __future__ import annotations

import sys
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[3] / "services"

for path in (SERVICES / "common", SERVICES / "gateway"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
