"""InfoMEC: InfoM (modularity), InfoE (explicitness), InfoC (compactness)
(Hsu et al. 2023, "Disentanglement via Latent Quantization", arXiv:2305.18378).

Estimator choices: the normalised mutual information NMI_ij = I(z_i; s_j) / H(s_j)
uses 20 equal-width bins per latent (the paper's discretised estimate).
Latents whose total NMI is under 0.01 are inactive and left out. InfoM:
for each active latent, how far the largest share of its NMI row is above
uniform, (max_j NMI_ij / sum_j NMI_ij - 1/K) / (1 - 1/K), averaged. InfoC:
the same per source over active latents. InfoE: per source, a multinomial
logistic regression on the standardised active latents; the fraction of the
source's entropy it explains, (H(s_j) - CE_j) / H(s_j), on held-out items,
clipped to [0, 1] and averaged.
"""

from __future__ import annotations

import numpy as np

from latentlab.analysis.metrics.base import (MetricResult, check_inputs, discretize, entropies, mutual_info_matrix,
                                             split, standardise)

ACTIVE_NMI = 0.01


def _concentration(matrix: np.ndarray, axis: int) -> np.ndarray:
    n = matrix.shape[axis]
    if n <= 1:
        return np.ones(matrix.shape[1 - axis])
    share = matrix.max(axis) / np.clip(matrix.sum(axis), 1e-12, None)
    return (share - 1.0 / n) / (1.0 - 1.0 / n)


def infomec(codes: np.ndarray, factors: np.ndarray, seed: int = 0, bins: int = 20,
            n_train: int = 8000, n_test: int = 2000) -> MetricResult:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    codes, factors = check_inputs(codes, factors)
    h = entropies(factors)
    nmi = mutual_info_matrix(discretize(codes, bins), factors) / np.where(h > 0, h, 1.0)  # (D, K)
    active = nmi.sum(1) >= ACTIVE_NMI
    if not active.any():
        return MetricResult({"infom": 0.0, "infoc": 0.0, "infoe": 0.0, "active_latents": 0.0}, {"nmi": nmi},
                            notes="no latent carries information about the factors")
    A = nmi[active]
    info_m = float(_concentration(A, axis=1).mean())
    info_c = float(_concentration(A, axis=0).mean())
    z = standardise(codes[:, active])
    train, test = split(len(z), n_train, n_test, seed)
    explained = []
    for k in range(factors.shape[1]):
        y = factors[:, k]
        if h[k] <= 0 or len(np.unique(y[train])) < 2:
            continue
        model = LogisticRegression(max_iter=500, random_state=seed).fit(z[train], y[train])
        ce = log_loss(y[test], model.predict_proba(z[test]), labels=model.classes_)
        explained.append(float(np.clip((h[k] - ce) / h[k], 0.0, 1.0)))
    return MetricResult({"infom": info_m, "infoc": info_c, "infoe": float(np.mean(explained)) if explained else 0.0,
                         "active_latents": float(active.sum())}, {"nmi": nmi})
