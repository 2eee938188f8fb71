"""A model-agnostic training loop with callbacks.

The loop knows nothing about a particular model: it calls ``model.loss`` on
batches and steps an Adam optimizer. Progress bars, loss logs, periodic
checkpoints, job heartbeats and the dashboard's progress bar are callbacks.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Protocol

import numpy as np
import torch

from latentlab.data import Dataset
from latentlab.device import resolve_device
from latentlab.errors import LatentLabError, TrainingDiverged
from latentlab.models import LatentModel

IN_MEMORY_BYTES = 512 * 1024**2  # data smaller than this (as float32) lives on the device


@dataclass
class TrainConfig:
    epochs: int | None = None
    steps: int | None = None
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    device: str = "auto"
    grad_clip: float = 10.0
    checkpoint_every: int = 0
    log_every: int = 10

    def total_steps(self, n_items: int) -> int:
        per_epoch = max(1, math.ceil(n_items / self.batch_size))
        if self.steps:
            return int(self.steps)
        return int(self.epochs or 10) * per_epoch

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainState:
    step: int = 0
    total: int = 0
    terms: dict[str, float] = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)  # one row per logged step
    started: float = field(default_factory=time.time)
    samples_seen: int = 0

    @property
    def elapsed(self) -> float:
        return time.time() - self.started

    @property
    def samples_per_s(self) -> float:
        return self.samples_seen / max(self.elapsed, 1e-9)


class Callback(Protocol):
    def on_start(self, trainer: "Trainer") -> None: ...
    def on_step(self, trainer: "Trainer") -> None: ...
    def on_end(self, trainer: "Trainer") -> None: ...


class BaseCallback:
    def on_start(self, trainer: "Trainer") -> None:
        pass

    def on_step(self, trainer: "Trainer") -> None:
        pass

    def on_end(self, trainer: "Trainer") -> None:
        pass


class BatchStream:
    """Random mini-batches as float32 tensors on the device, epoch by epoch."""

    def __init__(self, dataset: Dataset, batch_size: int, device: torch.device, seed: int):
        self.dataset = dataset
        self.batch_size = min(batch_size, len(dataset))
        self.device = device
        self.rng = np.random.default_rng(seed)
        n_bytes = len(dataset) * int(np.prod(dataset.item_shape)) * 4
        self.resident = torch.from_numpy(dataset.as_float()).to(device) if n_bytes <= IN_MEMORY_BYTES else None
        self._order = np.empty(0, dtype=np.int64)

    def next(self) -> torch.Tensor:
        if len(self._order) < self.batch_size:
            self._order = self.rng.permutation(len(self.dataset))
        idx, self._order = self._order[: self.batch_size], self._order[self.batch_size :]
        if self.resident is not None:
            return self.resident[torch.from_numpy(idx).to(self.device)]
        return torch.from_numpy(self.dataset.as_float(idx)).to(self.device, non_blocking=True)


class Trainer:
    """Train ``model`` on ``dataset``; ``run`` returns the final ``TrainState``."""

    def __init__(self, model: LatentModel, dataset: Dataset, config: TrainConfig,
                 callbacks: list | tuple = (), start_step: int = 0, history: list | None = None):
        self.model = model
        self.dataset = dataset
        self.config = config
        self.callbacks = list(callbacks)
        self.device = resolve_device(config.device)
        self.state = TrainState(step=start_step, total=config.total_steps(len(dataset)), history=list(history or []))
        self.optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)

    def run(self) -> TrainState:
        cfg, st = self.config, self.state
        check_training_data(self.dataset, self.model.config.likelihood)
        torch.manual_seed(cfg.seed + st.step)
        self.model.to(self.device).train()
        _move_optimizer_state(self.optimizer, self.device)
        stream = BatchStream(self.dataset, cfg.batch_size, self.device, cfg.seed + st.step)
        for cb in self.callbacks:
            cb.on_start(self)
        while st.step < st.total:
            x = stream.next()
            out = self.model.loss(x)
            if not torch.isfinite(out.loss):
                raise TrainingDiverged(st.step + 1, {k: float(v.detach()) for k, v in out.terms.items()})
            self.optimizer.zero_grad(set_to_none=True)
            out.loss.backward()
            if cfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
            self.optimizer.step()
            st.step += 1
            st.samples_seen += x.shape[0]
            if st.step % max(cfg.log_every, 1) == 0 or st.step == st.total or st.step == 1:
                st.terms = {k: float(v.detach()) for k, v in out.terms.items()}
                st.history.append({"step": st.step, **st.terms})
            for cb in self.callbacks:
                cb.on_step(self)
        self.model.eval()
        for cb in self.callbacks:
            cb.on_end(self)
        return st


MAX_ABS_FEATURE = 1e3
RANGE_SAMPLE = 5000


def check_training_data(dataset: Dataset, likelihood: str) -> None:
    """Refuse data a model cannot learn from as it is, with what to do about it.

    Images must lie in [0, 1] (uint8 and bool are scaled on the fly); table
    values beyond +-1000 mean the features were not standardised (imports are
    standardised per column, so this only catches data built by hand).
    """
    if len(dataset) < 2:
        raise LatentLabError(f"Dataset '{dataset.name}' has fewer than two items; training needs more data.")
    idx = np.linspace(0, len(dataset) - 1, min(len(dataset), RANGE_SAMPLE)).astype(np.int64)
    sample = dataset.as_float(idx)
    if not np.isfinite(sample).all():
        raise LatentLabError(f"Dataset '{dataset.name}' holds NaN or infinite values; clean them before training.")
    lo, hi = float(sample.min()), float(sample.max())
    if likelihood == "bernoulli" and (lo < 0.0 or hi > 1.0):
        raise LatentLabError(f"Dataset '{dataset.name}' has image values in [{lo:.3g}, {hi:.3g}] but they must lie in [0, 1]; "
                             "divide 0..255 pixels by 255 (imports do this).")
    if max(abs(lo), abs(hi)) > MAX_ABS_FEATURE:
        raise LatentLabError(f"Dataset '{dataset.name}' has values as large as {max(abs(lo), abs(hi)):.3g}; standardise the "
                             "features (imports do this per column) before training.")


def _move_optimizer_state(optimizer: torch.optim.Optimizer, device: torch.device) -> None:
    for state in optimizer.state.values():
        for k, v in state.items():
            if torch.is_tensor(v) and k != "step":
                state[k] = v.to(device)


class PrintProgress(BaseCallback):
    """One line per ``every`` steps on stderr: step, loss terms, throughput."""

    def __init__(self, every: int = 100, stream=None):
        import sys

        self.every = every
        self.stream = stream or sys.stderr

    def on_step(self, trainer: Trainer) -> None:
        st = trainer.state
        if st.step % self.every == 0 or st.step == st.total:
            terms = " ".join(f"{k}={v:.3f}" for k, v in st.terms.items())
            print(f"step {st.step}/{st.total} {terms} ({st.samples_per_s:,.0f} samples/s)", file=self.stream, flush=True)
