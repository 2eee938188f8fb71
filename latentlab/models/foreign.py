"""A model trained elsewhere, seen through LatentLab's model interface.

Any ``torch.nn.Module`` with ``encode(x)`` (and optionally ``decode(z)`` and ``loss(x)``) is wrapped by
``ForeignModel`` so that every view asks it what it asks LatentLab's own models (``encode`` -> ``Posterior``,
``decode``, ``prior_frame``, ``kl_per_dim``, ``sample_prior``, ``has_decoder``); nothing subclasses our classes.

What ``encode(x)`` may return (checked once when the model is added, and on every batch after):

- a tensor ``(B, D)``: the code of a deterministic encoder;
- a pair ``(mean, logvar)`` of ``(B, D)`` tensors (a tuple, list or NamedTuple; ``logvar`` may be None): a
  Gaussian posterior;
- an object or mapping with a mean under one of ``MEAN_NAMES`` and a spread under one of ``LOGVAR_NAMES``
  (log-variances) or ``STD_NAMES`` (standard deviations), e.g. ``torch.distributions.Normal`` (``loc``,
  ``scale``) or pythae's ``ModelOutput`` (``embedding``, ``log_covariance``); a mean alone is a code.

A module that defines ``decode`` but sets ``has_decoder = False`` is taken at its word. A Gaussian encoder's prior
is taken to be N(0, I), the convention of the VAEs such code comes from: sampling
draws from it and the KL per dimension is to it. ``decode(z)`` must give ``(B, *item_shape)`` items (or as many
values per item, reshaped). The model's own preprocessing (``Preprocessing``) is applied to LatentLab's float
items before ``encode`` and undone on what ``decode`` returns, so views see items in the dataset's units.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import torch
from torch import nn

from latentlab.core.errors import LatentLabError
from latentlab.models.base import LatentModel, LossOutput, Posterior

MEAN_NAMES = ("mean", "mu", "loc", "z_mean", "embedding")
LOGVAR_NAMES = ("logvar", "log_var", "z_log_var", "log_variance", "log_covariance")
STD_NAMES = ("std", "stddev", "scale", "sigma")
KIND = "foreign"  # the manifest's "model" for every model brought from outside


@dataclass
class ForeignConfig:
    """What LatentLab knows of a foreign model's shape; found by probing it on the dataset when it is added."""

    latent_dim: int = field(default=1, metadata={"min": 1})  # checked against the limit as our models' are
    input_shape: tuple = ()  # the dataset's item shape
    likelihood: str = "gaussian"

    def to_dict(self) -> dict:
        return {"latent_dim": int(self.latent_dim), "input_shape": [int(v) for v in self.input_shape],
                "likelihood": self.likelihood}

    @classmethod
    def user_fields(cls) -> list:
        return []


@dataclass
class Preprocessing:
    """How the model wants its inputs, from LatentLab's float items ``x`` (images in [0, 1]):
    ``((x * scale) - mean) / std`` with ``mean``/``std`` per channel (images, axis 1) or per feature
    (vectors), or one value for all, then reshaped to ``input_shape`` (the model's own item shape)."""

    scale: float = 1.0
    mean: tuple = ()
    std: tuple = ()
    input_shape: tuple = ()

    @classmethod
    def from_dict(cls, raw: dict | None, item_shape: tuple, where: str = "preprocessing") -> "Preprocessing":
        """Checked against the dataset's ``item_shape``; one sentence for a bad value."""
        raw = dict(raw or {})
        unknown = sorted(set(raw) - {"scale", "mean", "std", "input_shape"})
        if unknown:
            raise LatentLabError(f"{where}: unknown keys {unknown}; use scale, mean, std and input_shape.")
        scale = _number(raw.get("scale", 1.0), f"{where}: scale")
        if scale == 0:
            raise LatentLabError(f"{where}: scale must not be 0.")
        width = item_shape[0] if len(item_shape) in (1, 3) else 1
        mean, std = (_per_channel(raw.get(k), width, f"{where}: {k}") for k in ("mean", "std"))
        if any(s <= 0 for s in std):
            raise LatentLabError(f"{where}: every std must be positive, not {list(std)}.")
        shape = tuple(raw.get("input_shape") or ())
        if shape and (not all(isinstance(v, int) and v > 0 for v in shape) or math.prod(shape) != math.prod(item_shape)):
            raise LatentLabError(f"{where}: input_shape {list(shape)} must be positive integers holding the "
                                 f"{math.prod(item_shape):,} values of an item of shape {list(item_shape)}.")
        return cls(scale, mean, std, shape)

    def to_dict(self) -> dict:
        return {"scale": self.scale, "mean": list(self.mean), "std": list(self.std), "input_shape": list(self.input_shape)}

    def _stats(self, x: torch.Tensor, values: tuple) -> torch.Tensor | None:
        if not values:
            return None
        t = torch.tensor(values, dtype=x.dtype, device=x.device)
        return t.view(1, -1, *([1] * (x.dim() - 2))) if len(values) > 1 else t  # (1, C, 1, 1) or (1, F)

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        """LatentLab items (B, *item_shape) -> the model's inputs (B, *input_shape)."""
        x = x * self.scale if self.scale != 1.0 else x
        mean, std = self._stats(x, self.mean), self._stats(x, self.std)
        x = x - mean if mean is not None else x
        x = x / std if std is not None else x
        return x.reshape(x.shape[0], *self.input_shape) if self.input_shape else x

    def invert(self, y: torch.Tensor, item_shape: tuple) -> torch.Tensor:
        """The model's outputs (B, ...) -> items in LatentLab's units (B, *item_shape)."""
        y = y.reshape(y.shape[0], *item_shape)
        std, mean = self._stats(y, self.std), self._stats(y, self.mean)
        y = y * std if std is not None else y
        y = y + mean if mean is not None else y
        return y / self.scale if self.scale != 1.0 else y


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise LatentLabError(f"{where} must be a finite number, not {value!r}.")
    return float(value)


