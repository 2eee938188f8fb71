"""``topk-sae``: the TopK sparse autoencoder of Gao et al. 2024, "Scaling and evaluating sparse autoencoders"
(arXiv:2406.04093), a k-sparse autoencoder (Makhzani & Frey 2013, arXiv:1312.5663) with the training recipe
that keeps its dictionary alive.

An overcomplete dictionary of ``latent_dim`` features (the paper: 8 to 32 times the input's dimension) and
one linear layer each way, around a pre-encoder bias::

    z     = ReLU(TopK_k(W_enc (x - b_pre) + b_enc))     (B, latent_dim), at most k non-zeros per item
    x_hat = W_dec z + b_pre                              (B, features)

As in the paper and its released code (openai/sparse_autoencoder):

- ``b_pre`` starts at the geometric median of a sample of the data (Weiszfeld iterations);
- the decoder's columns start as random unit vectors and the encoder as the decoder's transpose;
- the decoder's columns are renormalised to unit norm after every step, and the gradient component
  parallel to each column is removed before the step (the norm is fixed, only the direction learns);
- the reconstruction term is the normalised MSE, ||x - x_hat||^2 / E||x - E[x]||^2, its denominator the
  data's total variance measured once on the same sample (the logged ``recon`` term; 1 means no better than
  predicting the mean);
- a feature that has not fired for a while is dead; the AuxK loss reconstructs the main reconstruction's
  error e = x - x_hat (held fixed) from the ``aux_k`` largest pre-activations of the dead features only,
  ||e - W_dec z_aux||^2 normalised alike, weighted ``aux_coef`` = 1/32. The dead features then get the
  gradient that the TopK otherwise never gives them, and come back.

Departures from the paper:

- A feature is dead after ``dead_items`` training items without firing (default 10,000): the paper's
  threshold is 10 million tokens, about 76 of its 131,072-token batches; 10,000 items are about 78 of
  LatentLab's default 128-item batches. The count is kept in the checkpoint, so a resumed run goes on
  with it.
- ``aux_k`` defaults to half the input's features, the paper's rule of thumb (d_model / 2; its code uses
  256 for d_model = 768). The released code normalises the AuxK term by the power of its own target per
  item; here it is divided by the data's total variance, the same unit as ``recon``.
- The data is not rescaled (the paper scales activations to E||x||^2 = d), and the encoder is not rescaled
  after its transposed start (the released code does, noting no clear benefit). The normalised MSE does not
  depend on the data's scale; the learning rate does.
- The optimizer is LatentLab's: Adam at ``lr`` (1e-3 by default; the paper scales it with the width) with
  PyTorch's eps (the paper: 6.25e-10), gradients clipped at ``grad_clip`` (10), float32, no weight EMA.
- Images and any other items are flattened to vectors. The model is linear, so ``hidden`` and ``arch`` do
  not apply, and ``likelihood`` is ignored: every kind of data is fit with the normalised MSE, and
  ``decode`` returns the linear reconstruction x_hat (not squashed into [0, 1]; pictures clip it when drawn).
- The training tracker counts a feature as fired when its code is above 0 (the released code: above 1e-3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from latentlab.core.limits import limit
from latentlab.models.base import LatentModel, LossOutput, ModelConfig, Posterior

if TYPE_CHECKING:
    from latentlab.models.context import TrainingContext

AUTO_WIDTH = 8  # latent_dim 0: this many features per input feature
INIT_SAMPLE_VALUES = 2**24  # the sample for b_pre and the variance holds at most this many floats (64 MB)
INIT_SAMPLE_ITEMS = 32_768  # and at most this many items (the released code's sample)


@dataclass
class TopKSAEConfig(ModelConfig):
    latent_dim: int = field(default=0, metadata={
        "help": f"dictionary width, the number of features; 0: {AUTO_WIDTH} times the input's features (the paper uses "
                "8 to 32 times), at most LATENTLAB_LIMIT_MAX_LATENT_DIM", "min": 0})
    k: int = field(default=8, metadata={"help": "features kept per item: the k largest pre-activations (at most the width)",
                                        "min": 1, "max": 65536})
    aux_k: int = field(default=0, metadata={"help": "dead features the AuxK loss uses per item; 0: half the input's features",
                                            "min": 0, "max": 65536})
    aux_coef: float = field(default=1 / 32, metadata={"help": "weight of the AuxK loss that revives dead features (0 turns it off)",
                                                      "min": 0.0, "max": 100.0})
    dead_items: int = field(default=10_000, metadata={"help": "a feature that has not fired on this many training items is dead",
                                                      "min": 1, "max": 10**12})
    # A linear model: the network settings of the other models do not apply.
    hidden: str = field(default="", metadata={"internal": True})
    arch: str = field(default="mlp", metadata={"internal": True, "choices": ["auto", "mlp", "conv"]})
    # Fit with the normalised MSE whatever the data: the likelihood settings do not apply.
    likelihood: str = field(default="auto", metadata={"internal": True})
    noise_std: float = field(default=1.0, metadata={"internal": True})
    learned_variance: str = field(default="feature", metadata={"internal": True})

    def __post_init__(self):
        if self.latent_dim == 0 and self.input_shape:
            self.latent_dim = min(AUTO_WIDTH * math.prod(self.input_shape), limit("max_latent_dim"))


class _UnitColumnGradient(torch.autograd.Function):
    """The identity on a decoder matrix (F, W) whose columns have unit norm; on the way back it removes from
    each column's gradient its component along the column, so a step turns a column without growing it."""

    @staticmethod
    def forward(ctx, weight: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(weight)
        return weight.clone()

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (weight,) = ctx.saved_tensors
        return grad - weight * (weight * grad).sum(0, keepdim=True)  # (F, W)


def geometric_median(x: torch.Tensor, iterations: int = 100, tol: float = 1e-6) -> torch.Tensor:
    """The point (F,) that minimises the summed Euclidean distance to the rows of ``x`` (N, F): Weiszfeld's
    iterations from the mean, each a mean weighted by inverse distances."""
    median = x.mean(0)
    for _ in range(iterations):
        weights = 1.0 / (x - median).norm(dim=1).clamp_min(1e-8)  # (N,)
        new = (weights[:, None] * x).sum(0) / weights.sum()
        moved = float((new - median).norm())
        median = new
        if moved <= tol * (1.0 + float(median.norm())):
            break
    return median


class TopKSAE(LatentModel):
    config_cls = TopKSAEConfig
    stochastic = False
    decode_output = "the linear reconstruction W_dec z + b_pre, for every likelihood (not squashed into [0, 1])"

    def __init__(self, config: TopKSAEConfig):
        nn.Module.__init__(self)  # no MLP or conv networks: one linear layer each way
        if not config.input_shape:
            raise ValueError("config.input_shape must be set before building a model")
        self.config = config
        features, width = math.prod(config.input_shape), int(config.latent_dim)
        self.k = min(int(config.k), width)
        self.aux_k = min(int(config.aux_k) or max(1, features // 2), width)
        decoder = torch.randn(features, width)
        decoder /= decoder.norm(dim=0, keepdim=True)
        self.W_dec = nn.Parameter(decoder)  # (F, W), unit-norm columns: one dictionary direction per feature
        self.W_enc = nn.Parameter(decoder.T.clone())  # (W, F): the decoder's transpose at the start
        self.b_enc = nn.Parameter(torch.zeros(width))
        self.b_pre = nn.Parameter(torch.zeros(features))
        self.register_buffer("data_variance", torch.ones(1))  # E||x - E[x]||^2, set from the data at the start
        self.register_buffer("items_since_fired", torch.zeros(width))  # training items since each feature fired

    # -- the model ---------------------------------------------------------
    def pre_activations(self, x: torch.Tensor) -> torch.Tensor:
        """(B, *input_shape) -> (B, W) encoder outputs before the TopK."""
        return (x.flatten(1) - self.b_pre) @ self.W_enc.T + self.b_enc

    @staticmethod
    def keep_top(pre: torch.Tensor, k: int) -> torch.Tensor:
        """(B, W) -> (B, W): the k largest entries of each row through a ReLU, zeros elsewhere."""
        values, index = pre.topk(k, dim=1)  # (B, k)
        return torch.zeros_like(pre).scatter(1, index, values.relu())

    def encode(self, x: torch.Tensor) -> Posterior:
        return Posterior(self.keep_top(self.pre_activations(x), self.k), None)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return (z @ self.W_dec.T + self.b_pre).view(z.shape[0], *self.config.input_shape)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes (B, W) -> the linear reconstruction (B, *input_shape), for every likelihood."""
        return self.decode_logits(z)

    def dead_features(self) -> torch.Tensor:
        """(W,) bool: the features that had not fired for ``dead_items`` training items when training stopped."""
        return self.items_since_fired >= self.config.dead_items

    def prior_frame(self) -> None:
        return None  # no prior: sliders and traversals use the codes' own statistics

    # -- training ------------------------------------------------------------
    def loss(self, x: torch.Tensor) -> LossOutput:
        x = x.flatten(1)  # (B, F)
        pre = self.pre_activations(x)  # (B, W)
        codes = self.keep_top(pre, self.k)  # (B, W)
        W_dec = _UnitColumnGradient.apply(self.W_dec) if self.training else self.W_dec  # (F, W)
        recon = codes @ W_dec.T + self.b_pre  # (B, F)
        variance = self.data_variance[0]
        nmse = (recon - x).pow(2).sum(1).mean() / variance
        dead = self.dead_features()  # (W,), as it stood before this batch
        # AuxK: the error left by the live features, modelled with the largest pre-activations of the dead ones
        # (all zero, hence no loss and no gradient, when none is dead; no host sync to find out).
        aux_codes = self.keep_top(pre * dead, self.aux_k)  # (B, W)
        error = (x - recon).detach()
        auxk = (aux_codes @ W_dec.T - error).pow(2).sum(1).mean() / variance * dead.any()  # logged as 0 with none dead
        if self.training:
            with torch.no_grad():
                fired = (codes > 0).any(0)
                self.items_since_fired.add_(x.shape[0]).masked_fill_(fired, 0.0)
        loss = nmse + self.config.aux_coef * auxk
        return LossOutput(loss, {"recon": nmse, "auxk": auxk, "dead": dead.float().mean(), "loss": loss})

    @torch.no_grad()
    def begin_training(self, trainer: "TrainingContext") -> None:
        """A new run: ``b_pre`` from the geometric median of a seeded sample of the data, and the data's total
        variance (the normalised MSE's denominator) from the same sample. A resumed run keeps both."""
        if trainer.state.step > 0:
            return
        ds = trainer.dataset
        features = math.prod(self.config.input_shape)
        n = min(len(ds), INIT_SAMPLE_ITEMS, max(2, INIT_SAMPLE_VALUES // features))
        rng = np.random.default_rng(trainer.config.seed)
        rows = np.sort(rng.choice(len(ds), size=n, replace=False))
        sample = torch.from_numpy(np.ascontiguousarray(ds.as_float(rows))).reshape(n, features).to(self.b_pre.device)
        self.b_pre.copy_(geometric_median(sample))
        variance = (sample - sample.mean(0)).pow(2).sum(1).mean()
        self.data_variance.fill_(max(float(variance), 1e-12))
        self.items_since_fired.zero_()

    @torch.no_grad()
    def after_step(self, trainer: "TrainingContext") -> bool:
        self.W_dec /= self.W_dec.norm(dim=0, keepdim=True).clamp_min(1e-12)
        return False
