"""Latent diagnostics that need no ground truth.

- KL per latent dimension and active/passive units: a unit is passive when its
  mean KL to the prior is under ``PASSIVE_KL`` = 0.01 nats (deterministic AEs
  have no KL; all their units count as active). The KL is to the model's own
  prior (``LatentModel.kl_per_dim``, kept in the embedding): N(0, 1) for a VAE,
  the expected KL to the mixture's components for a GMVAE.
- Mean vs sampled representations (Bonheme & Grzes 2021, "Be More Active!",
  arXiv:2109.05895): the correlation matrices of the posterior means and of
  one posterior sample per item. Passive units can look independent in the
  sampled representation while being strongly correlated in the means, which
  is what downstream users of the means actually get.
- Total correlation of the sampled representation under a Gaussian fit,
  TC = 1/2 (sum_i log var_i - log det Sigma), in nats.
- Reconstruction error per sample (mean squared error) and its summary.
- Posterior-collapse warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PASSIVE_KL = 0.01  # nats; a latent whose mean KL is below this carries no information


@dataclass
class Diagnostics:
    kl_per_dim: np.ndarray | None  # (D,)
    active: list[int]
    passive: list[int]
    mean_correlation: np.ndarray  # (D, D)
    sampled_correlation: np.ndarray | None  # (D, D)
    scores: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "kl_per_dim": None if self.kl_per_dim is None else [float(v) for v in self.kl_per_dim],
            "active": self.active, "passive": self.passive, "scores": self.scores, "warnings": self.warnings,
        }


def _corr(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)  # a constant float32 column would stay constant under the tiny jitter below
    sd = x.std(0)
    c = np.corrcoef(np.where(sd > 0, x, x + 1e-12 * np.random.default_rng(0).standard_normal(x.shape)), rowvar=False)
    return np.nan_to_num(np.atleast_2d(c))


def _mean_abs_offdiag(c: np.ndarray, dims: list[int]) -> float:
    if len(dims) < 2:
        return 0.0
    sub = np.abs(c[np.ix_(dims, dims)])
    return float((sub.sum() - np.trace(sub)) / (len(dims) * (len(dims) - 1)))


def gaussian_total_correlation(z: np.ndarray) -> float:
    cov = np.cov(z, rowvar=False) + 1e-6 * np.eye(z.shape[1])
    sign, logdet = np.linalg.slogdet(cov)
    return float(0.5 * (np.log(np.diag(cov)).sum() - logdet))


def diagnose(mean: np.ndarray, logvar: np.ndarray | None, kl: np.ndarray | None, recon_error: np.ndarray,
             seed: int = 0, threshold: float = PASSIVE_KL) -> Diagnostics:
    """Diagnostics of an embedding: ``mean``/``logvar``/``kl`` (N, D), ``recon_error`` (N,)."""
    D = mean.shape[1]
    kl_dim = None if kl is None else kl.mean(0)
    passive = [] if kl_dim is None else [int(d) for d in np.flatnonzero(kl_dim < threshold)]
    active = [d for d in range(D) if d not in passive]
    mean_corr = _corr(mean)
    sampled_corr, sampled = None, mean
    if logvar is not None:
        rng = np.random.default_rng(seed)
        sampled = mean + np.exp(0.5 * logvar) * rng.standard_normal(mean.shape)
        sampled_corr = _corr(sampled)
    scores = {
        "active_units": float(len(active)), "passive_units": float(len(passive)),
        "kl_total": float(kl_dim.sum()) if kl_dim is not None else float("nan"),
        "recon_error_mean": float(recon_error.mean()), "recon_error_median": float(np.median(recon_error)),
        "recon_error_p95": float(np.quantile(recon_error, 0.95)),
        "total_correlation_gaussian": gaussian_total_correlation(sampled),
        "mean_abs_corr_means_all": _mean_abs_offdiag(mean_corr, list(range(D))),
        "mean_abs_corr_means_passive": _mean_abs_offdiag(mean_corr, passive),
    }
    if sampled_corr is not None:
        scores["mean_abs_corr_sampled_all"] = _mean_abs_offdiag(sampled_corr, list(range(D)))
        scores["mean_abs_corr_sampled_passive"] = _mean_abs_offdiag(sampled_corr, passive)
    warnings = []
    if kl_dim is not None:
        if not active:
            warnings.append("Posterior collapse: every latent's KL is under "
                            f"{threshold} nats, so the codes carry no information; lower beta or train longer.")
        elif len(passive) > D / 2:
            warnings.append(f"{len(passive)} of {D} latents are passive (KL < {threshold} nats); the model uses only "
                            f"{len(active)}. This is expected for large beta, but check that it is what you want.")
        if len(passive) >= 2 and scores["mean_abs_corr_means_passive"] > 2 * scores.get("mean_abs_corr_sampled_passive", 0) + 0.05:
            warnings.append("Passive latents are correlated in the mean representation although their samples look "
                            "independent (Bonheme & Grzes 2021); use the active latents downstream.")
    return Diagnostics(kl_dim, active, passive, mean_corr, sampled_corr, scores, warnings)


def codebook_usage(codes: np.ndarray, codebook: np.ndarray) -> np.ndarray:
    """For a quantized model: the share of items at each codebook value of each latent, (D, V).

    ``codes`` (N, D) are the quantized codes, ``codebook`` (D, V) each latent's values; every code is
    counted at its nearest value, so rows sum to 1. A value no item uses is a dead code.
    """
    D, V = codebook.shape
    usage = np.zeros((D, V), np.float64)
    for d in range(D):
        nearest = np.abs(codes[:, d, None] - codebook[d][None, :]).argmin(1)
        usage[d] = np.bincount(nearest, minlength=V) / max(len(codes), 1)
    return usage
