"""``vae`` and ``beta-vae``.

VAE: Kingma & Welling 2013, arXiv:1312.6114. beta-VAE: Higgins et al. 2017
(ICLR), which weights the KL term by beta > 1 to favour disentangled latents.
"""

from dataclasses import dataclass, field

import torch

from latentlab.models.base import LatentModel, ModelConfig, Posterior, kl_per_dim


@dataclass
class VAEConfig(ModelConfig):
    beta: float = field(default=1.0, metadata={"help": "weight of the KL term", "min": 0.0, "max": 1000.0})


@dataclass
class BetaVAEConfig(VAEConfig):
    beta: float = field(default=4.0, metadata={"help": "weight of the KL term", "min": 0.0, "max": 1000.0})


class VAE(LatentModel):
    config_cls = VAEConfig
    stochastic = True

    def regulariser(self, post: Posterior, z: torch.Tensor, terms: dict) -> torch.Tensor:
        kl = kl_per_dim(post).sum(1).mean()
        terms["kl"] = kl
        return self.config.beta * kl


class BetaVAE(VAE):
    config_cls = BetaVAEConfig
