"""SLOs declared once (prometheus/slos.yaml): the model, the rule generator and SLO state."""

from lab.slo.model import SloFile, SloFileError, load_slos, slo_path
from lab.slo.rules import render_rules

__all__ = ["SloFile", "SloFileError", "load_slos", "render_rules", "slo_path"]
