"""The job table: SQLite in the workspace, safe for several processes.

WAL journal mode lets readers (every dashboard tab, ``latentlab jobs``) work
while a worker writes; every write is one short transaction. Nothing here
imports torch, so the runner and the CLI listing stay light.
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from latentlab.core import quotas
from latentlab.core.errors import LatentLabError
from latentlab.core.workspace import home
from latentlab.jobs.executor import ExecutorSpec

ACTIVE = ("queued", "running")
FINISHED = ("succeeded", "failed", "cancelled", "interrupted")

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    name TEXT,
    params TEXT NOT NULL,
    state TEXT NOT NULL,
    step INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    terms TEXT NOT NULL DEFAULT '{}',
    heartbeat REAL,
    pid INTEGER,
    error TEXT,
    result TEXT,
    sweep TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    resumed_from INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    stage TEXT,
    unit TEXT,
    stage_started REAL,
    stage_from INTEGER NOT NULL DEFAULT 0,
    executor TEXT,
    ray_task TEXT,
    node TEXT
);
CREATE TABLE IF NOT EXISTS history (
    job_id INTEGER NOT NULL,
    step INTEGER NOT NULL,
    terms TEXT NOT NULL,
    PRIMARY KEY (job_id, step)
);
"""

NEW_COLUMNS = {"stage": "TEXT", "unit": "TEXT", "stage_started": "REAL", "stage_from": "INTEGER NOT NULL DEFAULT 0",
               "executor": "TEXT", "ray_task": "TEXT", "node": "TEXT"}


@dataclass
class Job:
    id: int
    kind: str
    name: str | None
    params: dict
    state: str
    step: int
    total: int
    terms: dict
    heartbeat: float | None
    pid: int | None
    error: str | None
    result: str | None
    sweep: str | None
    cancel_requested: bool
    resumed_from: int | None
    attempts: int
    created: float
    started: float | None
    finished: float | None
    stage: str | None = None  # what a multi-stage job is doing now, e.g. "encoding", "UMAP layout"
    unit: str | None = None  # what step/total count in this stage, e.g. "items", "epochs"
    stage_started: float | None = None
    stage_from: int = 0  # the step this stage started counting from (a resumed run's first step)
    # Where the job runs: None for this machine's workers, else {"kind": "ray", "address", "cpus", "gpus"}
    # (``latentlab.jobs.executor``); a Ray job's task id and the node it runs on (``latentlab.jobs.ray_driver``).
    executor: ExecutorSpec | None = None
    ray_task: str | None = None
    node: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def progress(self) -> float:
        return min(1.0, self.step / self.total) if self.total else 0.0

    @property
    def rate(self) -> float | None:
        """Steps (items, epochs, fits...) per second in the current stage."""
        began = self.stage_started or self.started
        done = self.step - (self.stage_from if self.stage_started else (self.resumed_from or 0))
        if self.state != "running" or not began or done <= 0:
            return None
        return done / max(time.time() - began, 1e-6)

    @property
    def eta_s(self) -> float | None:
        rate = self.rate
        return None if rate is None else (self.total - self.step) / rate

    def progress_text(self) -> str:
        """One line: stage, count, rate and ETA, e.g. 'encoding 51,200/737,280 items · 1,310 items/s · ETA 8m 43s'."""
        unit = self.unit or ("steps" if self.kind == "train" else "")
        parts = [f"{self.stage or self.state} {self.step:,}/{self.total:,} {unit}".rstrip()]
        if self.rate is not None:
            parts.append(f"{self.rate:,.1f} {unit}/s" if self.rate < 10 else f"{self.rate:,.0f} {unit}/s")
        if self.eta_s is not None:
            parts.append(f"ETA {format_seconds(self.eta_s)}")
        return " · ".join(parts)

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "extra"}
        d["executor"] = dict(self.executor) if self.executor else None
        d["checkpoint"] = self.params.get("name") if self.kind == "train" else None
        d["progress"] = self.progress
        return d


def format_seconds(s: float) -> str:
    s = max(0, int(round(s)))
    if s >= 3600:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 60}m {s % 60:02d}s" if s >= 60 else f"{s}s"


def db_path() -> Path:
    return home() / "jobs.sqlite"


_READY: set[Path] = set()


