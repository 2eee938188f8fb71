"""The Ray driver: one small process per workspace and cluster address that sends the job table's Ray jobs to the
cluster and keeps their rows up to date, so the table on the submitting machine stays the record.

- A queued Ray job is claimed (state ``running``, ``pid`` this process) and sent: a training job as one Ray task
  (``ray_tasks.train_run``) with the resources its executor spec declares (``num_cpus``, ``num_gpus``: 0.25 lets
  four runs share a GPU); an embedding job as shards over a Ray Data actor pool (``ray_embed``), driven from a
  thread of this process.
- Before the first job of a batch it checks that every node sees the workspace: it writes a marker file with a
  fresh token and runs a tiny task pinned to each node that reads it back; a node that does not fails the jobs
  with one sentence naming the node and the path.
- Runs post their progress to a ``ProgressBoard`` actor on this node; the loop drains it into the table (step,
  loss terms, loss history, the node a run is on, a retry's resumed step) a few times a second, with heartbeats.
- A run whose node dies is retried by Ray (``max_retries``); the retried task finds the run's checkpoint and
  resumes from its last periodic save, so it does not start again at step 0.
- ``cancel_requested`` becomes ``ray.cancel``; a task that ignores it is force-cancelled after a grace period.
- Tasks belong to this process: if it ends, Ray ends them, and the next driver marks their jobs interrupted
  (``latentlab jobs resume`` continues them from their checkpoints). It exits after ``IDLE_EXIT_S`` idle.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import threading
import time
import uuid

from latentlab.core.errors import JobCancelled, LatentLabError
from latentlab.core.workspace import atomic_path, digest, home, subdir
from latentlab.jobs import store
from latentlab.jobs.runner import IDLE_EXIT_S, lock_held, pid_alive

POLL_S = 0.25
HEARTBEAT_EVERY_S = 2.0
CANCEL_GRACE_S = 5.0
MAX_RETRIES = int(os.environ.get("LATENTLAB_RAY_MAX_RETRIES", "3"))  # tries after a lost node or worker
CHECK_TIMEOUT_S = 60.0
MARKER = ".ray-workspace-check"


def lock_path(address: str):
    return home() / f"ray-driver-{digest(address)[:12]}.lock"


def driver_alive(address: str) -> bool:
    return lock_held(lock_path(address))


def ensure_ray_driver(address: str) -> None:
    """Start a detached driver for ``address`` unless this workspace has one."""
    if driver_alive(address):
        return
    with open(subdir("runs") / "ray-driver.log", "ab") as out:
        subprocess.Popen([sys.executable, "-m", "latentlab.jobs.ray_driver", address], stdin=subprocess.DEVNULL,
                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                         env={**os.environ, "LATENTLAB_HOME": str(home())})


def ray_jobs(address: str, states: tuple[str, ...]) -> list[store.Job]:
    return [j for j in store.list_jobs(states) if j.executor and j.executor.address == address]


def check_workspace(path: str | os.PathLike | None = None, token: str | None = None) -> int:
    """Check that every alive node reads the marker this process writes into the workspace; returns the number of
    nodes checked. Raises one sentence naming the first node that does not and the path. ``token`` (tests) is
    the text the nodes must read; by default the one just written."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from latentlab.jobs.ray_tasks import marker_task

    root = os.path.abspath(path or home())
    marker, written = os.path.join(root, MARKER), uuid.uuid4().hex
    with atomic_path(marker) as tmp:
        tmp.write_text(written)
    expected = written if token is None else token
    probe = ray.remote(marker_task)
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    refs = [probe.options(num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False))
            .remote(marker, expected) for n in nodes]
    for node, ref in zip(nodes, refs):
        try:
            seen, label = ray.get(ref, timeout=CHECK_TIMEOUT_S)
        except Exception:  # the node went away, or cannot run even a zero-CPU task
            seen, label = False, f"{node.get('NodeManagerAddress')} ({node['NodeID'][:12]})"
        if not seen:
            raise LatentLabError(f"Ray node {label} cannot see the workspace {root} (LATENTLAB_HOME); mount it at the "
                                 "same path on every node (a shared file system) and submit the job again.")
    return len(nodes)


