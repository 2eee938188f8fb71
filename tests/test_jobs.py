"""The job system with real worker processes: kill -9 and resume, divergence,
cancel, concurrent submitters, and checkpoints that survive random kills."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from latentlab import jobs
from latentlab.checkpoints.format import read_checkpoint, user_checkpoints_dir
from latentlab.jobs import store
from latentlab.training.trainer import TrainConfig


@pytest.fixture
def job_env(workspace, monkeypatch):
    monkeypatch.setenv("LATENTLAB_RUNNER_IDLE_S", "3")
    yield workspace
    for job in jobs.list_jobs(jobs.ACTIVE):  # leave no worker behind
        try:
            jobs.cancel(job.id)
        except Exception:
            pass
    deadline = time.time() + 15
    while jobs.list_jobs(("running",)) and time.time() < deadline:
        time.sleep(0.2)


def wait_for(predicate, timeout=60.0, poll=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError("condition not met in time")


def test_kill_nine_then_resume_finishes_from_last_checkpoint(job_env):
    cfg = TrainConfig(steps=800, batch_size=64, checkpoint_every=50)
    job_id = jobs.submit_train("digits", "vae", {"latent_dim": 4}, cfg, name="killme")
    job = wait_for(lambda: (j := jobs.get(job_id)).step >= 120 and j)
    os.kill(job.pid, signal.SIGKILL)
    killed_at = time.time()
    job = wait_for(lambda: (j := jobs.get(job_id)).state == "interrupted" and j, timeout=30)
    noticed_after = time.time() - killed_at
    assert "resume" in job.error and noticed_after < 10
    saved_step = read_checkpoint("killme").manifest["step"]
    assert saved_step >= 100

    jobs.resume(job_id)
    job = jobs.wait(job_id, timeout=180)
    assert job.state == "succeeded", job.error
    assert job.resumed_from is not None and job.resumed_from >= 100
    assert job.step == job.total == 800 and job.attempts == 2
    ck = read_checkpoint(job.to_dict()["checkpoint"])
    assert ck.manifest["step"] == 800
    steps = [h["step"] for h in jobs.history(job_id)]
    assert steps == sorted(steps) and steps[-1] == 800 and steps[0] < job.resumed_from


def test_divergence_fails_clearly_and_keeps_last_good_checkpoint(job_env):
    cfg = TrainConfig(steps=300, lr=10.0, checkpoint_every=1)
    job_id = jobs.submit_train("wine", "vae", {}, cfg, name="boom")
    job = jobs.wait(job_id, timeout=90)
    assert job.state == "failed"
    assert "diverged at step" in job.error
    step = int(job.error.split("diverged at step ")[1].split()[0])
    assert step > 1
    assert read_checkpoint("boom").manifest["step"] == step - 1


def test_cancel_stops_a_running_job_within_seconds(job_env):
    job_id = jobs.submit_train("digits", "vae", {}, TrainConfig(steps=100_000), name="long")
    wait_for(lambda: jobs.get(job_id).step > 0)
    t0 = time.time()
    jobs.cancel(job_id)
    job = wait_for(lambda: (j := jobs.get(job_id)).state == "cancelled" and j, timeout=10)
    assert time.time() - t0 < 5 and job.step < 100_000


def test_jobs_survive_their_submitters_and_get_distinct_ids(job_env):
    cmd = [sys.executable, "-m", "latentlab", "train", "--dataset", "wine", "--model", "ae", "--steps", "40",
           "--background", "--json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=os.environ.copy()) for _ in range(2)]
    ids = [json.loads(p.communicate(timeout=60)[0])["job"] for p in procs]
    assert all(p.returncode == 0 for p in procs)  # both submitters have exited
    assert len(set(ids)) == 2
    for job_id in ids:
        job = jobs.wait(job_id, timeout=120)
        assert job.state == "succeeded", job.error
        read_checkpoint(job.to_dict()["checkpoint"])


def test_sweep_submits_one_job_per_grid_point(job_env):
    sweep, ids = jobs.submit_sweep("wine", "beta-vae", {"beta": [1.0, 4.0], "seed": [0, 1]}, {"latent_dim": 2},
                                   TrainConfig(steps=5_000))
    for job_id in ids:
        jobs.cancel(job_id)
    points = sorted((jobs.get(i).params["model_params"]["beta"], jobs.get(i).params["train_config"]["seed"]) for i in ids)
    assert points == [(1.0, 0), (1.0, 1), (4.0, 0), (4.0, 1)]
    assert {jobs.get(i).sweep for i in ids} == {sweep}
    assert len({jobs.get(i).params["name"] for i in ids}) == 4


def test_a_dead_worker_is_marked_interrupted(job_env):
    job_id = store.create("train", {"name": "ghost"})
    store.update(job_id, state="running", pid=2**22 + 12345, heartbeat=time.time())  # no such process
    from latentlab.jobs.runner import reap_dead_workers

    assert reap_dead_workers() == [job_id]
    assert jobs.get(job_id).state == "interrupted"


def test_bad_requests_are_refused_before_queueing(job_env):
    from latentlab.core.errors import LatentLabError

    with pytest.raises(LatentLabError, match="Unknown dataset"):
        jobs.submit_train("nope", "vae", {}, TrainConfig(steps=1))
    with pytest.raises(LatentLabError, match="no setting beta"):
        jobs.submit_train("wine", "ae", {"beta": 3}, TrainConfig(steps=1))
    with pytest.raises(LatentLabError, match="No job with id"):
        jobs.get(999)
    assert jobs.list_jobs() == []


SAVER = """
import sys, torch
from latentlab.checkpoints.format import save_checkpoint
from latentlab.models import build_model, make_config
model = build_model("vae", make_config("vae", (1, 64, 64), "bernoulli", latent_dim=10))
opt = torch.optim.Adam(model.parameters())
step = 0
while True:
    step += 1
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01)
    save_checkpoint(model, "vae", sys.argv[1], {"name": "shapes"}, {}, step, {"loss": float(step)}, optimizer=opt)
    print(step, flush=True)
