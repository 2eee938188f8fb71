"""Following a background job from the command line: its stages drawn as progress bars until it ends. Used by
``latentlab jobs wait`` and by the commands that send work to a Ray cluster and wait for it (train, embed)."""

from __future__ import annotations


def follow(job_id: int, timeout: float, disable: bool = False, poll: float = 0.5):
    """Wait for a job, drawing its stages as progress bars on stderr; returns the job as it ended (or timed out)."""
    import time

    from latentlab import jobs
    from latentlab.core.progress import TqdmProgress

    deadline = time.time() + timeout
    with TqdmProgress(disable=disable) as bar:
        while True:
            job = jobs.get(job_id)
            if job.total and job.state == "running":
                bar(job.stage or job.kind, min(job.step, job.total - 1), job.total, job.unit or "steps")
            if job.state in jobs.FINISHED or time.time() > deadline:
                if job.state == "succeeded" and job.total:
                    bar(job.stage or job.kind, job.total, job.total, job.unit or "steps")
                return job
            time.sleep(poll)
