"""A training run, from names to a saved checkpoint: build a registry model for a dataset (or reopen an
unfinished run's checkpoint), run ``trainer.Trainer`` on it, and save weights, optimizer state and loss
history every ``checkpoint_every`` steps and at the end. ``lab.train`` is this module's ``train``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from latentlab.core.errors import LatentLabError
from latentlab.data import Dataset
from latentlab.models import MODELS, build_model, make_config
from latentlab.checkpoints import format as ckpts
from latentlab.training.foreign_train import build_trainable, check_trainable
from latentlab.checkpoints.resolve import as_dataset
from latentlab.models.likelihoods import default_likelihood
from latentlab.training.snapshots import snapshot_recorder
from latentlab.training.loggers import run_logs
from latentlab.training.trainer import BaseCallback, TrainConfig, Trainer

HISTORY_ROWS = 2000  # loss-history rows a checkpoint keeps (a longer history is thinned evenly)


@dataclass
class TrainResult:
    checkpoint: Path  # the manifest
    name: str
    step: int
    terms: dict
    samples_per_s: float
    seconds: float


class PeriodicCheckpoint(BaseCallback):
    """Save the run (weights, optimizer, history) every ``every`` steps and at the end."""

    def __init__(self, save, every: int):
        self.save, self.every = save, every

    def on_step(self, trainer: Trainer) -> None:
        st = trainer.state
        if self.every and st.step % self.every == 0 and st.step < st.total:
            self.save(trainer)

    def on_end(self, trainer: Trainer) -> None:
        self.save(trainer)


def saved_train_config(manifest: dict) -> TrainConfig:
    """The training settings a checkpoint was saved with, its total step count included."""
    saved = dict(manifest.get("training") or {})
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    cfg = TrainConfig(**{k: v for k, v in saved.items() if k in known})
    if saved.get("total_steps"):
        cfg.steps, cfg.epochs = int(saved["total_steps"]), None
    return cfg


def start_from_source(net) -> None:
    """A new run of a model whose config names a checkpoint to start from (DEC's ``init_from``): load that
    checkpoint here and hand its model in, so that no model loads checkpoints itself."""
    source_name = getattr(net.config, "init_from", "")
    if not source_name:
        return
    try:
        source = ckpts.read_checkpoint(source_name)
    except LatentLabError as exc:
        raise LatentLabError(f"init_from: {exc}") from None
    net.load_autoencoder(source.model, source.name, source.model_name)


def train(dataset: str | Dataset, model: str = "vae", model_params: dict | None = None,
          train_config: TrainConfig | None = None, name: str | None = None, callbacks=(),
          resume: str | Path | None = None) -> TrainResult:
    """Train a registry model, or a class an installed package registers with ``loss(x)`` (``model`` is then its
    entry-point name and ``model_params`` its constructor's keyword arguments), on a dataset and save it as a checkpoint.

    ``resume`` names an existing checkpoint of an unfinished run: its weights,
    optimizer state, step and loss history are restored and training continues
    to the run's total (with the run's saved settings unless ``train_config`` is given).
    """
    import torch

    from latentlab.models import model_class

    ck = ckpts.read_checkpoint(resume) if resume is not None else None
    cfg = train_config or (saved_train_config(ck.manifest) if ck is not None else TrainConfig(epochs=10))
    start_step, history = 0, []
    torch.manual_seed(cfg.seed)  # seeded initial weights
    if ck is not None:
        manifest, manifest_path = ck.manifest, ck.path
        ds = as_dataset(dataset if dataset is not None else ck.dataset_name)
        net, model, name = ck.model, ck.model_name, ck.name
        check_trainable(net, name)
        start_step = int(manifest.get("step", 0))
        history = list(manifest.get("history", []))
    else:
        ds = as_dataset(dataset)
        params = dict(model_params or {})
        if model not in MODELS:  # a class an installed package registers, with loss(x)
            net = build_trainable(model, ds, params)
        else:
            if "dataset_size" in {f.name for f in dataclasses.fields(model_class(model).config_cls)}:
                params["dataset_size"] = len(ds)
            config = make_config(model, ds.item_shape, default_likelihood(ds), **params)
            net = build_model(model, config)
        name = name or ckpts.unique_name(f"{ds.name}-{model}")
        manifest_path = ckpts.checkpoint_path(name)
        if manifest_path.exists():
            raise LatentLabError(f"A checkpoint named '{name}' already exists; choose another `name`.", param="name",
                                 value=name)
        start_from_source(net)
    trainer = Trainer(net, ds, cfg, start_step=start_step, history=history)
    if ck is not None:
        ckpts.load_optimizer_state(manifest, manifest_path.parent, trainer.optimizer)

    def save(tr: Trainer) -> None:
        st = tr.state
        hist = st.history if len(st.history) <= HISTORY_ROWS else st.history[:: len(st.history) // HISTORY_ROWS + 1]
        ckpts.save_checkpoint(
            tr.model, model, manifest_path,
            dataset={"name": ds.name, "fingerprint": ds.fingerprint, "kind": ds.kind, "item_shape": list(ds.item_shape), "n": len(ds)},
            training={**cfg.to_dict(), "total_steps": st.total},
            step=st.step, terms=st.terms, optimizer=tr.optimizer, history=hist,
        )

    snapshots = snapshot_recorder(cfg, ds, manifest_path, trainer.state.total)  # checked before anything is written
    logs = run_logs(manifest_path, name, model, net, ds, cfg)  # metrics.csv, TensorBoard, MLflow
    trainer.callbacks = [*callbacks, *snapshots, *logs, PeriodicCheckpoint(save, cfg.checkpoint_every)]
    state = trainer.run()
    return TrainResult(manifest_path, name, state.step, state.terms, state.samples_per_s, state.elapsed)