"""


def test_checkpoint_writes_survive_random_kills(workspace, tmp_path):
    import random

    from latentlab.checkpoints.format import list_checkpoints

    target = user_checkpoints_dir() / "hammer.json"
    rng = random.Random(0)
    last_step = 0
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(target)], stdout=subprocess.PIPE, text=True)
        proc.stdout.readline()  # at least one complete save
        time.sleep(rng.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        ck = read_checkpoint("hammer")  # the newest complete checkpoint always loads
        assert ck.manifest["step"] >= 1
        last_step = ck.manifest["step"]
    assert last_step >= 1
    list_checkpoints()  # the next start clears what killed writers left
    assert not [p.name for p in target.parent.iterdir() if p.name.startswith(".tmp-")]


def test_a_save_stopped_between_its_two_moves_is_finished_by_the_next_reader(workspace, monkeypatch):
    """Weights moved into place, manifest still staged: a reader moves the manifest in and loads the new pair."""
    import os

    import torch

    from latentlab.checkpoints import format as checkpoints
    from latentlab.models import build_model, make_config

    model = build_model("ae", make_config("ae", (4,), "gaussian", latent_dim=2))
    target = user_checkpoints_dir() / "halfway.json"
    checkpoints.save_checkpoint(model, "ae", target, {"name": "t"}, {}, 1, {"loss": 1.0})
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    real_replace = os.replace

    def stop_before_the_manifest(src, dst):
        if os.path.basename(dst) == "halfway.json":
            raise KeyboardInterrupt  # the process dies before the manifest's move
        real_replace(src, dst)

    monkeypatch.setattr(checkpoints.os, "replace", stop_before_the_manifest)
    with pytest.raises(KeyboardInterrupt):
        checkpoints.save_checkpoint(model, "ae", target, {"name": "t"}, {}, 2, {"loss": 0.5})
    monkeypatch.setattr(checkpoints.os, "replace", real_replace)
    assert json.loads(target.read_text())["step"] == 1  # the old manifest, beside the new weights
    assert [r["name"] for r in checkpoints.list_checkpoints() if r["source"] == "user"] == ["halfway"]
    ck = checkpoints.read_checkpoint("halfway")
    assert ck.manifest["step"] == 2
    torch.testing.assert_close(ck.model.state_dict(), model.state_dict())
