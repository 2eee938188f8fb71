"""``gmvae``: a VAE whose prior is a mixture of K Gaussians, as in Luo, Agres & Herremans 2019,
"Learning Disentangled Representations of Timbre and Pitch for Musical Instrument Sounds Using
Gaussian Mixture Variational Autoencoders" (ISMIR 2019, arXiv:1906.08152).

Generative model: a component y ~ Cat(1/K), a code z | y ~ N(mu_y, diag(sigma_y^2)) with learnable
means and log-variances, and the item x | z from the decoder. The encoder gives q(z|x) =
N(m(x), diag(s(x)^2)); as in the paper, q(y|x) is not a network of its own but the components'
posterior at the code: q(y|x) ~ p(y|z) = p(z|y) p(y) / sum_k p(z|k) p(k), with z the one sample of
q(z|x) drawn for the reconstruction (the code's mean when the model evaluates). The ELBO's two KL
terms are then

- ``kl_z`` = sum_y q(y|x) KL(q(z|x) || p(z|y)), in closed form per dimension (Gaussian to Gaussian);
- ``kl_y`` = KL(q(y|x) || p(y)) = sum_y q(y|x) log(K q(y|x)),

and ``kl`` = ``kl_z`` + ``kl_y``. With K = 1, mean 0 and log-variance 0 this is the VAE's loss.

Departures from the paper:

- One encoder and one latent space, where the paper has two (timbre and pitch) with a mixture prior
  each and concatenates their codes for the decoder; and no labels: the paper adds a classification
  loss on q(y|x) for the labelled items, here the components are learned without supervision.
- The networks are LatentLab's (``arch``: an MLP, or the conv encoder and decoder for 64x64 images),
  not the paper's convolutional networks over Mel spectrograms, and the reconstruction term is
  LatentLab's (Bernoulli for images, unit-variance Gaussian for tables) summed over features.
- The two KL terms have weights of their own, ``beta`` (continuous) and ``beta_y`` (categorical);
  the paper weights both by 1, the default here.
- The components' log-variances are clamped to [-6, 4] where they are used, so that a component
  cannot shrink onto one code and send the loss to minus infinity.
- The component means start at seeded draws from N(0, I) (the paper does not say how it starts them),
  so the components begin apart; their log-variances start at 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from latentlab.models.base import LatentModel, Posterior
from latentlab.models.vae import KLWarmup, VAEConfig

LOG_2PI = math.log(2 * math.pi)
PRIOR_LOGVAR = (-6.0, 4.0)


@dataclass
class GMVAEConfig(VAEConfig):
    n_components: int = field(default=10, metadata={"help": "number of Gaussian components K of the prior (the clusters)",
                                                    "min": 1, "max": 256})
    beta: float = field(default=1.0, metadata={"help": "weight of the continuous KL term, E_q(y|x) KL(q(z|x) || p(z|y))",
                                               "min": 0.0, "max": 1000.0})
    beta_y: float = field(default=1.0, metadata={"help": "weight of the categorical KL term, KL(q(y|x) || uniform)",
                                                  "min": 0.0, "max": 1000.0})


class GMVAE(KLWarmup, LatentModel):
    config_cls = GMVAEConfig
    stochastic = True

    def __init__(self, config: GMVAEConfig):
        super().__init__(config)
        K, D = config.n_components, config.latent_dim
        self.prior_mean = nn.Parameter(torch.randn(K, D))  # (K, D)
        self.prior_logvar = nn.Parameter(torch.zeros(K, D))  # (K, D)

    # -- the mixture -------------------------------------------------------
    def _prior_logvar(self) -> torch.Tensor:
        return self.prior_logvar.clamp(*PRIOR_LOGVAR)  # (K, D)

    def log_pz_given_y(self, z: torch.Tensor) -> torch.Tensor:
        """log p(z | y = k) for every code and component: (B, K)."""
        mu, logvar = self.prior_mean, self._prior_logvar()
        diff = z[:, None, :] - mu[None]  # (B, K, D)
        return (-0.5 * (LOG_2PI + logvar[None] + diff.pow(2) * torch.exp(-logvar)[None])).sum(2)

    def component_posterior(self, z: torch.Tensor) -> torch.Tensor:
        """p(y | z) under the uniform p(y): (B, K), rows summing to 1."""
        return torch.softmax(self.log_pz_given_y(z), dim=1)

    def kl_to_components(self, post: Posterior) -> torch.Tensor:
        """KL(q(z_d|x) || p(z_d|y=k)) per sample, component and dimension: (B, K, D)."""
        mu, logvar = self.prior_mean[None], self._prior_logvar()[None]  # (1, K, D)
        m, lv = post.mean[:, None, :], post.logvar[:, None, :]  # (B, 1, D)
        return 0.5 * (logvar - lv + (lv.exp() + (m - mu).pow(2)) * torch.exp(-logvar) - 1.0)

    # -- training ----------------------------------------------------------
    def regulariser(self, post: Posterior, z: torch.Tensor, terms: dict) -> torch.Tensor:
        K = self.config.n_components
        qy = self.component_posterior(z)  # (B, K): q(y|x) ~ p(y|z) at the sampled code
        kl_z = (qy[:, :, None] * self.kl_to_components(post)).sum((1, 2))  # (B,)
        kl_y = (qy * (torch.log(qy.clamp_min(1e-12)) + math.log(K))).sum(1)  # (B,)
        terms.update(kl_z=kl_z.mean(), kl_y=kl_y.mean(), kl=kl_z.mean() + kl_y.mean())
        return self.config.beta * terms["kl_z"] + self.config.beta_y * terms["kl_y"]

    # -- what views ask the model -----------------------------------------
    def kl_per_dim(self, post: Posterior) -> torch.Tensor:
        """E_q(y|x) KL(q(z_d|x) || p(z_d|y)) per sample and dimension, q(y|x) taken at the code's mean:
        (B, D). The categorical term ``kl_y`` belongs to no dimension and is not in it."""
        qy = self.component_posterior(post.mean)  # (B, K)
        return (qy[:, :, None] * self.kl_to_components(post)).sum(1)

    def assignments(self, z: torch.Tensor) -> torch.Tensor:
        """p(y | z) (B, K): each component's share of the codes ``z`` (B, D), the q(y|x) of training."""
        return self.component_posterior(z)

    @property
    def n_clusters(self) -> int:
        return int(self.config.n_components)

    @torch.no_grad()
    def prior_components(self) -> tuple[np.ndarray, np.ndarray]:
        mean = self.prior_mean.detach().cpu().float()
        std = torch.exp(0.5 * self._prior_logvar().detach().cpu().float())
        return mean.numpy(), std.numpy()

    def prior_frame(self) -> tuple[np.ndarray, np.ndarray]:
        """The mixture's overall mean and standard deviation per latent (components weighted equally)."""
        mean, std = self.prior_components()  # (K, D)
        centre = mean.mean(0)
        var = (std**2 + mean**2).mean(0) - centre**2
        return centre.astype(np.float32), np.sqrt(np.maximum(var, 1e-12)).astype(np.float32)

    @torch.no_grad()
    def sample_prior(self, n: int, component: int | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` codes (n, D) from the mixture, or from component ``component`` alone."""
        K = self.config.n_components
        mean, logvar = self.prior_mean.detach().cpu(), self._prior_logvar().detach().cpu()
        if component is None:
            ys = torch.randint(0, K, (n,), generator=generator)  # (n,) components under the uniform p(y)
        else:
            ys = torch.full((n,), int(component), dtype=torch.long)
        eps = torch.randn(n, self.config.latent_dim, generator=generator)  # (n, D)
        return mean[ys] + torch.exp(0.5 * logvar[ys]) * eps
