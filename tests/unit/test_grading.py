"""The grader's arithmetic on recorded SLI series."""

from __future__ import annotations

import pytest

from lab.grading.score import Event, Expectations, SliSample, budget_burned, grade, impact_start, recovered_at

SLOS = ("availability", "checkout-latency")


def series(
    bad_from: float, bad_to: float, *, step: float = 5, end: float = 600, blip: float | None = None
) -> list[SliSample]:
    """Green, then both SLOs breached (burning 20x) from bad_from to bad_to, then green."""
    samples = []
    t = 0.0
    while t <= end:
        bad = bad_from <= t < bad_to or (blip is not None and blip <= t < blip + step)
        samples.append(SliSample(t, {n: not bad for n in SLOS}, {n: 20.0 if bad else 0.0 for n in SLOS}))
        t += step
    return samples


def expectations(**over: object) -> Expectations:
    base: dict[str, object] = {
        "component": "redis", "cause": "cache-loss", "contributing": ("retry-storm",),
        "slos": SLOS, "recovery_slos": SLOS, "hold": 60.0, "budget_window": 3600.0,
        "first_update_within": 60.0, "update_every": 120.0,
        "weights": {"acknowledge": 10, "diagnose": 30, "recover": 35, "budget": 15, "communication": 10},
        "level": "mid", "time_scale": 0.1,
    }  # fmt: skip
    base.update(over)
    return Expectations(**base)  # type: ignore[arg-type]


def test_impact_starts_at_the_first_breach() -> None:
    assert impact_start(series(30, 200), SLOS) == 30
    assert impact_start(series(1000, 1000), SLOS) is None


def test_recovery_must_hold_for_the_whole_window() -> None:
    # Green at 200, a one-sample relapse at 230, then green for good from 235.
    samples = series(30, 200, blip=230)
    assert recovered_at(samples, SLOS, after=30, hold=60) == 235
    assert recovered_at(samples, SLOS, after=30, hold=20) == 200


def test_budget_burned_is_burn_rate_times_time_over_the_window() -> None:
    # 34 samples at 20x burn, 5 s apart: 20 * 170 s = 3400 budget-seconds of a 3600 s window.
    assert budget_burned(series(30, 200), SLOS, window=3600) == pytest.approx(3400 / 3600)


def test_a_quick_correct_responder_passes() -> None:
    events = [
        Event(35, "page"), Event(50, "ack"), Event(80, "update", text="investigating"),
        Event(120, "diagnose", component="redis", cause="cache-loss"),
        Event(190, "update", text="mitigated"), Event(320, "update", text="resolved"),
    ]  # fmt: skip
    card = grade(series(30, 200), events, expectations())
    assert card.time_to_acknowledge == 15
    assert card.time_to_diagnose == 85
    assert card.time_to_recover == 170  # impact at 30, sustained green from 200
    assert card.rca_accuracy == 1.0 and card.wrong_diagnoses == 0
    assert card.passed, card.reasons
    assert 60 < card.score <= 100


def test_wrong_and_partial_diagnoses_lower_accuracy_and_can_fail_a_level() -> None:
    events = [
        Event(35, "page"), Event(40, "ack"),
        Event(60, "diagnose", component="postgres", cause="lock-contention"),
        Event(70, "diagnose", component="gateway", cause="retry-storm"),
        Event(90, "diagnose", component="redis", cause="cache-loss"),
    ]  # fmt: skip
    card = grade(series(30, 200), events, expectations(level="senior"))
    assert card.rca_accuracy == pytest.approx((1 + 0.5) / 3)
    assert card.wrong_diagnoses == 1
    assert not card.passed
    assert any("RCA accuracy" in r for r in card.reasons)


def test_slow_recovery_fails_the_level_under_the_time_scale() -> None:
    events = [Event(35, "page"), Event(40, "ack"), Event(90, "diagnose", component="redis", cause="cache-loss")]
    # mid: 45 min x 0.1 = 270 s; this incident lasts 30 -> 400 s.
    card = grade(series(30, 400, end=800), events, expectations())
    assert card.time_to_recover == 370
    assert not card.passed
    assert "needs 4.5 min" in card.reasons[0]


def test_no_recovery_means_no_recovery_score() -> None:
    card = grade(series(30, 10_000), [Event(35, "page")], expectations())
    assert card.time_to_recover is None
    assert card.components["recover"] == 0
    assert "did not recover" in card.reasons[0]


def test_hints_cost_their_penalty() -> None:
    events = [Event(35, "page"), Event(40, "ack"), Event(90, "diagnose", component="redis", cause="cache-loss")]
    without = grade(series(30, 200), events, expectations())
    with_hints = grade(series(30, 200), [*events, Event(60, "hint", penalty=5), Event(70, "hint", penalty=10)],
                       expectations())  # fmt: skip
    assert with_hints.hints_used == 2
    assert with_hints.score == pytest.approx(without.score - 15)


def test_commanders_must_meet_every_update_deadline() -> None:
    base = [Event(35, "page"), Event(40, "ack"), Event(90, "diagnose", component="redis", cause="cache-loss")]
    commander = expectations(level="incident-commander", time_scale=0.2)  # recover within 240 s
    late = grade(series(30, 200), [*base, Event(200, "update"), Event(300, "resolve")], commander)
    assert late.cadence_met == 0.5  # deadlines at 95 and 215 before the resolve at 300: only 215 met
    assert not late.passed
    on_time = [*base, Event(60, "update"), Event(200, "update"), Event(300, "update"), Event(320, "resolve")]
    good = grade(series(30, 200), on_time, commander)
    assert good.cadence_met == 1.0
    assert good.passed, good.reasons
