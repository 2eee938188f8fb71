"""What runs on a Ray cluster's workers: a training run, the progress board runs report to, and the check that a
node sees the workspace.

Progress travels by a Ray actor rather than the job table: SQLite's WAL mode needs shared memory, which a
network file system does not give, so only the submitting machine's driver (``ray_driver``) writes the table.
A run sends its step, loss terms and new loss-history rows to the ``ProgressBoard`` actor (fire-and-forget calls,
which Ray delivers in order per caller); the driver drains the board a few times a second into the table.

Everything here is imported by name on the workers, so latentlab must be installed on every node; functions
become Ray tasks in the driver (``ray.remote(train_run)``), so importing this module needs no Ray, and no torch
either: the board's actor and the workspace probes start in a fraction of a second.
"""

from __future__ import annotations

import os
from pathlib import Path


class ProgressBoard:
    """Events from runs, in arrival order, until the driver takes them. Runs as a Ray actor on the driver's node.

    Each event is ``(job_id, kind, payload)``: kind ``"started"`` (payload: node, resumed_from, pid) when a run
    starts or is retried, ``"progress"`` (step, total, terms, history rows) as it trains.
    """

    def __init__(self):
        self.events: list[tuple[int, str, dict]] = []

    def post(self, job_id: int, kind: str, payload: dict) -> None:
        self.events.append((job_id, kind, payload))

    def take(self) -> list[tuple[int, str, dict]]:
        events, self.events = self.events, []
        return events


def node_label() -> str:
    """This worker's node as the job table shows it: its address and the start of its Ray node id."""
    import ray

    return f"{ray.util.get_node_ip_address()} ({ray.get_runtime_context().get_node_id()[:12]})"


def train_run(job_id: int, params: dict, home: str, board) -> str:
    """One training job as a Ray task: a fresh run, or, when its checkpoint exists (Ray retrying it after its node
    died, or a resumed job), the run continued from its last periodic checkpoint. Returns the checkpoint's name."""
    os.environ["LATENTLAB_HOME"] = home  # workers outlive tasks; each task names its workspace
    from latentlab.jobs.ray_progress import BoardReporter
    from latentlab.jobs.train_runs import prepare_run

    run = prepare_run(params)
    board.post.remote(job_id, "started", {"node": node_label(), "resumed_from": run.resumed_from if run.resume else None,
                                          "pid": os.getpid()})
    return run.run([BoardReporter(board, job_id)])


def sees_marker(path: str, token: str) -> bool:
    """Whether this node reads ``token`` in the file at ``path`` (the submitter wrote it into the workspace)."""
    try:
        return Path(path).read_text() == token
    except OSError:
        return False


def marker_task(path: str, token: str) -> tuple[bool, str]:
    return sees_marker(path, token), node_label()
