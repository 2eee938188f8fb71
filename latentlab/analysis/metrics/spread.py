"""How fully a latent space is used: spread (isotropy) measures that need no ground-truth factors.

Marbut, McKinney-Bock & Wheeler, "Reliable Measures of Spread in High Dimensional Latent Spaces", ICML 2023
(arXiv:2212.08172) show that the two measures commonly used, the average cosine similarity and the
partition-function ratio I(V), do not compare the use of latent space reliably across data distributions, and
recommend one principal-component based measure and one entropy based measure. Both kinds are here, with the
two criticised ones for comparison:

- ``isoscore``: IsoScore (Rudman, Gillman, Rayne & Eickhoff, ACL 2022, arXiv:2108.07344), the principal-component
  measure: 1 when the variance is the same along every principal axis, 0 when it lies on one axis;
- ``eigen_entropy``: the entropy of the principal components' variance shares, divided by log D (0: one axis,
  1: every axis alike), and its exponential, the effective rank (Roy & Vetterli, EUSIPCO 2007);
- ``average_cosine``: the mean cosine similarity of distinct items (as in Ethayarajh, EMNLP 2019), criticised;
- ``partition_ratio``: I(V) = min_c Z(c) / max_c Z(c), Z(c) = sum_i exp(c . v_i), over the unit eigenvectors c of
  V^T V (Mu & Viswanath, ICLR 2018, arXiv:1702.01417, after Arora et al. 2016), criticised.

IsoScore and the eigenvalue entropy stand in for the paper's principal-component and entropy measures: they are
published measures of those two kinds, not necessarily the paper's exact formulas.
The average cosine and I(V) are computed on the codes as given (uncentred), as their sources do; IsoScore and the
entropy on the centred codes. Every function takes ``(codes (N, D), factors=None, seed=0)`` like the other metrics
and ignores ``factors``; at most ``max_items`` items are used (a fixed ``seed``-ed sample of more).
"""

from __future__ import annotations

import numpy as np

from latentlab.analysis.metrics.base import MetricResult
from latentlab.core.errors import LatentLabError
from latentlab.core.rows import row_sample

MAX_ITEMS = 50_000  # the covariance and the sums below are O(N D^2); more items change the estimates very little


def check_codes(codes: np.ndarray, min_items: int, max_items: int, seed: int) -> np.ndarray:
    """The codes as float64 (n, D), every row up to ``max_items``, else a seeded sample of them (``row_sample``)."""
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or codes.shape[1] < 1:
        raise LatentLabError(f"Spread and intrinsic dimension need codes of shape (N, D), got {codes.shape}.")
    if len(codes) < min_items:
        raise LatentLabError(f"Spread and intrinsic dimension need at least {min_items} items, got {len(codes)}.")
    if not np.isfinite(codes).all():
        raise LatentLabError("The codes hold NaN or infinite values; their spread cannot be measured.")
    return codes[row_sample(len(codes), max_items, seed)]


def variance_spectrum(codes: np.ndarray) -> np.ndarray:
    """The variances along the principal axes of the centred codes, largest first: (D,)."""
    centred = codes - codes.mean(0)
    return np.clip(np.linalg.eigvalsh(centred.T @ centred / max(len(codes) - 1, 1))[::-1], 0.0, None)


def isoscore(codes: np.ndarray, factors=None, seed: int = 0, max_items: int = MAX_ITEMS) -> MetricResult:
    """IsoScore (Rudman et al. 2022, arXiv:2108.07344, Algorithm 1), in [0, 1].

    The codes are rotated to their principal axes; their variance vector ``s`` (D,) is scaled to norm sqrt(D),
    the isotropy defect is ``delta = ||s - 1|| / sqrt(2 (D - sqrt D))``, the share of dimensions used
    ``k = (D - delta^2 (D - sqrt D))^2 / D^2``, and IsoScore ``= (D k - 1) / (D - 1)``. Codes with no variance at all
    score 0. Estimator choices: the sample covariance (N - 1); at most ``max_items`` items, a seeded sample.
    """
    codes = check_codes(codes, 3, max_items, seed)
    s = variance_spectrum(codes)
    D = len(s)
    if D == 1 or s.sum() <= 0:
        score = 1.0 if D == 1 and s.sum() > 0 else 0.0
        return MetricResult({"isoscore": score})
    s = np.sqrt(D) * s / np.linalg.norm(s)
    delta = np.linalg.norm(s - 1.0) / np.sqrt(2 * (D - np.sqrt(D)))
    k = (D - delta**2 * (D - np.sqrt(D))) ** 2 / D**2
    return MetricResult({"isoscore": float(np.clip((D * k - 1) / (D - 1), 0.0, 1.0))})


