"""A worker process: runs one job, reports progress and heartbeats to the job
table, and ends the job as succeeded, failed or cancelled.

Started by the runner as ``python -m latentlab.jobs.worker JOB_ID``, in its
own session, so Streamlit reruns, closed tabs or the submitting process
exiting never touch it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback

from latentlab.core.errors import JobCancelled, LatentLabError
from latentlab.jobs import store
from latentlab.jobs.train_runs import prepare_run
from latentlab.core.progress import Throttled
from latentlab.training.trainer import BaseCallback

REPORT_EVERY_S = 0.5
HEARTBEAT_EVERY_S = 2.0


class JobReporter(BaseCallback):
    """Sends step, loss terms and new history rows; raises if the job was cancelled."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.sent = 0
        self.last = 0.0

    def _report(self, trainer) -> None:
        st = trainer.state
        cancel = store.report_progress(self.job_id, st.step, st.total, st.terms, st.history[self.sent:])
        self.sent = len(st.history)
        self.last = time.time()
        if cancel:
            raise JobCancelled()

    def on_start(self, trainer) -> None:
        self._report(trainer)

    def on_step(self, trainer) -> None:
        if time.time() - self.last >= REPORT_EVERY_S or trainer.state.step == trainer.state.total:
            self._report(trainer)


def run_train(job: store.Job) -> str:
    run = prepare_run(job.params)
    if run.resume:
        store.update(job.id, resumed_from=run.resumed_from, step=run.resumed_from)
    return run.run([JobReporter(job.id)])


class JobProgress:
    """A ``progress`` sink (see ``latentlab.core.progress``) that writes to the job table and raises if the job
    was cancelled. Jobs wrap it in ``Throttled`` (see ``job_progress``)."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.stage: str | None = None

    def __call__(self, stage: str, done: int, total: int, unit: str = "items") -> None:
        new_stage, self.stage = stage != self.stage, stage
        if store.report_stage(self.job_id, stage, int(done), int(total), unit, new_stage):
            raise JobCancelled()


def job_progress(job_id: int) -> Throttled:
    """The job's progress sink: at most every ``REPORT_EVERY_S`` seconds, always a stage's start and end."""
    return Throttled(JobProgress(job_id), REPORT_EVERY_S)


def run_embed(job: store.Job) -> str:
    from latentlab import lab

    p = job.params
    emb = lab.embed(p["checkpoint"], p.get("dataset"), progress=job_progress(job.id))
    return f"embedding of {p.get('dataset') or 'its training set'} by {p['checkpoint']}: {len(emb.mean):,} x {emb.latent_dim}"


def run_project(job: store.Job) -> str:
    from latentlab import lab

    p = job.params
    lab.project(p.get("checkpoint"), p.get("dataset"), method=p["method"], dims=p.get("dims", 2), seed=p.get("seed", 0),
                progress=job_progress(job.id), **p.get("params", {}))
    return f"{p['method']} projection of {p.get('checkpoint') or p.get('dataset')}"


def run_cluster(job: store.Job) -> str:
    from latentlab import lab

    p = job.params
    res = lab.cluster(p.get("checkpoint"), p.get("dataset"), method=p["method"], on=p.get("on", "latent"),
                      seed=p.get("seed", 0), projection=p.get("projection"), progress=job_progress(job.id),
                      **p.get("params", {}))
    store.update(job.id, terms=res.scores)
    return f"{p['method']} clustering of {p.get('checkpoint') or p.get('dataset')}"


def run_metrics(job: store.Job) -> str:
    from latentlab import lab

    p = job.params
    results = lab.score(p["checkpoint"], p.get("dataset"), p.get("names"), n=p.get("n", 10_000), seed=p.get("seed", 0),
                    progress=job_progress(job.id))
    store.update(job.id, terms={f"{k}.{s}": v for k, r in results.items() for s, v in r.scores.items() if "[" not in s})
    return f"metrics of {p['checkpoint']}"


def run_import_text(job: store.Job) -> str:
    import shutil
    from pathlib import Path

    from latentlab.core.workspace import subdir
    from latentlab.data.registry import import_text_dataset

    p = job.params
    try:
        ds = import_text_dataset(p["path"], p["name"], text=p["text"], labels=p.get("labels"),
                                 encoder=p.get("encoder"), progress=job_progress(job.id))
    finally:
        folder = Path(p["path"]).parent
        if p.get("staged") and folder.parent == subdir("uploads"):  # only a copy made for this job goes
            shutil.rmtree(folder, ignore_errors=True)
    return f"imported '{ds.name}': {ds.description}"


KINDS = {"train": run_train, "embed": run_embed, "project": run_project, "cluster": run_cluster, "metrics": run_metrics,
         "import-text": run_import_text}


def _heartbeat(job_id: int, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_EVERY_S):
        try:
            store.update(job_id, heartbeat=time.time())
        except Exception:  # a busy database only delays one heartbeat
            pass


def _on_sigterm(signum, frame):
    raise JobCancelled()


def main(job_id: int) -> int:
    deadline = time.time() + 15
    job = store.get(job_id)
    while not (job.state == "running" and job.pid == os.getpid()):
        if time.time() > deadline or job.state != "queued":
            return 1  # the runner did not hand this job to us
        time.sleep(0.05)
        job = store.get(job_id)
    signal.signal(signal.SIGTERM, _on_sigterm)
    stop = threading.Event()
    threading.Thread(target=_heartbeat, args=(job_id, stop), daemon=True).start()
    try:
        if job.cancel_requested:
            raise JobCancelled()
        result = KINDS[job.kind](job)
    except JobCancelled:
        store.transition(job_id, ("running",), state="cancelled", finished=time.time(), error="Cancelled by request.")
        return 0
    except LatentLabError as exc:
        store.transition(job_id, ("running",), state="failed", finished=time.time(), error=str(exc))
        return 1
    except Exception as exc:
        traceback.print_exc()
        store.transition(job_id, ("running",), state="failed", finished=time.time(),
                         error=f"Internal error: {type(exc).__name__}: {exc} (see runs/{job_id}/log.txt).")
        return 1
    finally:
        stop.set()
    store.transition(job_id, ("running",), state="succeeded", finished=time.time(), result=result)
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
