"""The job runner: one small process per workspace that starts queued jobs as
worker processes, up to a parallelism limit, and marks jobs whose worker died
as interrupted.

A worker is dead when its pid is gone (or a zombie) or its heartbeat is older
than ``HEARTBEAT_TIMEOUT_S``. The runner exits after ``IDLE_EXIT_S`` with
nothing to do; every submit starts it again if needed (``ensure_runner``).
Only one runner holds ``runner.lock`` at a time.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from latentlab.jobs import store
from latentlab.core.workspace import home, remove_stale_temporaries, subdir

POLL_S = 0.5
HEARTBEAT_TIMEOUT_S = float(os.environ.get("LATENTLAB_HEARTBEAT_TIMEOUT_S", "60"))
IDLE_EXIT_S = float(os.environ.get("LATENTLAB_RUNNER_IDLE_S", "30"))


def max_workers() -> int:
    return max(1, int(os.environ.get("LATENTLAB_MAX_WORKERS", "1")))


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state in ("Z", "X"):
            return False
    return True


def local_jobs(states: tuple[str, ...]) -> list[store.Job]:
    """This machine's jobs in ``states``; jobs sent to a Ray cluster are its driver's (``ray_driver``)."""
    return [job for job in store.list_jobs(states) if not job.executor]


def reap_dead_workers(children: dict[int, subprocess.Popen] | None = None) -> list[int]:
    """Mark running jobs whose worker is gone as interrupted; returns their ids."""
    for proc in (children or {}).values():
        proc.poll()  # collect exit statuses so dead children are not zombies
    now, lost = time.time(), []
    for job in local_jobs(("running",)):
        stale = job.heartbeat is not None and now - job.heartbeat > HEARTBEAT_TIMEOUT_S
        if not pid_alive(job.pid) or stale:
            if stale and pid_alive(job.pid):
                with contextlib.suppress(OSError):
                    os.kill(job.pid, signal.SIGKILL)
            reason = "its worker stopped responding" if stale else "its worker process ended unexpectedly"
            if store.transition(job.id, ("running",), state="interrupted", finished=now,
                                error=f"Job {job.id} was interrupted ({reason}); resume it with 'latentlab jobs resume {job.id}'."):
                lost.append(job.id)
    return lost


def start_worker(job: store.Job) -> subprocess.Popen:
    log_dir = subdir("runs") / str(job.id)
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "log.txt", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "latentlab.jobs.worker", str(job.id)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, env={**os.environ, "LATENTLAB_HOME": str(home())},
        )
    claimed = store.transition(job.id, ("queued",), state="running", pid=proc.pid, heartbeat=time.time(),
                               started=time.time(), attempts=job.attempts + 1, error=None)
    if not claimed:  # cancelled in the meantime
        proc.kill()
    return proc


def run_forever() -> None:
    lock_file = open(home() / "runner.lock", "a+")
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return  # another runner is in charge
    nice = int(os.environ.get("LATENTLAB_JOB_NICE") or 0)  # a shared server's jobs run below its pages
    if nice:
        os.nice(nice)  # the workers it starts inherit it
    remove_stale_temporaries(subdir("checkpoints"))
    children: dict[int, subprocess.Popen] = {}
    idle_since = time.time()
    while True:
        reap_dead_workers(children)
        children = {jid: p for jid, p in children.items() if p.poll() is None}
        running = local_jobs(("running",))
        queued = sorted(local_jobs(("queued",)), key=lambda j: j.id)
        for job in queued[: max(0, max_workers() - len(running))]:
            children[job.id] = start_worker(job)
        if running or queued or children:
            idle_since = time.time()
        elif time.time() - idle_since > IDLE_EXIT_S:
            return
        time.sleep(POLL_S)


def lock_held(path: Path) -> bool:
    """Whether a live process holds the lock file ``path`` (a process that died let go of it)."""
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


def runner_alive() -> bool:
    return lock_held(home() / "runner.lock")


def ensure_runner() -> None:
    """Start a detached runner unless one is already running for this workspace."""
    if runner_alive():
        return
    log = subdir("runs") / "runner.log"
    with open(log, "ab") as out:
        subprocess.Popen([sys.executable, "-m", "latentlab.jobs.runner"], stdin=subprocess.DEVNULL, stdout=out,
                         stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ, "LATENTLAB_HOME": str(home())})


if __name__ == "__main__":
    run_forever()
