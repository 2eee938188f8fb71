"""The decoder's distribution p(x | z): what the reconstruction term measures and what a decoded item means.

Four likelihoods, as disent and disentangling-vae offer them (Kingma & Welling 2013, arXiv:1312.6114, Appendix C;
the learned variance as in Dai & Wipf 2019, "Diagnosing and Enhancing VAE Models", arXiv:1903.05789):

- ``bernoulli``: the decoder gives logits; the NLL is the binary cross-entropy; the mean is their sigmoid.
- ``gaussian``: a fixed standard deviation sigma (``noise_std``) for every feature; the NLL is
  0.5 ((x - mu) / sigma)^2 + log sigma + 0.5 log(2 pi).
- ``gaussian-learned``: the same, with log sigma a parameter of the model, one per feature or one for all
  (``learned_variance``), starting at log(``noise_std``): the variance converges to the data's noise.
- ``laplace``: a fixed scale b (``noise_std``); the NLL is |x - mu| / b + log(2 b), more tolerant of outliers.

Every NLL is the full negative log-likelihood in nats, constants included, summed over an item's features, so the
reconstruction terms of two likelihoods can be compared. A checkpoint saved before the Gaussian's constants were
counted (``gaussian`` with sigma 1, the only choice then) trains and decodes exactly as before; its logged
reconstruction term is 0.5 log(2 pi) = 0.919 nats per feature higher than the figures it logged.

``auto`` (the default) picks by the data: Bernoulli for images (which must lie in [0, 1]); a learned Gaussian for signals (their
noise is far smaller than their unit scale) and for other data whose spread is far from the unit variance of
standardised features; a unit-variance Gaussian for the rest (imports standardise tables per column).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from latentlab.core.errors import LatentLabError

LIKELIHOODS = ("bernoulli", "gaussian", "gaussian-learned", "laplace")
CHOICES = ("auto", *LIKELIHOODS)
LEARNED_VARIANCE = ("feature", "global")
LOG_SCALE_RANGE = (-9.0, 7.0)  # sigma in [1.2e-4, 1100]: a clamp so that a collapsing variance cannot reach 0
# The parameter holds log sigma / LOG_SCALE_GAIN: Adam moves a parameter by about the learning rate a step, so log
# sigma moves ten times that, and a variance reaches the data's noise in hundreds of steps instead of thousands
# (from sd 1 to 0.1 is 2.3 in log sigma: 2,300 steps at lr 1e-3 without the gain).
LOG_SCALE_GAIN = 10.0
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
RANGE_SAMPLE = 5000


def resolved(name: str) -> str:
    """``auto`` in a config built by hand (not through ``make_config``) means the unit-variance Gaussian, as it
    did before likelihoods were a setting."""
    return "gaussian" if name == "auto" else name


def check_setting(name: str, value, source: str) -> None:
    """Raise one sentence when ``likelihood``, ``noise_std`` or ``learned_variance`` has a value it cannot take."""
    if name == "likelihood" and value not in CHOICES:
        raise LatentLabError(f"{source}: `likelihood` {value!r} is unknown; use one of {', '.join(CHOICES)}.",
                             param="likelihood", value=value)
    if name == "noise_std":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise LatentLabError(f"{source}: `noise_std` must be a positive number (the likelihood's standard "
                                 f"deviation or scale), not {value!r}.", param="noise_std", value=value)
    if name == "learned_variance" and value not in LEARNED_VARIANCE:
        raise LatentLabError(f"{source}: `learned_variance` must be one of {', '.join(LEARNED_VARIANCE)}, not "
                             f"{value!r}.", param="learned_variance", value=value)


def default_likelihood(dataset) -> str:
    """The likelihood ``auto`` stands for on ``dataset`` (a ``Dataset``), from its kind and a sample's range."""
    idx = np.linspace(0, len(dataset) - 1, min(len(dataset), RANGE_SAMPLE)).astype(np.int64)
    sample = dataset.as_float(idx) if len(dataset) else np.zeros((1, 1), np.float32)
    return likelihood_for_values(dataset.kind, sample)


