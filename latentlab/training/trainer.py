"""A model-agnostic training loop with callbacks.

The loop knows nothing about a particular model: it calls ``model.loss`` on
batches and steps an Adam optimizer. Progress bars, loss logs, periodic
checkpoints, job heartbeats and the dashboard's progress bar are callbacks.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from latentlab.core.device import resolve_device
from latentlab.core.errors import LatentLabError, TrainingDiverged
from latentlab.data import Dataset
from latentlab.models import LatentModel
from latentlab.training.batches import BatchStream

CHECK_EVERY = 50  # steps between host checks that the loss stayed finite


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
    loggers: str = "auto"  # where the history goes besides the checkpoint (training/loggers.py): auto or csv,tensorboard,mlflow
    # training snapshots (training/snapshots.py): the probe's codes every snapshot_every steps (None: about 20 a
    # run), MIG and DCI every snapshot_metrics_every-th snapshot of a dataset with factors (0: never)
    snapshots: bool = True
    snapshot_every: int | None = None
    snapshot_metrics_every: int = 0

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


class BaseCallback:
    def on_start(self, trainer: "Trainer") -> None:
        pass

    def on_step(self, trainer: "Trainer") -> None:
        pass

    def on_end(self, trainer: "Trainer") -> None:
        pass


# ---------------------------------------------------------------- the loop


class Trainer:
    """Train ``model`` on ``dataset``; ``run`` returns the final ``TrainState``.

    Whether the loss stayed finite is tracked on the device and read on the
    host only at check steps, so steps are not serialised by a device-to-host
    copy. A step is a check step when it is a multiple of ``check_every``, a
    logging step (``log_every``, the first and the last step), or a multiple of
    the ``every`` attribute of any callback that has one (``PeriodicCheckpoint``
    and ``PrintProgress`` do). The check runs before the step's callbacks, and
    raises ``TrainingDiverged`` with the first step whose loss was NaN or
    infinite. So a callback that saves weights on multiples of its ``every``,
    or at the end, never saves weights trained past a non-finite loss; one
    that saves at other moments should call ``check_finite`` first.

    Parameters
    ----------
    check_every : int
        Steps between host checks of the loss at most (1 checks every step).
    """

    def __init__(self, model: LatentModel, dataset: Dataset, config: TrainConfig,
                 callbacks: list | tuple = (), start_step: int = 0, history: list | None = None,
                 check_every: int = CHECK_EVERY):
        self.model = model
        self.dataset = dataset
        self.config = config
        self.callbacks = list(callbacks)
        self.check_every = max(1, int(check_every))
        self.device = resolve_device(config.device)
        self.state = TrainState(step=start_step, total=config.total_steps(len(dataset)), history=list(history or []))
        # The fused update is one pass over all parameters instead of several per tensor: fewer kernel launches
        # on CUDA, and about a third more steps/s for small models on the CPU.
        fused = True if self.device.type in ("cpu", "cuda") else None
        settings = model.optimizer_settings()
        optimizer = torch.optim.AdamW if settings.get("weight_decay") else torch.optim.Adam
        self.optimizer = optimizer(model.parameters(), lr=config.lr, fused=fused, **settings)
        self._finite_steps = None  # device-side counters, see run
        self._all_finite = None
        self._checked = start_step  # the last step known to have a finite loss

    def run(self) -> TrainState:
        cfg, st = self.config, self.state
        check_training_data(self.dataset, self.model.config.likelihood)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed shapes: autotuned convolutions pay off after a few steps
        torch.manual_seed(cfg.seed + st.step)
        self.model.to(self.device).train()
        _move_optimizer_state(self.optimizer, self.device)
        stream = BatchStream(self.dataset, cfg.batch_size, self.device, cfg.seed + st.step)
        # A sticky "every loss since the last check was finite" flag, and for how many steps it held: the first
        # non-finite step is then known without looking at the loss on the host every step.
        self._all_finite = torch.ones((), dtype=torch.bool, device=self.device)
        self._finite_steps = torch.zeros((), dtype=torch.int32, device=self.device)
        self._checked = st.step
        self.model.begin_training(self)
        for cb in self.callbacks:
            cb.on_start(self)
        periods = {self.check_every, max(cfg.log_every, 1)}  # after on_start, which may settle a callback's period
        periods |= {cb.every for cb in self.callbacks if isinstance(getattr(cb, "every", None), int) and cb.every > 0}
        while st.step < st.total:
            x = stream.next()
            out = self.model.loss(x)
            self._all_finite &= torch.isfinite(out.loss.detach())
            self._finite_steps += self._all_finite
            self.optimizer.zero_grad(set_to_none=True)
            out.loss.backward()
            if cfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
            self.optimizer.step()
            st.step += 1
            st.samples_seen += x.shape[0]
            if self.model.after_step(self):
                st.total = st.step  # the model says it has converged: this is the last step
            if st.step == 1 or st.step == st.total or any(st.step % p == 0 for p in periods):
                terms = self.check_finite(out.terms)
                if st.step % max(cfg.log_every, 1) == 0 or st.step == st.total or st.step == 1:
                    st.terms = terms
                    st.history.append({"step": st.step, **st.terms})
            for cb in self.callbacks:
                cb.on_step(self)
        self.check_finite()
        self.model.eval()
        for cb in self.callbacks:
            cb.on_end(self)
        return st

    def check_finite(self, terms: dict | None = None) -> dict[str, float]:
        """Raise ``TrainingDiverged`` if a loss since the last check was not finite; else return ``terms`` as floats.

        One device-to-host copy for the count and all the terms together. The
        count is carried as float32 (MPS has no float64), which is exact
        because it restarts at every check.
        """
        if self._finite_steps is None:
            return {}
        names = list(terms or {})
        parts = [self._finite_steps.float().reshape(1)]
        if names:
            parts.append(torch.stack([terms[k].detach().float().reshape(()) for k in names]))
        values = torch.cat(parts).tolist()
        finite_steps, floats = int(values[0]), dict(zip(names, values[1:]))
        if self._checked + finite_steps < self.state.step:
            raise TrainingDiverged(self._checked + finite_steps + 1, floats)
        self._checked = self.state.step
        self._finite_steps.zero_()
        return floats


MAX_ABS_FEATURE = 1e3
RANGE_SAMPLE = 5000


def check_training_data(dataset: Dataset, likelihood: str) -> None:
    """Refuse data a model cannot learn from as it is, with what to do about it.

    Images must lie in [0, 1] (uint8 and bool are scaled on the fly); values
    beyond +-1000 mean the features were not standardised: imported tables are,
    so for them this only catches data built by hand, but imported embeddings are
    kept as given, and the message says how to import them standardised.
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
        largest = max(abs(lo), abs(hi))
        if dataset.kind == "embedding" and not dataset.codes_of:  # imported vectors, not a checkpoint's codes
            raise LatentLabError(f"Dataset '{dataset.name}' holds embeddings kept as given, with values as large as "
                                 f"{largest:.3g}, too large to train on; re-import the file with its columns standardised (the "
                                 "import's `standardise`, the Data page's box).", also=("standardise",))
        if dataset.kind == "signal":
            raise LatentLabError(f"Dataset '{dataset.name}' holds signals kept as given, with values as large as "
                                 f"{largest:.3g}, too large to train on; re-import them with each channel standardised "
                                 "(the signal import's `standardise`, the Data page's box).", also=("standardise",))
        raise LatentLabError(f"Dataset '{dataset.name}' has values as large as {largest:.3g}; standardise the "
                             "features (imports do this per column) before training.")


