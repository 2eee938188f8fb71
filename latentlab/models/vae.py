"""``vae`` and ``beta-vae``, and the KL warm-up every VAE of the registry shares.

VAE: Kingma & Welling 2013, arXiv:1312.6114. beta-VAE: Higgins et al. 2017
(ICLR), which weights the KL term by beta > 1 to favour disentangled latents.
KL warm-up (annealing): Bowman et al. 2016, arXiv:1511.06349, and Sonderby et al.
2016, arXiv:1602.02282: the KL term's weight rises linearly from 0 to 1 over the
first ``kl_warmup`` steps, so the decoder learns to use the codes before the
prior pulls them in (a strong regulariser otherwise holds a model at the mean
item: the built-in signals' beta-TCVAE at beta 6, benchmarks/README.md).
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from latentlab.models.base import LatentModel, ModelConfig, Posterior, kl_per_dim

if TYPE_CHECKING:
    from latentlab.models.context import TrainingContext


@dataclass
class VAEConfig(ModelConfig):
    beta: float = field(default=1.0, metadata={"help": "weight of the KL term", "min": 0.0, "max": 1000.0})
    kl_warmup: int = field(default=0, metadata={
        "label": "KL warm-up (steps)",
        "help": "steps over which the KL term's weight rises linearly from 0 to its full value (0: none)",
        "min": 0, "max": 100_000_000})


class KLWarmup:
    """Sets ``regulariser_weight`` (``LatentModel.loss``) to min(1, steps taken / ``kl_warmup``) before every
    step, a resumed run included (the trainer is the only caller of ``loss``)."""

    def begin_training(self, trainer: "TrainingContext") -> None:
        self._warm(trainer.state.step)

    def after_step(self, trainer: "TrainingContext") -> bool:
        self._warm(trainer.state.step)
        return False

    def _warm(self, steps_taken: int) -> None:
        warmup = self.config.kl_warmup
        self.regulariser_weight = 1.0 if warmup <= 0 else min(1.0, steps_taken / warmup)


@dataclass
class BetaVAEConfig(VAEConfig):
    beta: float = field(default=4.0, metadata={"help": "weight of the KL term", "min": 0.0, "max": 1000.0})


class VAE(KLWarmup, LatentModel):
    config_cls = VAEConfig
    stochastic = True

    def regulariser(self, post: Posterior, z: torch.Tensor, terms: dict) -> torch.Tensor:
        kl = kl_per_dim(post).sum(1).mean()
        terms["kl"] = kl
        return self.config.beta * kl


class BetaVAE(VAE):
    config_cls = BetaVAEConfig
