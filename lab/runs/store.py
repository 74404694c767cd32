"""Runs, their events and SLI samples, persisted in SQLite (one database per lab project)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab.errors import LabError
from lab.grading import Event, SliSample

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, scenario TEXT NOT NULL, seed INTEGER NOT NULL, mode TEXT NOT NULL,
    level TEXT NOT NULL, time_scale REAL NOT NULL, started REAL NOT NULL, ended REAL,
    status TEXT NOT NULL, runner_pid INTEGER, plan TEXT NOT NULL, scorecard TEXT, error TEXT
);
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL REFERENCES runs(id), t REAL NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS samples (
    run_id TEXT NOT NULL REFERENCES runs(id), t REAL NOT NULL, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_run ON events(run_id, t);
CREATE INDEX IF NOT EXISTS samples_run ON samples(run_id, t);
"""

OPEN_STATUSES = ("starting", "running", "resolving", "aborting")


@dataclass(frozen=True)
class Run:
    id: str
    scenario: str
    seed: int
    mode: str
    level: str
    time_scale: float
    started: float
    ended: float | None
    status: str  # starting, running, resolved, aborted, failed, crashed
    runner_pid: int | None
    plan: dict[str, Any]
    scorecard: dict[str, Any] | None
    error: str | None

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES


class RunStore:
    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / "runs.sqlite"
        with self._db() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()

    def create(self, run: Run) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (run.id, run.scenario, run.seed, run.mode, run.level, run.time_scale, run.started, run.ended,
                 run.status, run.runner_pid, json.dumps(run.plan), None, None),
            )  # fmt: skip

    def update(self, run_id: str, **fields: Any) -> None:
        encoded = {k: json.dumps(v) if k in ("plan", "scorecard") else v for k, v in fields.items()}
        columns = ", ".join(f"{k} = ?" for k in encoded)
        with self._db() as db:
            db.execute(f"UPDATE runs SET {columns} WHERE id = ?", (*encoded.values(), run_id))

    def get(self, run_id: str) -> Run:
        with self._db() as db:
            row = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise LabError(f"no run {run_id!r}: see `lab report --list`")
        return _run(row)

    def runs(self) -> list[Run]:
        with self._db() as db:
            return [_run(r) for r in db.execute("SELECT * FROM runs ORDER BY started")]

    def current(self) -> Run | None:
        open_runs = [r for r in self.runs() if r.open]
        return open_runs[-1] if open_runs else None

    def latest(self) -> Run:
        runs = self.runs()
        if not runs:
            raise LabError("no runs yet: start one with `lab run SCENARIO`")
        return runs[-1]

    def add_event(self, run_id: str, kind: str, *, at: float | None = None, **data: Any) -> float:
        when = time.time() if at is None else at
        with self._db() as db:
            db.execute("INSERT INTO events VALUES (?,?,?,?)", (run_id, when, kind, json.dumps(data)))
        return when

    def events(self, run_id: str) -> list[tuple[float, str, dict[str, Any]]]:
        with self._db() as db:
            rows = db.execute("SELECT t, kind, data FROM events WHERE run_id = ? ORDER BY t", (run_id,))
            return [(r["t"], r["kind"], json.loads(r["data"])) for r in rows]

    def add_sample(self, run_id: str, t: float, data: dict[str, Any]) -> None:
        with self._db() as db:
            db.execute("INSERT INTO samples VALUES (?,?,?)", (run_id, t, json.dumps(data)))

    def samples(self, run_id: str) -> list[tuple[float, dict[str, Any]]]:
        with self._db() as db:
            rows = db.execute("SELECT t, data FROM samples WHERE run_id = ? ORDER BY t", (run_id,))
            return [(r["t"], json.loads(r["data"])) for r in rows]

    def fault_ids(self, run_id: str) -> list[str]:
        """The faults a run injected (from its inject events)."""
        return [d["fault"] for _, kind, d in self.events(run_id) if kind == "inject"]

    def grading_inputs(self, run: Run) -> tuple[list[SliSample], list[Event]]:
        """Samples and events as the grader takes them: seconds since the run started."""
        samples = [
            SliSample(t - run.started, {k: v["ok"] for k, v in d.items()}, {k: v["burn"] for k, v in d.items()})
            for t, d in self.samples(run.id)
        ]
        events = [
            Event(
                t - run.started, kind,  # type: ignore[arg-type]
                component=d.get("component", ""), cause=d.get("cause", ""),
                text=d.get("text", ""), penalty=int(d.get("penalty", 0)),
            )
            for t, kind, d in self.events(run.id)
        ]  # fmt: skip
        return samples, events


def _run(row: sqlite3.Row) -> Run:
    return Run(
        id=row["id"], scenario=row["scenario"], seed=row["seed"], mode=row["mode"], level=row["level"],
        time_scale=row["time_scale"], started=row["started"], ended=row["ended"], status=row["status"],
        runner_pid=row["runner_pid"], plan=json.loads(row["plan"]),
        scorecard=json.loads(row["scorecard"]) if row["scorecard"] else None, error=row["error"],
    )  # fmt: skip