def _initialise(path: Path) -> None:
    """Create the schema and switch to WAL once, under a file lock.

    Switching the journal mode does not wait on SQLite's busy handler, so two
    processes creating the database at once must take turns.
    """
    if path in _READY:
        return
    with open(path.with_suffix(".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with closing(sqlite3.connect(path, timeout=30.0, isolation_level=None)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
            have = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
            for column, decl in NEW_COLUMNS.items():  # tables made by an earlier version gain them
                if column not in have:
                    conn.execute(f"ALTER TABLE jobs ADD COLUMN {column} {decl}")
    _READY.add(path)


@contextmanager
def connect(immediate: bool = False):
    """A short-lived connection; ``immediate`` takes the write lock up front."""
    path = db_path()
    _initialise(path)
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.close()


def _row_to_job(row: sqlite3.Row) -> Job:
    d = dict(row)
    d["params"] = json.loads(d["params"])
    d["terms"] = json.loads(d["terms"] or "{}")
    d["cancel_requested"] = bool(d["cancel_requested"])
    d["executor"] = ExecutorSpec.from_dict(json.loads(d["executor"])) if d.get("executor") else None
    return Job(**d)


def create(kind: str, params: dict, name: str | None = None, sweep: str | None = None, total: int = 0,
           executor: ExecutorSpec | None = None) -> int:
    with connect(immediate=True) as c:
        active = c.execute("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')").fetchone()[0]
        quotas.check_job_slot(active, home())  # a person's limit on a server with sign-in; none elsewhere
        cur = c.execute(
            "INSERT INTO jobs (kind, name, params, state, total, sweep, created, executor) "
            "VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)",
            (kind, name, json.dumps(params), total, sweep, time.time(), json.dumps(dict(executor)) if executor else None),
        )
        return int(cur.lastrowid)


def get(job_id: int) -> Job:
    with connect() as c:
        row = c.execute("SELECT * FROM jobs WHERE id = ?", (int(job_id),)).fetchone()
    if row is None:
        raise LatentLabError(f"No job with id {job_id}; run 'latentlab jobs list' to see the jobs.")
    return _row_to_job(row)


def list_jobs(states: tuple[str, ...] | None = None, limit: int = 500) -> list[Job]:
    with connect() as c:
        if states:
            marks = ",".join("?" * len(states))
            rows = c.execute(f"SELECT * FROM jobs WHERE state IN ({marks}) ORDER BY id DESC LIMIT ?", (*states, limit)).fetchall()
        else:
            rows = c.execute("SELECT * FROM jobs ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [_row_to_job(r) for r in rows]


def update(job_id: int, **fields) -> None:
    if "params" in fields:
        fields["params"] = json.dumps(fields["params"])
    if "terms" in fields:
        fields["terms"] = json.dumps(fields["terms"])
    cols = ", ".join(f"{k} = ?" for k in fields)
    with connect(immediate=True) as c:
        c.execute(f"UPDATE jobs SET {cols} WHERE id = ?", (*fields.values(), int(job_id)))


def transition(job_id: int, from_states: tuple[str, ...], **fields) -> bool:
    """Update a job only if it is in one of ``from_states``; True if it was."""
    if "params" in fields:
        fields["params"] = json.dumps(fields["params"])
    cols = ", ".join(f"{k} = ?" for k in fields)
    marks = ",".join("?" * len(from_states))
    with connect(immediate=True) as c:
        cur = c.execute(f"UPDATE jobs SET {cols} WHERE id = ? AND state IN ({marks})",
                        (*fields.values(), int(job_id), *from_states))
        return cur.rowcount == 1


def report_progress(job_id: int, step: int, total: int, terms: dict, history: list[dict]) -> bool:
    """Heartbeat, progress and new loss-history rows in one transaction; returns cancel_requested."""
    with connect(immediate=True) as c:
        c.execute("UPDATE jobs SET step = ?, total = ?, terms = ?, heartbeat = ? WHERE id = ?",
                  (step, total, json.dumps(terms), time.time(), job_id))
        c.executemany("INSERT OR REPLACE INTO history (job_id, step, terms) VALUES (?, ?, ?)",
                      [(job_id, int(h["step"]), json.dumps({k: v for k, v in h.items() if k != "step"})) for h in history])
        row = c.execute("SELECT cancel_requested FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return bool(row and row[0])


def report_stage(job_id: int, stage: str, done: int, total: int, unit: str, new_stage: bool) -> bool:
    """Progress of a multi-stage job (and a heartbeat) in one transaction; returns cancel_requested."""
    now = time.time()
    with connect(immediate=True) as c:
        if new_stage:
            c.execute("UPDATE jobs SET stage = ?, unit = ?, stage_started = ?, stage_from = ?, step = ?, total = ?, "
                      "heartbeat = ? WHERE id = ?", (stage, unit, now, done, done, total, now, job_id))
        else:
            c.execute("UPDATE jobs SET step = ?, total = ?, heartbeat = ? WHERE id = ?", (done, total, now, job_id))
        row = c.execute("SELECT cancel_requested FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return bool(row and row[0])


def history(job_id: int) -> list[dict]:
    with connect() as c:
        rows = c.execute("SELECT step, terms FROM history WHERE job_id = ? ORDER BY step", (int(job_id),)).fetchall()
    return [{"step": r["step"], **json.loads(r["terms"])} for r in rows]
