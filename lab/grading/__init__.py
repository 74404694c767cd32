"""Grading against SLOs: from SLI samples and trainee events to a scorecard."""

from lab.grading.score import LEVEL_THRESHOLDS, Event, Scorecard, SliSample, grade

__all__ = ["LEVEL_THRESHOLDS", "Event", "Scorecard", "SliSample", "grade"]