class Driver:
    def __init__(self, address: str):
        import ray

        from latentlab.jobs.ray_tasks import ProgressBoard, train_run

        self.ray, self.address = ray, address
        ray.init(address=address, log_to_driver=False, logging_level="WARNING", configure_logging=False)
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        here = ray.get_runtime_context().get_node_id()
        self.board = ray.remote(ProgressBoard).options(
            num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(here, soft=False)).remote()
        self.train_task = ray.remote(train_run)
        self.refs: dict[int, object] = {}  # job id -> the training task's ObjectRef
        self.threads: dict[int, threading.Thread] = {}  # job id -> the thread encoding its shards
        self.cancelled_at: dict[int, float] = {}
        self.checked_nodes: frozenset = frozenset()
        self.beat = 0.0

    # -- sending jobs -------------------------------------------------------------------------------------------
    def workspace_seen(self) -> bool:
        """Check the workspace when the set of nodes changed since the last check; False when it failed (the
        queued jobs are failed with the reason)."""
        nodes = frozenset(n["NodeID"] for n in self.ray.nodes() if n.get("Alive"))
        if nodes == self.checked_nodes:
            return True
        try:
            check_workspace()
        except LatentLabError as exc:
            for job in ray_jobs(self.address, ("queued",)):
                store.transition(job.id, ("queued",), state="failed", finished=time.time(), error=str(exc))
            return False
        self.checked_nodes = nodes
        return True

    def claim(self, job: store.Job) -> bool:
        now = time.time()
        return store.transition(job.id, ("queued",), state="running", pid=os.getpid(), heartbeat=now, started=now,
                                attempts=job.attempts + 1, error=None, node=None, stage="waiting for Ray resources",
                                stage_started=None)

    def send(self, job: store.Job) -> None:
        spec = job.executor
        if job.kind == "train":
            ref = self.train_task.options(num_cpus=spec.cpus, num_gpus=spec.gpus, max_retries=MAX_RETRIES,
                                          retry_exceptions=False, name=f"latentlab:{job.name}").remote(
                job.id, job.params, str(home()), self.board)
            self.refs[job.id] = ref
            store.update(job.id, ray_task=ref.task_id().hex())
        elif job.kind == "embed":
            thread = threading.Thread(target=self.embed, args=(job,), daemon=True)
            self.threads[job.id] = thread
            thread.start()
        else:
            store.transition(job.id, ("running",), state="failed", finished=time.time(),
                             error=f"{job.kind} jobs run on this machine, not on Ray; submit it with the local executor.")

    def embed(self, job: store.Job) -> None:
        from latentlab.jobs.ray_embed import SHARD_ITEMS, encode_on_ray
        from latentlab.jobs.worker import job_progress

        p, spec = job.params, job.executor
        store.update(job.id, stage=None, node=f"{len(self.checked_nodes)} nodes")
        try:
            encode_on_ray(p["checkpoint"], p.get("dataset"), cpus=spec.cpus, gpus=spec.gpus,
                          progress=job_progress(job.id), cancelled=lambda: store.get(job.id).cancel_requested,
                          shard_items=p.get("shard_items") or SHARD_ITEMS)
        except JobCancelled:
            self.end(job.id, "cancelled", error="Cancelled by request.")
        except LatentLabError as exc:
            self.end(job.id, "failed", error=str(exc))
        except Exception as exc:
            self.end(job.id, "failed", error=f"Encoding on Ray failed: {type(exc).__name__}: {exc}")
        else:
            dataset = p.get("dataset") or "its training set"
            self.end(job.id, "succeeded", result=f"embedding of {dataset} by {p['checkpoint']}, encoded on Ray")

    # -- following them -----------------------------------------------------------------------------------------
    def apply(self, events) -> None:
        now = time.time()
        for job_id, kind, payload in events:
            if kind == "started":
                job = store.get(job_id)
                resumed = payload["resumed_from"]
                fields = {"node": payload["node"], "stage": None, "stage_started": now, "heartbeat": now,
                          "stage_from": resumed or 0}
                if job.node is not None:  # Ray retried the task (its node or worker was lost)
                    fields["attempts"] = job.attempts + 1
                if resumed is not None:
                    fields.update(resumed_from=resumed, step=resumed)
                store.update(job_id, **fields)
            elif kind == "progress":
                store.report_progress(job_id, payload["step"], payload["total"], payload["terms"], payload["history"])

    def end(self, job_id: int, state: str, **fields) -> None:
        store.transition(job_id, ("running",), state=state, finished=time.time(), **fields)

    def collect(self) -> None:
        ray = self.ray
        if not self.refs:
            return
        ready, _ = ray.wait(list(self.refs.values()), num_returns=len(self.refs), timeout=0)
        ready = set(ready)
        for job_id, ref in list(self.refs.items()):
            if ref not in ready:
                continue
            self.apply(ray.get(self.board.take.remote()))  # the run's last progress before its end
            del self.refs[job_id]
            cancelled = self.cancelled_at.pop(job_id, None) is not None
            try:
                name = ray.get(ref)
            except (ray.exceptions.TaskCancelledError, ray.exceptions.WorkerCrashedError) as exc:
                if cancelled or store.get(job_id).cancel_requested:
                    self.end(job_id, "cancelled", error="Cancelled by request.")
                else:
                    self.lost(job_id, exc)
            except ray.exceptions.RayTaskError as exc:
                cause = getattr(exc, "cause", None)
                if isinstance(cause, LatentLabError):
                    self.end(job_id, "failed", error=str(cause))
                elif store.get(job_id).cancel_requested:
                    self.end(job_id, "cancelled", error="Cancelled by request.")
                else:
                    self.end(job_id, "failed", error=f"Internal error on Ray: {type(cause).__name__}: {cause}")
            except ray.exceptions.RayError as exc:
                self.lost(job_id, exc)
            else:
                self.end(job_id, "succeeded", result=name, stage=None)

    def lost(self, job_id: int, exc) -> None:
        self.end(job_id, "interrupted", error=f"Job {job_id} was lost on the Ray cluster after {MAX_RETRIES + 1} tries "
                 f"({type(exc).__name__}); resume it with 'latentlab jobs resume {job_id}'.")

    def cancel_requested(self) -> None:
        now = time.time()
        for job in ray_jobs(self.address, ("running",)):
            if not job.cancel_requested or job.id not in self.refs:
                continue
            first = job.id not in self.cancelled_at
            if first or now - self.cancelled_at[job.id] > CANCEL_GRACE_S:
                with contextlib.suppress(Exception):
                    self.ray.cancel(self.refs[job.id], force=not first)
                self.cancelled_at[job.id] = now if first else self.cancelled_at[job.id] + CANCEL_GRACE_S

    def reap_orphans(self) -> None:
        """Running Ray jobs of this address whose driver is gone (its tasks went with it): interrupted."""
        for job in ray_jobs(self.address, ("running",)):
            if job.pid != os.getpid() and not pid_alive(job.pid):
                self.end(job.id, "interrupted", error=f"Job {job.id} was interrupted (the Ray driver on this machine "
                         f"ended); resume it with 'latentlab jobs resume {job.id}'.")

    def step(self) -> bool:
        """One round of the loop; True while there is work."""
        self.apply(self.ray.get(self.board.take.remote()))
        self.collect()
        self.threads = {j: t for j, t in self.threads.items() if t.is_alive()}
        self.cancel_requested()
        queued = sorted(ray_jobs(self.address, ("queued",)), key=lambda j: j.id)
        if queued and self.workspace_seen():
            for job in queued:
                if self.claim(job):
                    self.send(job)
        now = time.time()
        if now - self.beat > HEARTBEAT_EVERY_S:  # progress rows carry heartbeats too; this covers quiet stretches
            self.beat = now
            for job_id in [*self.refs, *self.threads]:
                with contextlib.suppress(Exception):
                    store.update(job_id, heartbeat=now)
        return bool(self.refs or self.threads or queued)

    def run(self) -> None:
        self.reap_orphans()
        idle_since = time.time()
        try:
            while True:
                if self.step():
                    idle_since = time.time()
                elif time.time() - idle_since > IDLE_EXIT_S:
                    return
                time.sleep(POLL_S)
        except Exception as exc:  # the cluster went away (or a bug): this driver's runs went with it
            for job in ray_jobs(self.address, ("running",)):
                if job.pid == os.getpid():
                    self.end(job.id, "interrupted", error=f"Job {job.id} was interrupted: the Ray driver lost the "
                             f"cluster at {self.address} ({type(exc).__name__}); resume it with 'latentlab jobs "
                             f"resume {job.id}' once the cluster is back.")
            raise


def main(address: str) -> int:
    lock = open(lock_path(address), "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0  # another driver follows this cluster for this workspace
    try:
        driver = Driver(address)
    except Exception as exc:  # the cluster went away between the submission's check and now
        for job in ray_jobs(address, ("queued",)):
            store.transition(job.id, ("queued",), state="failed", finished=time.time(),
                             error=f"Could not connect to the Ray cluster at {address} ({type(exc).__name__}); "
                                   "check that it is running and submit the job again.")
        return 1
    driver.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
