"""MIG, the mutual information gap (Chen et al. 2018, arXiv:1802.04942).

Estimator choices: the codes are discretised into 20 equal-width bins per
dimension (as in the paper's discrete estimate and disentanglement_lib); the
MI matrix I(z_d; v_k) is computed on that histogram; each factor's gap
between its two most informative latents is divided by H(v_k) and the gaps
are averaged over factors. Invariant to permuting latents and to affine
rescaling of each latent (equal-width bins move with the scale).
"""

from __future__ import annotations

import numpy as np

from latentlab.analysis.metrics.base import MetricResult, check_inputs, discretize, entropies, mutual_info_matrix


def mig(codes: np.ndarray, factors: np.ndarray, seed: int = 0, bins: int = 20) -> MetricResult:
    codes, factors = check_inputs(codes, factors)
    mi = mutual_info_matrix(discretize(codes, bins), factors)  # (D, K)
    h = entropies(factors)
    top = np.sort(mi, axis=0)[::-1]
    second = top[1] if mi.shape[0] > 1 else np.zeros(mi.shape[1])
    gaps = (top[0] - second) / np.where(h > 0, h, 1.0)
    scores = {"mig": float(gaps.mean())}
    scores.update({f"mig[{k}]": float(g) for k, g in enumerate(gaps)})
    return MetricResult(scores, {"mi": mi, "mi_normalised": mi / np.where(h > 0, h, 1.0)})