def _per_channel(value, width: int, where: str) -> tuple:
    if value is None or value == []:
        return ()
    values = [value] if isinstance(value, (int, float)) else value
    if not isinstance(values, (list, tuple)) or len(values) not in (1, width):
        raise LatentLabError(f"{where} must be one number or {width} (one per channel), not {value!r}.")
    return tuple(_number(v, where) for v in values)


def posterior_of(out, where: str = "encode(x)") -> Posterior:
    """A ``Posterior`` from what a foreign ``encode`` returned (see the module docstring), or one sentence."""
    if torch.is_tensor(out):
        return Posterior(out, None)
    if isinstance(out, (tuple, list)) and not isinstance(out, Mapping) and _named(out, MEAN_NAMES) is None:
        if len(out) == 2 and torch.is_tensor(out[0]) and (out[1] is None or torch.is_tensor(out[1])):
            return Posterior(out[0], out[1])
        raise LatentLabError(f"{where} returned a sequence of {len(out)}; return the code, or a (mean, logvar) pair.")
    mean = _named(out, MEAN_NAMES)
    if mean is None:
        raise LatentLabError(f"{where} returned a {type(out).__name__}, which has none of {', '.join(MEAN_NAMES)}; "
                             "return the code as a tensor, or a (mean, logvar) pair.")
    logvar = _named(out, LOGVAR_NAMES)
    if logvar is None and (std := _named(out, STD_NAMES)) is not None:
        logvar = 2.0 * torch.log(std.clamp_min(1e-12))
    return Posterior(mean, logvar)


def _named(out, names: tuple) -> torch.Tensor | None:
    for name in names:
        value = out.get(name) if isinstance(out, Mapping) else getattr(out, name, None)
        if torch.is_tensor(value):
            return value
    return None


