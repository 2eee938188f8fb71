"""The interface every LatentLab model shares.

A model maps items to a posterior over latents (``encode``), latents back to
items (``decode``), and a batch to a scalar loss with named terms (``loss``).
Configs are dataclasses: their fields drive the CLI flags and the UI form, and
a checkpoint stores them so the model can be rebuilt exactly.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import torch
from torch import nn

from latentlab.models.likelihoods import CHOICES, LEARNED_VARIANCE, distribution_mean, make_log_scale
from latentlab.models.likelihoods import negative_log_likelihood

if TYPE_CHECKING:
    from latentlab.models.context import TrainingContext


class Posterior(NamedTuple):
    mean: torch.Tensor  # (B, D)
    logvar: torch.Tensor | None  # (B, D), None for deterministic encoders


class LossOutput(NamedTuple):
    loss: torch.Tensor  # scalar, mean over the batch
    terms: dict[str, torch.Tensor]  # named scalar terms, e.g. recon and kl


@dataclass
class ModelConfig:
    """Fields shared by every model; ``help`` metadata is shown in CLI and UI."""

    latent_dim: int = field(default=10, metadata={"help": "number of latent dimensions (at most LATENTLAB_LIMIT_MAX_LATENT_DIM, default 1,024)", "min": 1})
    hidden: str = field(default="256,128", metadata={"help": "MLP hidden sizes, comma separated"})
    arch: str = field(default="auto", metadata={"help": "network: auto (conv for 64x64 images, conv1d for signals), "
                                                          "mlp, conv or conv1d",
                                                  "choices": ["auto", "mlp", "conv", "conv1d"]})
    # Filled from the data when the model is built; stored in the checkpoint.
    likelihood: str = field(default="auto", metadata={
        "help": "the decoder's distribution: auto (bernoulli for images, gaussian-learned for signals and data whose spread is far "
                "from 1, else gaussian), bernoulli, gaussian (sd noise_std), gaussian-learned (a learned variance) or laplace "
                "(scale noise_std)", "choices": list(CHOICES)})
    noise_std: float = field(default=1.0, metadata={
        "help": "the gaussian likelihood's standard deviation, the laplace's scale, the learned variance's start "
                "(in the data's units, positive)", "min": 0.0, "max": 1e6})
    learned_variance: str = field(default="feature", metadata={
        "help": "gaussian-learned: one variance per feature, or one for all", "choices": list(LEARNED_VARIANCE)})
    input_shape: tuple = field(default=(), metadata={"internal": True})

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["input_shape"] = list(self.input_shape)
        return d

    @classmethod
    def user_fields(cls) -> list[dataclasses.Field]:
        """Fields a user sets (CLI flags, form inputs), without the internal ones."""
        return [f for f in dataclasses.fields(cls) if not f.metadata.get("internal")]

    def hidden_sizes(self) -> list[int]:
        return [int(h) for h in str(self.hidden).split(",") if str(h).strip()]


class LatentModel(nn.Module):
    """Base class: deterministic autoencoder behaviour and the loss skeleton."""

    config_cls = ModelConfig
    stochastic = False  # encode gives a Gaussian posterior (mean and logvar), not one code
    quantized = False  # each latent takes only the values of its codebook (``codebook``, (D, V))
    has_decoder = True  # ``decode`` maps codes to items (a foreign model may bring an encoder only)
    regulariser_weight = 1.0  # what ``loss`` multiplies the regulariser by (below 1 during a KL warm-up: vae.py)

    def __init__(self, config: ModelConfig):
        super().__init__()
        from latentlab.models.nets import build_networks

        self.config = config
        out_features = 2 * config.latent_dim if self.stochastic else config.latent_dim
        self.encoder, self.decoder = build_networks(config, out_features)
        log_scale = make_log_scale(config)  # only a gaussian-learned likelihood has one (old checkpoints have none)
        if log_scale is not None:
            self.log_scale = log_scale

    # -- interface ---------------------------------------------------------
    def encode(self, x: torch.Tensor) -> Posterior:
        h = self.encoder(x)  # (B, D) or (B, 2D)
        if not self.stochastic:
            return Posterior(h, None)
        mean, logvar = h.chunk(2, dim=1)
        return Posterior(mean, logvar.clamp(-12.0, 8.0))

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z).view(z.shape[0], *self.config.input_shape)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latents (B, D) -> items in data space (B, *input_shape): the mean of the decoder's distribution."""
        return distribution_mean(self.config.likelihood, self.decode_logits(z))

    def loss(self, x: torch.Tensor) -> LossOutput:
        post = self.encode(x)
        z = self.sample(post)
        recon = self.reconstruction_loss(self.decode_logits(z), x)  # (B,)
        terms = {"recon": recon.mean()}
        reg = self.regulariser(post, z, terms)
        loss = terms["recon"] + self.regulariser_weight * reg
        terms["loss"] = loss
        return LossOutput(loss, terms)

    # -- what views ask the model (so none assumes a Gaussian posterior) ----
    def prior_frame(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Centre and scale (D,) of each latent under the model's prior, the units of slider ranges and
        traversals; None when the model has no prior and the codes' own statistics should be used."""
        if not self.stochastic:
            return None
        D = self.config.latent_dim
        return np.zeros(D, np.float32), np.ones(D, np.float32)

    def kl_per_dim(self, post: Posterior) -> torch.Tensor | None:
        """KL(q(z_d|x) || p(z_d)) per sample and dimension (B, D) under the model's own prior: N(0, I) for a
        stochastic model unless it says otherwise; None for a model with no posterior."""
        return None if post.logvar is None else kl_per_dim(post)

    def prior_components(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Means and standard deviations (K, D) of the components of a mixture prior; None for a model
        whose prior is not a mixture (or that has no prior)."""
        return None

    @torch.no_grad()
    def sample_prior(self, n: int, component: int | None = None,
                     generator: torch.Generator | None = None) -> torch.Tensor | None:
        """``n`` codes (n, D) drawn from the prior (from one of ``prior_components`` when ``component`` is
        given), on the CPU; None for a model with no prior."""
        if not self.stochastic:
            return None
        return torch.randn(n, self.config.latent_dim, generator=generator)

    def codebook_values(self) -> np.ndarray | None:
        """(D, V) the values each latent can take, sorted per latent, for a quantized model; else None."""
        return None

    def assignments(self, z: torch.Tensor) -> torch.Tensor | None:
        """Soft cluster assignments (B, K) of codes ``z`` (B, D), rows summing to 1, for a model that
        clusters (``n_clusters`` > 0); None otherwise."""
        return None

    @property
    def n_clusters(self) -> int:
        """How many clusters ``assignments`` has; 0 for a model that does not cluster."""
        return 0

    # -- hooks for subclasses ---------------------------------------------
    def optimizer_settings(self) -> dict:
        """Extra settings for the optimizer; a ``weight_decay`` makes the trainer use AdamW."""
        return {}

    def begin_training(self, trainer: "TrainingContext") -> None:
        """Called once before the first step of a run (and of a resumed run), with the model on the
        trainer's device in training mode: data-dependent initialisation goes here."""

    def after_step(self, trainer: "TrainingContext") -> bool:
        """Called after every optimizer step (``trainer.state.step`` already counts it); return True to
        end training at this step (a convergence test)."""
        return False

    def sample(self, post: Posterior) -> torch.Tensor:
        if post.logvar is None or not self.training:
            return post.mean
        return post.mean + torch.randn_like(post.mean) * torch.exp(0.5 * post.logvar)

    def regulariser(self, post: Posterior, z: torch.Tensor, terms: dict) -> torch.Tensor:
        return torch.zeros((), device=post.mean.device)

    def reconstruction_loss(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Per-sample negative log-likelihood under the config's ``likelihood``, summed over features: (B,)."""
        c = self.config
        return negative_log_likelihood(c.likelihood, logits, x, float(getattr(c, "noise_std", 1.0)),
                                       getattr(self, "log_scale", None))


def kl_per_dim(post: Posterior) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) per sample and dimension: (B, D)."""
    mean, logvar = post.mean, post.logvar
    return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar)
