"""Incident Lab: practise production incident response on a real microservice fleet."""

from lab.errors import LabError

__all__ = ["LabError", "__version__"]
__version__ = "0.1.0"
