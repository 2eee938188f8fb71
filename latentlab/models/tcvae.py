"""``beta-tcvae``: Chen et al. 2018, "Isolating Sources of Disentanglement in
VAEs", arXiv:1802.04942.

The KL term is split into index-code mutual information, total correlation
(weighted by beta) and dimension-wise KL. log q(z) and prod_j log q(z_j) are
estimated with minibatch-weighted sampling (MWS):
log q(z_i) ~ logsumexp_k log q(z_i | x_k) - log(N M), N the dataset size and M
the batch size. The MWS estimates of the total correlation and of the
dimension-wise KL each carry a constant offset of about (D - 1) log(N M), of
opposite signs: they cancel in ``kl`` (= mi + tc + dwkl) and do not change any
gradient, but the logged ``tc`` and ``dwkl`` are not the true values.
"""

import math
from dataclasses import dataclass, field

import torch

from latentlab.models.base import LatentModel, Posterior
from latentlab.models.vae import KLWarmup, VAEConfig

LOG_2PI = math.log(2 * math.pi)


@dataclass
class TCVAEConfig(VAEConfig):
    beta: float = field(default=6.0, metadata={"help": "weight of the total-correlation term", "min": 0.0, "max": 1000.0})
    alpha: float = field(default=1.0, metadata={"help": "weight of the index-code mutual information", "min": 0.0, "max": 100.0})
    gamma: float = field(default=1.0, metadata={"help": "weight of the dimension-wise KL", "min": 0.0, "max": 100.0})
    dataset_size: int = field(default=0, metadata={"internal": True})


def _log_normal(z: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return -0.5 * (LOG_2PI + logvar + (z - mean) ** 2 * torch.exp(-logvar))


class BetaTCVAE(KLWarmup, LatentModel):
    config_cls = TCVAEConfig
    stochastic = True

    def regulariser(self, post: Posterior, z: torch.Tensor, terms: dict) -> torch.Tensor:
        B = z.shape[0]
        n = max(self.config.dataset_size, B)
        log_qz_x = _log_normal(z, post.mean, post.logvar).sum(1)  # (B,)
        log_pz = _log_normal(z, torch.zeros_like(z), torch.zeros_like(z)).sum(1)  # (B,)
        # log q(z_i | x_k) for every pair, per dimension: (B, B, D)
        pair = _log_normal(z[:, None, :], post.mean[None, :, :], post.logvar[None, :, :])
        log_norm = math.log(B * n)
        log_qz = torch.logsumexp(pair.sum(2), dim=1) - log_norm  # (B,)
        log_prod_qzj = (torch.logsumexp(pair, dim=1) - log_norm).sum(1)  # (B,)
        mi = (log_qz_x - log_qz).mean()
        tc = (log_qz - log_prod_qzj).mean()
        dwkl = (log_prod_qzj - log_pz).mean()
        terms.update(mi=mi, tc=tc, dwkl=dwkl, kl=mi + tc + dwkl)
        c = self.config
        return c.alpha * mi + c.beta * tc + c.gamma * dwkl
