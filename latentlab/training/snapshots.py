"""Snapshots during training: every ``snapshot_every`` steps a run encodes a fixed probe set of its dataset and
records the probe's codes with the cheap diagnostics (KL per latent, active units, reconstruction error), so that
the formation of the latent space can be watched afterwards (``lab.dynamics``).

The probe is a stratified sample (by label, else by the first factor, else even) drawn once with a fixed seed
and stored with the snapshots; a resumed run reads it back, so every snapshot of a run shows the same items. A
snapshot is taken at step 0 (the untrained encoder), on every multiple of ``snapshot_every`` and at the last
step; the reconstruction error is measured on every fourth probe item. With ``snapshot_metrics_every`` M, every M-th snapshot of a dataset with factors also scores MIG and DCI
on the probe's codes.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from latentlab.checkpoints.snapshots import SnapshotRecord, new_record, read_snapshots
from latentlab.core.errors import LatentLabError
from latentlab.data import Dataset
from latentlab.training.trainer import BaseCallback, TrainConfig, Trainer

TARGET_SNAPSHOTS = 20  # snapshots over a run by default (plus step 0)
PROBE_ITEMS = 2000
PASSIVE_KL = 0.01  # nats: a latent under this mean KL is passive (as in analysis.metrics.diagnostics)
CHUNK = 512
COST_BUDGET = 0.03  # of a run's time spent on snapshots at most, by default (the goal is 5%)
ENCODE_COST = 0.25  # an item's encoding (and every RECON_EVERY-th item's decoding) against a training item's step
RECON_EVERY = 4  # the reconstruction error is measured on every 4th probe item (a decode costs as much as an encode)
SNAPSHOT_METRICS = ("mig", "dci")


def default_snapshot_every(total_steps: int, batch_size: int = 128, probe_items: int = PROBE_ITEMS) -> int:
    """Steps between snapshots when none is given: about ``TARGET_SNAPSHOTS`` over the run, but never so often
    that encoding the probe costs more than ``COST_BUDGET`` of the training (a snapshot encodes ``probe_items``
    at about ``ENCODE_COST`` of a training step's cost per item; benchmarks/snapshot_cost.py measures it), and
    never past the run's end."""
    spread = math.ceil(int(total_steps) / TARGET_SNAPSHOTS)
    affordable = math.ceil(probe_items * ENCODE_COST / (COST_BUDGET * max(1, int(batch_size))))
    return max(1, min(int(total_steps), max(spread, affordable)))


def check_snapshot_every(every: int | None, total_steps: int, batch_size: int = 128,
                         probe_items: int = PROBE_ITEMS) -> int:
    """``every`` checked against the run's length (None: the default); the value to use."""
    if every is None:
        return default_snapshot_every(total_steps, batch_size, probe_items)
    if int(every) < 1:
        raise LatentLabError(f"`snapshot_every` {every} must be at least 1 step; give a positive number of steps "
                             "or leave it out for the default.", param="snapshot_every", value=every)
    if int(every) > int(total_steps):
        raise LatentLabError(f"`snapshot_every` {every} is past the run's length of {total_steps} steps; give at "
                             f"most {total_steps}.", param="snapshot_every", value=every)
    return int(every)


def snapshot_steps(total_steps: int, every: int, start: int = 0) -> list[int]:
    """The steps a run of ``total_steps`` snapshots after ``start``: 0 (a fresh run), multiples of ``every``, the end."""
    steps = set(range(0, int(total_steps) + 1, int(every))) | {int(total_steps)}
    return sorted(s for s in steps if s > start or (s == 0 and start == 0))


def probe_indices(dataset: Dataset, n: int = PROBE_ITEMS, seed: int = 0) -> np.ndarray:
    """``n`` item indices (sorted) of ``dataset``, stratified by its labels (else its first factor), each group
    represented in proportion to its size and at least once where ``n`` allows."""
    N = len(dataset)
    if N <= n:
        return np.arange(N, dtype=np.int64)
    rng = np.random.default_rng(seed)
    groups = dataset.labels if dataset.labels is not None else (
        dataset.factors.iloc[:, 0].to_numpy() if dataset.factors is not None and dataset.factors.shape[1] else None)
    if groups is None:
        return np.sort(rng.choice(N, n, replace=False)).astype(np.int64)
    _, inverse, counts = np.unique(np.asarray(groups).astype(str), return_inverse=True, return_counts=True)
    quota = np.maximum(1, np.floor(counts * n / N)).astype(int) if len(counts) <= n else np.floor(counts * n / N).astype(int)
    order = np.argsort(-(counts * n / N - quota))  # the largest remainders get the items left over
    for g in order[: max(0, n - int(quota.sum()))]:
        quota[g] += 1
    picked = [rng.choice(np.flatnonzero(inverse == g), min(q, c), replace=False)
              for g, (q, c) in enumerate(zip(quota, counts)) if q]
    return np.sort(np.concatenate(picked))[:n].astype(np.int64)


@torch.inference_mode()
def encode_probe(model, x: torch.Tensor) -> tuple[np.ndarray, dict]:
    """The probe's codes (P, D) and the cheap diagnostics of ``model`` on the probe items ``x`` (P, *shape)."""
    means, kls, errors = [], [], []
    for start in range(0, len(x), CHUNK):
        xb = x[start : start + CHUNK]
        post = model.encode(xb)
        means.append(post.mean.float())
        kl = model.kl_per_dim(post)
        if kl is not None:
            kls.append(kl.float().sum(0))
        if model.has_decoder:
            some = slice(None, None, RECON_EVERY)  # (B / 4,) items: a decode costs as much as an encode
            errors.append(((model.decode(post.mean[some]) - xb[some]) ** 2).flatten(1).mean(1))
    codes = torch.cat(means).cpu().numpy()  # (P, D)
    kl_dim = (torch.stack(kls).sum(0) / len(x)).cpu().numpy() if kls else None  # (D,)
    if kl_dim is not None:
        active = int((kl_dim >= PASSIVE_KL).sum())
    else:  # no posterior: a latent that varies over the probe is active (a dead feature never does)
        active = int((codes.std(0) > 1e-6).sum())
    recon = float(torch.cat(errors).mean().cpu()) if errors else None
    return codes, {"kl_per_dim": None if kl_dim is None else [float(v) for v in kl_dim],
                   "active_units": active, "recon_error": recon}


def probe_metrics(codes: np.ndarray, factors: np.ndarray) -> dict[str, float]:
    """MIG and DCI of the probe's codes against its factors (a snapshot's full metric set)."""
    from latentlab.analysis.metrics import METRICS

    out = {}
    for name in SNAPSHOT_METRICS:
        result = METRICS[name](codes, factors, seed=0)
        out.update({k: float(v) for k, v in result.scores.items()})
    return out


class SnapshotRecorder(BaseCallback):
    """Record the probe's codes and diagnostics on the snapshot steps (see the module docstring).

    Its ``every`` makes the trainer check the loss is finite on those steps, so no snapshot shows weights trained
    past a non-finite loss.
    """

    def __init__(self, manifest_path, dataset: Dataset, every: int, probe_items: int = PROBE_ITEMS,
                 metrics_every: int = 0):
        self.manifest_path, self.dataset = manifest_path, dataset
        self.every, self.probe_items, self.metrics_every = int(every), int(probe_items), int(metrics_every or 0)
        self.record: SnapshotRecord | None = None
        self._x = None
        self._factors = None

    def on_start(self, trainer: Trainer) -> None:
        step = trainer.state.step
        record = read_snapshots(self.manifest_path) if step > 0 else None
        if record is not None and record.dataset.get("fingerprint") == self.dataset.fingerprint:
            record.keep_until(step)  # a resumed run: the same probe, the snapshots up to its checkpoint
        else:
            probe = probe_indices(self.dataset, self.probe_items)
            record = new_record(self.manifest_path, probe, {"name": self.dataset.name, "n": len(self.dataset),
                                                            "fingerprint": self.dataset.fingerprint}, self.every)
        self.record = record
        self._x = torch.from_numpy(self.dataset.as_float(record.probe)).to(trainer.device)
        if self.metrics_every and self.dataset.factors is not None:
            self._factors = self.dataset.factors.to_numpy()[record.probe]
        if step == 0:
            self.snapshot(trainer)

    def on_step(self, trainer: Trainer) -> None:
        st = trainer.state
        if st.step % self.every == 0 or st.step == st.total:
            self.snapshot(trainer)

    def snapshot(self, trainer: Trainer) -> None:
        model = trainer.model
        was_training = model.training
        model.eval()
        try:
            codes, entry = encode_probe(model, self._x)
        finally:
            model.train(was_training)
        if self._factors is not None and len(self.record.entries) % self.metrics_every == 0:
            entry["metrics"] = probe_metrics(codes, self._factors)
        self.record.append(trainer.state.step, codes, entry)


def snapshot_recorder(cfg: TrainConfig, dataset: Dataset, manifest_path, total_steps: int) -> list[SnapshotRecorder]:
    """The run's recorder as a list of callbacks (none when the run's settings turn snapshots off); the settings
    are checked here, before anything is written."""
    if not getattr(cfg, "snapshots", True):
        return []
    every = check_snapshot_every(getattr(cfg, "snapshot_every", None), total_steps, cfg.batch_size,
                                 min(PROBE_ITEMS, len(dataset)))
    metrics_every = int(getattr(cfg, "snapshot_metrics_every", 0) or 0)
    if metrics_every < 0:
        raise LatentLabError(f"`snapshot_metrics_every` {metrics_every} must be 0 (never) or a positive number of "
                             "snapshots.", param="snapshot_metrics_every", value=metrics_every)
    return [SnapshotRecorder(manifest_path, dataset, every, metrics_every=metrics_every)]
