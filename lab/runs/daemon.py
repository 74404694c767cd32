"""The run daemon: plays a scenario's timeline, polls the SLOs, pages, and finishes the run.

Started detached by :func:`lab.runs.engine.start_run` so the trainee keeps the terminal. It
injects through the fault library (whose keepers revert even if this process dies), writes a
sample of every SLO every few seconds, records the page at the first SLO breach, records
escalations, stakeholder messages and collateral actions seen in Docker events, and when the
run is resolved, aborted or times out, grades it and reverts every fault it injected.
"""

from __future__ import annotations

import contextlib
import resource
import signal
import sys
import time
import types
from typing import Any

from lab import labels
from lab.docker import engine
from lab.errors import LabError
from lab.faults import inject, plan, revert
from lab.grading.score import SliSample, impact_start, recovered_at
from lab.platforms.compose import PROJECT_LABEL
from lab.runs.grade import grade_run
from lab.runs.sli import SloReader
from lab.runs.store import RunStore
from lab.settings import Settings

POLL_SECONDS = 3.0
COLLATERAL_ACTIONS = {"restart", "stop", "kill", "destroy"}


class _Stop(Exception):
    pass


def _on_signal(signum: int, _frame: types.FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def _collateral(settings: Settings, since: float, until: float, spared: set[str]) -> list[str]:
    """Restarts, stops and kills of lab services other than those the scenario broke."""
    filters = {"type": "container", "label": [labels.MANAGED_FILTER, f"{PROJECT_LABEL}={settings.project}"]}
    found = []
    for event in engine().events(since=int(since), until=int(until) + 1, filters=filters, decode=True):
        service = event.get("Actor", {}).get("Attributes", {}).get(labels.SERVICE, "")
        action = str(event.get("Action", "")).split(":")[0]
        if action in COLLATERAL_ACTIONS and service and service not in spared and since <= event["time"] < until:
            found.append(f"{action} {service}")
    return found


def play(run_id: str) -> None:
    settings = Settings.from_env()
    store = RunStore(settings.state_dir)
    run = store.get(run_id)
    steps: list[dict[str, Any]] = run.plan["steps"]
    messages: list[dict[str, Any]] = list(run.plan["messages"])
    in_play: list[str] = run.plan["slos"]
    reader = SloReader(settings)
    faults: dict[str, str] = {}
    spared = {run.plan["answer"]["component"]} | {s["target"] for s in steps if "target" in s}
    paged = False
    deadline = run.started + run.plan["max_duration"]
    last_events = time.time()
    resolve_by: float | None = None
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    store.update(run_id, status="running")
    outcome = "timed-out"
    try:
        while True:
            now = time.time()
            elapsed = now - run.started
            for step in steps:
                if step["id"] in faults or step.get("done") or step["at"] > elapsed:
                    continue
                if step["kind"] == "escalation":
                    store.add_event(run_id, "escalation", text=step["text"])
                    step["done"] = True
                    continue
                fault = plan(settings, step["fault"], step["target"], {k: str(v) for k, v in step["params"].items()})
                record = inject(settings, fault, step["duration"])
                faults[step["id"]] = record.id
                store.add_event(run_id, "inject", step=step["id"], role=step["kind"], fault=record.id)
            while messages and messages[0]["at"] <= elapsed:
                message = messages.pop(0)
                store.add_event(run_id, "message", text=f"{message['from']}: {message['text']}")
            try:
                readings = reader.read()
                store.add_sample(run_id, now, {n: {"ok": r.ok, "burn": r.burn} for n, r in readings.items()})
                if not paged and any(not readings[n].ok for n in in_play):
                    store.add_event(
                        run_id, "page", text="SLO burn: " + ", ".join(n for n in in_play if not readings[n].ok)
                    )
                    paged = True
            except LabError as exc:
                store.add_event(run_id, "grader-gap", text=str(exc))
            for action in _collateral(settings, last_events, now, spared):
                store.add_event(run_id, "collateral", text=action)
            last_events = now
            status = store.get(run_id).status
            if status == "resolving":
                # Recovery must hold for the whole window; give it three windows at most.
                outcome = "resolved"
                resolve_by = resolve_by or now + 3 * run.plan["hold"]
                if _recovery_held(store, run_id, run.plan["recovery_slos"], run.plan["hold"]) or now > resolve_by:
                    break
            elif status in ("aborting",):
                outcome = "aborted"
                break
            if now > deadline:
                break
            time.sleep(POLL_SECONDS)
    except _Stop as stop:
        outcome = "aborted"
        store.add_event(run_id, "abort", text=f"runner stopped by {stop}")
    except Exception as exc:  # a crash still grades and reverts what it can
        outcome = "failed"
        store.update(run_id, error=f"{exc.__class__.__name__}: {exc}")
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        for fault_id in faults.values():
            with contextlib.suppress(LabError):  # its keeper reverts it at the deadline anyway
                revert(settings, fault_id, by=f"run {run_id} {outcome}")
        usage = resource.getrusage(resource.RUSAGE_SELF)
        store.add_event(run_id, "runner-cost", cpu_s=usage.ru_utime + usage.ru_stime, wall_s=time.time() - run.started)
        store.update(run_id, status=outcome, ended=time.time(), scorecard=grade_run(settings, store, run_id))


def _recovery_held(store: RunStore, run_id: str, slos: list[str], hold: float) -> bool:
    """The grader's own test: after the first breach, every SLO green for a whole hold window."""
    samples = [SliSample(t, {n: d[n]["ok"] for n in d}) for t, d in store.samples(run_id)]
    start = impact_start(samples, tuple(slos))
    after = start if start is not None else (samples[-1].t - hold if samples else 0.0)
    return recovered_at(samples, tuple(slos), after, hold) is not None


if __name__ == "__main__":
    play(sys.argv[1])
