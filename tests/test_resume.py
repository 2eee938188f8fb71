"""Resuming an interrupted run from its checkpoint in Python: it continues with the run's own settings to the
run's own total, and a DEC run keeps the phase (pretraining or clustering) and the centroids it had."""

import pytest
import torch

import latentlab as ll
from latentlab.checkpoints.format import read_checkpoint
from latentlab.training.trainer import BaseCallback, TrainConfig


class Stop(Exception):
    pass


class StopAt(BaseCallback):
    """Interrupts a run after ``step`` (before that step's checkpoint is written)."""

    def __init__(self, step: int):
        self.step = step

    def on_step(self, trainer):
        if trainer.state.step >= self.step:
            raise Stop


def interrupted(dataset, model: str, params: dict, cfg: TrainConfig, name: str, at: int) -> dict:
    with pytest.raises(Stop):
        ll.train(dataset, model, params, cfg, name=name, callbacks=[StopAt(at)])
    return read_checkpoint(name).manifest


def test_a_resumed_run_keeps_its_saved_settings_and_total(workspace, tiny_images):
    cfg = TrainConfig(steps=60, batch_size=16, lr=5e-4, checkpoint_every=10, seed=3)
    manifest = interrupted(tiny_images, "vae", {"latent_dim": 2, "hidden": "16"}, cfg, "cut", at=35)
    assert manifest["step"] == 30

    result = ll.train(tiny_images, resume="cut")  # no settings given: the run's own
    assert result.step == 60
    training = read_checkpoint("cut").manifest["training"]
    assert training["total_steps"] == 60 and training["batch_size"] == 16 and training["lr"] == 5e-4
    assert training["seed"] == 3


def test_a_resumed_run_of_epochs_keeps_its_step_total(workspace, tiny_images):
    cfg = TrainConfig(epochs=4, batch_size=16, checkpoint_every=4)  # 60 items: 4 batches an epoch, 16 steps
    interrupted(tiny_images, "ae", {"latent_dim": 2, "hidden": "16"}, cfg, "epochs", at=10)
    assert ll.train(tiny_images, resume="epochs").step == 16


def test_given_settings_replace_the_saved_ones(workspace, tiny_images):
    cfg = TrainConfig(steps=40, batch_size=16, checkpoint_every=10)
    interrupted(tiny_images, "ae", {"latent_dim": 2, "hidden": "16"}, cfg, "longer", at=15)
    assert ll.train(tiny_images, train_config=TrainConfig(steps=50, batch_size=16), resume="longer").step == 50


DEC = {"latent_dim": 2, "hidden": "16", "n_clusters": 3, "pretrain_steps": 20, "update_interval": 5, "tol": 0.0}


def test_dec_resumed_while_clustering_keeps_its_centroids_and_does_not_rerun_kmeans(workspace, tiny_images):
    cfg = TrainConfig(steps=60, batch_size=16, checkpoint_every=10)
    interrupted(tiny_images, "dec", DEC, cfg, "dec-late", at=45)
    saved = read_checkpoint("dec-late").model
    assert saved.clustering and saved.start_step == 20

    class FirstStep(BaseCallback):
        def on_step(self, trainer):
            if not hasattr(self, "centroids"):
                self.centroids = trainer.model.centroids.detach().clone()

    first = FirstStep()
    assert ll.train(tiny_images, resume="dec-late", callbacks=[first]).step == 60
    model = read_checkpoint("dec-late").model
    assert model.start_step == 20  # k-means ran once, when pretraining ended, not again at the resume
    # One step after the resume the centroids have moved by one optimizer step from the saved ones, not been
    # placed afresh by k-means.
    assert torch.allclose(first.centroids, saved.centroids, atol=0.05)


def test_dec_resumed_while_pretraining_starts_clustering_at_its_step(workspace, tiny_images):
    cfg = TrainConfig(steps=40, batch_size=16, checkpoint_every=5)
    interrupted(tiny_images, "dec", DEC, cfg, "dec-early", at=12)
    saved = read_checkpoint("dec-early")
    assert saved.manifest["step"] == 10 and not saved.model.clustering

    assert ll.train(tiny_images, resume="dec-early").step == 40
    model = read_checkpoint("dec-early").model
    assert model.clustering and model.start_step == 20