def likelihood_for_values(kind: str, sample: np.ndarray) -> str:
    """``default_likelihood`` given the data's kind and a sample of its values."""
    finite = sample[np.isfinite(sample)]
    if finite.size == 0:
        return "bernoulli" if kind == "image" else "gaussian"
    sd = float(finite.std())
    if kind == "image":  # pixels outside [0, 1] are refused with what to do (divide by 255), not modelled as they are
        return "bernoulli"
    if kind == "signal" or not 0.5 <= sd <= 2.0:
        return "gaussian-learned"
    return "gaussian"


def make_log_scale(config) -> nn.Parameter | None:
    """The learned log sigma / ``LOG_SCALE_GAIN`` of a ``gaussian-learned`` config (per feature, shaped like an
    item, or one value), sigma starting at ``noise_std``; None for the other likelihoods, which learn nothing."""
    if resolved(config.likelihood) != "gaussian-learned":
        return None
    shape = tuple(config.input_shape) if getattr(config, "learned_variance", "feature") == "feature" else (1,)
    return nn.Parameter(torch.full(shape, math.log(float(getattr(config, "noise_std", 1.0))) / LOG_SCALE_GAIN))


def negative_log_likelihood(name: str, out: torch.Tensor, x: torch.Tensor, noise_std: float = 1.0,
                            log_scale: torch.Tensor | None = None) -> torch.Tensor:
    """-log p(x | decoder output ``out``) per item, summed over features: (B,).

    ``out`` and ``x`` are (B, *item_shape); ``out`` holds logits for ``bernoulli`` and the mean otherwise;
    ``log_scale`` (item_shape or (1,)) is the learned parameter of ``gaussian-learned``, log sigma / ``LOG_SCALE_GAIN``.
    """
    name = resolved(name)
    if name == "bernoulli":
        nll = F.binary_cross_entropy_with_logits(out, x, reduction="none")
    elif name == "gaussian":
        nll = 0.5 * ((out - x) / noise_std) ** 2 + (math.log(noise_std) + HALF_LOG_2PI)
    elif name == "gaussian-learned":
        if log_scale is None:
            raise ValueError("gaussian-learned needs the model's log_scale")
        log_sigma = (LOG_SCALE_GAIN * log_scale).clamp(*LOG_SCALE_RANGE)  # broadcasts over (B, *item_shape)
        nll = 0.5 * (out - x).pow(2) * torch.exp(-2.0 * log_sigma) + log_sigma + HALF_LOG_2PI
    elif name == "laplace":
        nll = (out - x).abs() / noise_std + math.log(2.0 * noise_std)
    else:
        raise LatentLabError(f"Unknown likelihood {name!r}; use one of {', '.join(LIKELIHOODS)}.", param="likelihood",
                             value=name)
    return nll.flatten(1).sum(1)


def distribution_mean(name: str, out: torch.Tensor) -> torch.Tensor:
    """The mean of p(x | z) from the decoder's output: what views that decode show."""
    return torch.sigmoid(out) if resolved(name) == "bernoulli" else out


def learned_noise_std(model) -> np.ndarray | None:
    """The learned sigma of a ``gaussian-learned`` model (item_shape or (1,)), else None."""
    log_scale = getattr(model, "log_scale", None)
    if log_scale is None:
        return None
    return torch.exp((LOG_SCALE_GAIN * log_scale.detach()).clamp(*LOG_SCALE_RANGE)).cpu().numpy()


def describe(config) -> str:
    """The likelihood in words, for settings shown to a user: ``gaussian (sd 0.1)``, ``bernoulli``."""
    name = resolved(config.likelihood)
    if name == "gaussian":
        return f"gaussian (sd {config.noise_std:g})"
    if name == "laplace":
        return f"laplace (scale {config.noise_std:g})"
    if name == "gaussian-learned":
        per = "feature" if getattr(config, "learned_variance", "feature") == "feature" else "all features"
        return f"gaussian-learned (one variance for {'each ' if per == 'feature' else ''}{per})"
    return name
