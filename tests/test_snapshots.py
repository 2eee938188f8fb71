"""Training snapshots: the schedule's steps, a stratified probe set that stays the same across snapshots and
after a resume, and bad settings refused before anything is written."""

import numpy as np
import pytest

import latentlab as ll
from latentlab.checkpoints.format import checkpoint_path
from latentlab.checkpoints.snapshots import read_snapshots, snapshots_dir
from latentlab.data import Dataset
from latentlab.training.snapshots import default_snapshot_every, probe_indices, snapshot_steps
from latentlab.training.trainer import BaseCallback, TrainConfig

MODEL = {"latent_dim": 3, "hidden": "16"}


class Stop(Exception):
    pass


class StopAt(BaseCallback):
    def __init__(self, step):
        self.step = step

    def on_step(self, trainer):
        if trainer.state.step >= self.step:
            raise Stop


def test_schedule_steps():
    assert snapshot_steps(100, 25) == [0, 25, 50, 75, 100]
    assert snapshot_steps(10, 4) == [0, 4, 8, 10]  # the last step always
    assert snapshot_steps(60, 20, start=30) == [40, 60]  # a resumed run: only what comes after its step
    assert default_snapshot_every(4000, batch_size=128, probe_items=2000) == 200  # about 20 over a long run
    assert default_snapshot_every(1000, batch_size=128, probe_items=2000) == 131  # the probe's cost kept at 3%
    assert default_snapshot_every(1000, batch_size=128, probe_items=100) == 50
    assert default_snapshot_every(60, batch_size=128, probe_items=2000) == 60  # never past the run's end


def test_probe_is_stratified_and_fixed():
    labels = np.array(["a"] * 900 + ["b"] * 90 + ["c"] * 10)
    ds = Dataset(name="skewed", x=np.zeros((1000, 2), np.float32), kind="tabular", labels=labels)
    probe = probe_indices(ds, 100)
    assert len(probe) == 100 and len(np.unique(probe)) == 100
    counts = {k: int((labels[probe] == k).sum()) for k in "abc"}
    assert counts == {"a": 90, "b": 9, "c": 1}
    assert np.array_equal(probe, probe_indices(ds, 100))
    assert np.array_equal(probe_indices(ds, 5000), np.arange(1000))  # a small dataset is its own probe


def test_a_run_records_its_snapshots_on_the_same_probe(workspace, tiny_images):
    result = ll.train(tiny_images, "vae", MODEL, TrainConfig(steps=40, batch_size=16, snapshot_every=10), name="snap")
    record = read_snapshots(result.checkpoint)
    assert record.steps == [0, 10, 20, 30, 40]
    assert np.array_equal(record.probe, np.arange(len(tiny_images)))
    first, last = record.codes(0), record.codes(40)
    assert first.shape == last.shape == (len(tiny_images), 3) and not np.allclose(first, last)
    entry = record.entries[-1]
    assert len(entry["kl_per_dim"]) == 3 and 0 <= entry["active_units"] <= 3 and entry["recon_error"] > 0
    assert record.entries[-1]["recon_error"] < record.entries[0]["recon_error"]  # it learned something


def test_a_resumed_run_keeps_its_probe_and_takes_the_lost_snapshots_again(workspace):
    rng = np.random.default_rng(0)
    ds = Dataset(name="many", x=rng.random((300, 1, 8, 8)).astype(np.float32), kind="image",
                 labels=rng.integers(0, 3, 300))
    cfg = TrainConfig(steps=60, batch_size=16, checkpoint_every=20, snapshot_every=5)
    with pytest.raises(Stop):
        ll.train(ds, "vae", MODEL, cfg, name="cut", callbacks=[StopAt(27)])
    before = read_snapshots(checkpoint_path("cut"))
    assert before.steps[-1] == 25  # taken after the last checkpoint (step 20): lost with the interruption
    ll.train(ds, resume="cut")
    after = read_snapshots(checkpoint_path("cut"))
    assert after.steps == snapshot_steps(60, 5)
    assert np.array_equal(after.probe, before.probe)
    assert sorted(p.name for p in snapshots_dir(checkpoint_path("cut")).glob("step-*")) == \
        [f"step-{s:08d}.safetensors" for s in after.steps]


def test_a_run_without_snapshots_records_none(workspace, tiny_images):
    result = ll.train(tiny_images, "vae", MODEL, TrainConfig(steps=5, batch_size=16, snapshots=False), name="bare")
    assert read_snapshots(result.checkpoint) is None and not snapshots_dir(result.checkpoint).exists()


@pytest.mark.parametrize("every, words", [("0", "must be at least 1"), ("21", "past the run's length of 20 steps")])
def test_bad_snapshot_every_is_one_sentence_and_writes_nothing(workspace, capsys, every, words):
    from latentlab.cli import main

    code = main(["train", "--dataset", "digits", "--model", "vae", "--steps", "20", "--latent-dim", "2",
                 "--snapshot-every", every, "--name", "nope"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "--snapshot-every" in err and words in err
    assert not (workspace / "checkpoints").exists() or list((workspace / "checkpoints").iterdir()) == []
