"""What a background job costs over a direct call, and how fast a dead worker is noticed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time


def main() -> None:
    steps = "300"
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "LATENTLAB_HOME": home, "LATENTLAB_RUNNER_IDLE_S": "5"}
        base = [sys.executable, "-m", "latentlab", "train", "--dataset", "digits", "--model", "vae", "--steps", steps]
        t = time.perf_counter()
        subprocess.run(base + ["--name", "direct"], env=env, check=True, capture_output=True)
        direct = time.perf_counter() - t

        os.environ.update(env)
        from latentlab import jobs

        t = time.perf_counter()
        out = subprocess.run(base + ["--name", "job", "--background", "--json"], env=env, check=True, capture_output=True, text=True)
        job_id = int(out.stdout.split(":")[1].strip(" }\n"))
        submitted = time.perf_counter() - t
        while jobs.get(job_id).step == 0:
            time.sleep(0.02)
        first_step = time.perf_counter() - t
        job = jobs.wait(job_id, timeout=600, poll=0.05)
        as_job = time.perf_counter() - t
        assert job.state == "succeeded", job.error

        victim = jobs.submit_train("digits", "vae", {}, __import__("latentlab.training.trainer", fromlist=["x"]).TrainConfig(steps=100000))
        while jobs.get(victim).step == 0:
            time.sleep(0.05)
        os.kill(jobs.get(victim).pid, signal.SIGKILL)
        t = time.perf_counter()
        while jobs.get(victim).state != "interrupted":
            time.sleep(0.02)
        noticed = time.perf_counter() - t

    print(f"Training digits VAE for {steps} steps")
    print(f"  direct 'latentlab train':            {direct:6.2f} s")
    print(f"  as a job: submit returns after       {submitted:6.2f} s")
    print(f"            first step reported after  {first_step:6.2f} s")
    print(f"            job succeeded after        {as_job:6.2f} s  (overhead {as_job - direct:+.2f} s, {as_job / direct:.2f}x the direct call)")
    print(f"A kill -9'd worker was marked interrupted after {noticed:.2f} s (runner polls every 0.5 s)")


if __name__ == "__main__":
    main()