class ForeignModel(LatentModel):
    """A user's ``nn.Module`` (``module``) behind LatentLab's model interface.

    Parameters
    ----------
    module : nn.Module with ``encode(x)``, optionally ``decode(z)`` and ``loss(x)``
    config : ForeignConfig (latent width, the dataset's item shape)
    gaussian : whether ``encode`` gives a mean and a log-variance (then the prior is N(0, I))
    preprocessing : how the module wants its inputs
    source : where the module came from (a ``latentlab.checkpoints.sources.ModelSource``: its ``label()`` names
        it in messages)
    """

    config_cls = ForeignConfig

    def __init__(self, module: nn.Module, config: ForeignConfig, gaussian: bool,
                 preprocessing: Preprocessing | None = None, source=None):
        nn.Module.__init__(self)  # not LatentModel's: the networks are the user's
        self.inner = module
        self.config = config
        self.stochastic = bool(gaussian)
        self.preprocessing = preprocessing or Preprocessing()
        self.source = source
        # A module may say it has no decoder although it defines decode (an ONNX model added without its decoder file).
        self.has_decoder = callable(getattr(module, "decode", None)) and bool(getattr(module, "has_decoder", True))
        self.can_train = callable(getattr(module, "loss", None))

    @property
    def label(self) -> str:
        """Where the module came from, for messages: its class path, entry point or files."""
        return self.source.label() if self.source is not None else KIND

    def __deepcopy__(self, memo):
        # Views encode with a private copy so that a shared model never changes device or mode; a module that
        # keeps no torch state (ONNX sessions) cannot change either, and its runtime session is not copyable.
        if not any(True for _ in self.inner.parameters()) and not any(True for _ in self.inner.buffers()):
            twin = ForeignModel(self.inner, self.config, self.stochastic, self.preprocessing, self.source)
            twin.train(self.training)
            return twin
        cls = self.__class__
        twin = cls.__new__(cls)
        memo[id(self)] = twin
        for key, value in self.__dict__.items():
            setattr(twin, key, copy.deepcopy(value, memo))
        return twin

    def encode(self, x: torch.Tensor) -> Posterior:
        return check_posterior(self.encode_unchecked(x), x.shape[0], self.config.latent_dim, self.stochastic,
                               self.label)

    def encode_unchecked(self, x: torch.Tensor) -> Posterior:
        """``encode`` without the checks of every batch (shapes, finite values), which depend on the values: what
        an exporter traces."""
        return posterior_of(self.inner.encode(self.preprocessing.apply(x)), f"{self.label}: encode(x)")

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latents (B, D) -> items (B, *item_shape) in the dataset's units."""
        if not self.has_decoder:
            raise LatentLabError(f"{self.label} has no decode(z); reconstructions, traversals and samples need one.")
        out = self.inner.decode(z)
        item_shape = tuple(self.config.input_shape)
        if not torch.is_tensor(out) or out.shape[0] != z.shape[0] or out[0].numel() != math.prod(item_shape):
            got = list(out.shape) if torch.is_tensor(out) else type(out).__name__
            raise LatentLabError(f"{self.label}: decode(z) returned {got} for {z.shape[0]} codes, not items of "
                                 f"shape {list(item_shape)}; make decode return (B, {', '.join(map(str, item_shape))}).")
        return self.preprocessing.invert(out, item_shape)

    def loss(self, x: torch.Tensor) -> LossOutput:
        if not self.can_train:
            raise LatentLabError(f"{self.label} has no loss(x); LatentLab cannot train it.")
        return loss_output_of(self.inner.loss(self.preprocessing.apply(x)), self.label)

    def optimizer_settings(self) -> dict:
        settings = getattr(self.inner, "optimizer_settings", None)
        return dict(settings()) if callable(settings) else {}


def check_posterior(post: Posterior, batch: int, width: int | None, gaussian: bool | None, label: str) -> Posterior:
    """``post`` once its tensors are (batch, width), finite, and of the kind first seen (code or Gaussian)."""
    mean, logvar = post
    if mean.dim() != 2 or mean.shape[0] != batch:
        raise LatentLabError(f"{label}: encode(x) gave codes of shape {list(mean.shape)} for {batch} items; "
                             f"it must return ({batch}, D).")
    if width is not None and mean.shape[1] != width:
        raise LatentLabError(f"{label}: encode(x) gave codes of width {mean.shape[1]} where it first gave {width}; "
                             "the encoder's output width must not change between batches.")
    if logvar is not None and tuple(logvar.shape) != tuple(mean.shape):
        raise LatentLabError(f"{label}: encode(x) gave a log-variance of shape {list(logvar.shape)} beside a mean of "
                             f"shape {list(mean.shape)}; they must match.")
    if gaussian is not None and (logvar is not None) != gaussian:
        raise LatentLabError(f"{label}: encode(x) gave {'a mean and log-variance' if logvar is not None else 'one code'} "
                             f"where it first gave {'a mean and log-variance' if gaussian else 'one code'}.")
    for name, t in (("codes", mean), ("log-variances", logvar)):
        if t is not None and not torch.isfinite(t).all():
            raise LatentLabError(f"{label}: encode(x) gave {name} that are NaN or infinite; check the weights and "
                                 "the preprocessing (scale, mean, std).")
    return Posterior(mean.float(), None if logvar is None else logvar.float())


def loss_output_of(out, label: str) -> LossOutput:
    """A ``LossOutput`` from a foreign ``loss(x)``: a scalar tensor, a (loss, terms) pair, or a mapping with a
    ``loss`` entry (its other scalar entries become the named terms)."""
    terms: dict = {}
    if isinstance(out, Mapping):
        terms = {k: v for k, v in out.items() if torch.is_tensor(v) and v.numel() == 1}
        out = out.get("loss")
    elif isinstance(out, (tuple, list)) and len(out) == 2 and isinstance(out[1], Mapping):
        out, terms = out[0], {k: v for k, v in out[1].items() if torch.is_tensor(v) and v.numel() == 1}
    if not torch.is_tensor(out) or out.numel() != 1:
        raise LatentLabError(f"{label}: loss(x) must return a scalar tensor, a (loss, terms) pair or a mapping with "
                             f"a 'loss' entry, not {type(out).__name__}.")
    loss = out.reshape(())
    return LossOutput(loss, {**{k: v.reshape(()) for k, v in terms.items()}, "loss": loss})