def eigen_entropy(codes: np.ndarray, factors=None, seed: int = 0, max_items: int = MAX_ITEMS) -> MetricResult:
    """The entropy of the variance shares of the principal components.

    ``p_i = lambda_i / sum(lambda)`` for the eigenvalues of the codes' covariance; ``eigen_entropy = H(p) / log D``
    in [0, 1] and ``effective_rank = exp(H(p))`` in [1, D] (Roy & Vetterli 2007 take the shares of the singular
    values instead; the variances, their squares, make the measure count the axes that carry the variance). The
    shares are kept in ``matrices["variance_share"]`` (D,). Estimator choices: the sample covariance; at most
    ``max_items`` items, a seeded sample.
    """
    codes = check_codes(codes, 3, max_items, seed)
    s = variance_spectrum(codes)
    if s.sum() <= 0:
        return MetricResult({"eigen_entropy": 0.0, "effective_rank": 1.0}, {"variance_share": np.zeros_like(s)})
    p = s / s.sum()
    h = float(-(p[p > 0] * np.log(p[p > 0])).sum())
    scores = {"eigen_entropy": float(h / np.log(len(p))) if len(p) > 1 else 0.0, "effective_rank": float(np.exp(h))}
    return MetricResult(scores, {"variance_share": p})


def average_cosine(codes: np.ndarray, factors=None, seed: int = 0, max_items: int = MAX_ITEMS) -> MetricResult:
    """The mean cosine similarity over all pairs of distinct items, computed exactly from the sum of the unit
    vectors: ``(||sum_i u_i||^2 - n) / (n (n - 1))``. Items at the origin have no direction and are left out.
    Near 1 when the codes sit in a narrow cone away from the origin, whatever their spread within it, which is
    what Marbut et al. (2023) criticise. Estimator choices: at most ``max_items`` items, a seeded sample.
    """
    codes = check_codes(codes, 3, max_items, seed)
    norms = np.linalg.norm(codes, axis=1)
    units = codes[norms > 0] / norms[norms > 0, None]
    n = len(units)
    if n < 2:
        raise LatentLabError("The average cosine similarity needs at least two items away from the origin.")
    total = np.linalg.norm(units.sum(0)) ** 2
    return MetricResult({"average_cosine": float((total - n) / (n * (n - 1)))})


def partition_ratio(codes: np.ndarray, factors=None, seed: int = 0, max_items: int = MAX_ITEMS) -> MetricResult:
    """I(V) of Mu & Viswanath (2018): ``min_c Z(c) / max_c Z(c)`` with ``Z(c) = sum_i exp(c . v_i)``, c over the
    unit eigenvectors of ``V^T V`` (their approximation of the minimum and maximum over the unit sphere), in
    (0, 1]; 1 reads as isotropic. Computed with log-sum-exp, so codes of large norm do not overflow. It depends on
    the codes' scale, one of the faults Marbut et al. (2023) find. Estimator choices: the uncentred codes; at most
    ``max_items`` items, a seeded sample.
    """
    from scipy.special import logsumexp

    codes = check_codes(codes, 3, max_items, seed)
    _, vectors = np.linalg.eigh(codes.T @ codes)  # (D, D): one eigenvector per column
    log_z = logsumexp(codes @ vectors, axis=0)  # (D,)
    return MetricResult({"partition_ratio": float(np.exp(log_z.min() - log_z.max()))})