def _move_optimizer_state(optimizer: torch.optim.Optimizer, device: torch.device) -> None:
    fused = bool(optimizer.defaults.get("fused"))  # the fused update wants its step counts beside the parameters
    for state in optimizer.state.values():
        for k, v in state.items():
            if torch.is_tensor(v) and (k != "step" or fused):
                state[k] = v.to(device)


class ProgressBar(BaseCallback):
    """A tqdm bar on stderr: steps with their rate and ETA, and the loss terms every ``every`` steps
    (default: a twentieth of the run)."""

    def __init__(self, every: int | None = None, disable: bool = False):
        self.every = every  # the loss terms are read on these steps (see ``Trainer.check_finite``)
        self.disable = disable
        self.bar = None

    def on_start(self, trainer: Trainer) -> None:
        from tqdm.auto import tqdm

        st = trainer.state
        self.every = self.every or max(1, st.total // 20)
        self.bar = tqdm(total=st.total, initial=st.step, desc="training", unit="step", disable=self.disable,
                        dynamic_ncols=True)

    def on_step(self, trainer: Trainer) -> None:
        st = trainer.state
        self.bar.update(st.step - self.bar.n)
        if st.step % self.every == 0 or st.step == st.total:
            self.bar.set_postfix({k: f"{v:.3f}" for k, v in st.terms.items()}, refresh=False)

    def on_end(self, trainer: Trainer) -> None:
        if self.bar is not None:
            self.bar.close()
