"""Intrinsic dimension of a latent space from nearest-neighbour distances: how many directions the codes really
vary in, whatever the number of latents. No ground-truth factors are needed.

- ``twonn``: TwoNN (Facco, d'Errico, Rodriguez & Laio, Scientific Reports 7:12140, 2017, arXiv:1803.06992);
- ``levina_bickel``: the maximum-likelihood estimate of Levina & Bickel (NIPS 2004), with the per-item estimates
  combined by averaging their inverses (MacKay & Ghahramani, "Comments on 'Maximum Likelihood Estimation of
  Intrinsic Dimension'", 2005).

Both take ``(codes (N, D), factors=None, seed=0)`` like the other metrics and ignore ``factors``. Neighbour
searches use ``projection.knn.top_k`` (exact, Euclidean) on at most ``max_items`` items, a fixed sample drawn
with ``seed`` from more: the estimates depend on the sample size (fewer items see a coarser scale), so compare
spaces at the same ``max_items``. Items that repeat another item (zero distance) are left out.
"""

from __future__ import annotations

import numpy as np

from latentlab.analysis.metrics.base import MetricResult
from latentlab.analysis.metrics.spread import check_codes
from latentlab.core.errors import LatentLabError

MAX_ITEMS = 5_000  # an exact neighbour search on 5,000 items takes about a second; the estimates settle well below


def _neighbour_distances(codes: np.ndarray, k: int) -> np.ndarray:
    """Distances of each distinct item to its ``k`` nearest other items, nearest first: (n, k)."""
    from latentlab.analysis.projection.knn import top_k  # deferred: the metrics package imports no torch

    codes = np.unique(codes, axis=0)
    if len(codes) <= k + 1:
        raise LatentLabError(f"The intrinsic dimension needs more than {k + 1} distinct items, got {len(codes)}.")
    return top_k(codes, codes, k, "euclidean", exclude=np.arange(len(codes)))[1]


def twonn(codes: np.ndarray, factors=None, seed: int = 0, discard: float = 0.1,
          max_items: int = MAX_ITEMS) -> MetricResult:
    """TwoNN: the ratios ``mu = r2 / r1`` of each item's second and first neighbour distances follow a Pareto law,
    ``F(mu) = 1 - mu^-d``, on any locally uniform manifold of dimension d.

    Estimator choices (Facco et al. 2017): the ``discard`` = 10% largest ratios are left out (they come from
    the sparse tails and bias d down); d is the slope of the least-squares line through the origin of
    ``-log(1 - F_emp(mu))`` against ``log mu`` with ``F_emp(mu_(i)) = i / n`` over the n sorted ratios;
    at most ``max_items`` items, a seeded sample. ``twonn_ratios`` (n,) keeps the sorted ratios.
    """
    if not 0 <= discard < 1:
        raise LatentLabError(f"TwoNN's discarded fraction must lie in [0, 1), got {discard}.")
    dist = _neighbour_distances(check_codes(codes, 10, max_items, seed), 2)
    mu = np.sort(dist[:, 1] / dist[:, 0])
    n = len(mu)
    kept = int(np.floor(n * (1 - discard)))
    x = np.log(mu[:kept])
    y = -np.log(1 - np.arange(1, kept + 1) / n)
    d = float((x * y).sum() / max((x * x).sum(), 1e-300))
    return MetricResult({"twonn": d}, {"twonn_ratios": mu})


def levina_bickel(codes: np.ndarray, factors=None, seed: int = 0, k1: int = 10, k2: int = 20,
                  max_items: int = MAX_ITEMS) -> MetricResult:
    """The Levina-Bickel MLE: for ``k`` neighbours, an item's inverse estimate is
    ``1 / m_k(x) = 1 / (k - 1) * sum_{j < k} log(T_k(x) / T_j(x))``, T_j its distance to its j-th neighbour.

    Estimator choices: the inverses are averaged over items before inverting (MacKay & Ghahramani 2005; averaging
    the per-item estimates themselves, as the 2004 paper does, is biased upward), and the resulting ``m_k`` are
    averaged over ``k = k1 .. k2`` = 10 .. 20 (Levina & Bickel's range); at most ``max_items`` items, a seeded
    sample. ``mle_per_k`` (k2 - k1 + 1,) keeps each ``m_k``.
    """
    if not 2 <= k1 <= k2:
        raise LatentLabError(f"The Levina-Bickel estimate needs 2 <= k1 <= k2 neighbours, got k1={k1}, k2={k2}.")
    dist = _neighbour_distances(check_codes(codes, 10, max_items, seed), k2)  # (n, k2)
    log_dist = np.log(dist)
    per_k = []
    for k in range(k1, k2 + 1):
        inverse = (log_dist[:, k - 1 : k] - log_dist[:, : k - 1]).sum(1) / (k - 1)  # (n,)
        per_k.append(1.0 / max(float(inverse.mean()), 1e-300))
    per_k = np.asarray(per_k)
    return MetricResult({"levina_bickel": float(per_k.mean())}, {"mle_per_k": per_k})
