"""Modularity and explicitness (Ridgeway & Mozer 2018, arXiv:1802.05312).

Estimator choices: modularity uses the same 20-bin MI matrix as MIG; for each
latent, the deviation of its MI row from an ideal one-factor template,
normalised by theta_d^2 (K - 1), gives 1 - delta_d, averaged over the
informative latents: those whose largest MI is at least 5% of that factor's
entropy. The histogram estimate gives noise a small positive MI, which the
paper's formula would score as perfectly modular; with no informative latent
the modularity is 0. Explicitness: per factor, a one-vs-rest logistic
regression on all standardised codes; the mean one-vs-rest ROC AUC on held-out
items (up to 8,000 / 2,000), averaged over factors. ``DEVIATION`` names where
this departs from disentanglement_lib; docs/metrics.md and the Metrics page show it too.
"""

from __future__ import annotations

import numpy as np

from latentlab.analysis.metrics.base import (MetricResult, check_inputs, discretize, entropies, mutual_info_matrix,
                                             split, standardise)

INFORMATIVE = 0.05

DEVIATION = ("Modularity averages over the informative latents only (largest MI at least 5% of that factor's "
             "entropy; 0 when there is none); disentanglement_lib averages over every latent, so a pure-noise "
             "latent, whose histogram MI is small but not zero, counts there as up to perfectly modular. "
             "Explicitness fits its logistic regressions on standardised codes; the reference fits them on the "
             "raw codes, which makes its L2 penalty depend on each latent's scale.")


def modularity_explicitness(codes: np.ndarray, factors: np.ndarray, seed: int = 0, bins: int = 20,
                            n_train: int = 8000, n_test: int = 2000) -> MetricResult:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import label_binarize

    codes, factors = check_inputs(codes, factors)
    mi = mutual_info_matrix(discretize(codes, bins), factors)  # (D, K)
    K = mi.shape[1]
    theta = mi.max(1)
    h = entropies(factors)
    informative = theta >= INFORMATIVE * h[mi.argmax(1)]
    template = np.zeros_like(mi)
    template[np.arange(len(mi)), mi.argmax(1)] = theta
    delta = ((mi - template) ** 2).sum(1) / np.where(informative, theta**2 * max(K - 1, 1), 1.0)
    modularity = float((1 - delta)[informative].mean()) if informative.any() else 0.0

    z = standardise(codes)
    train, test = split(len(z), n_train, n_test, seed)
    aucs = []
    for k in range(K):
        y = factors[:, k]
        classes = np.unique(y)
        if len(classes) < 2 or len(np.unique(y[test])) < 2:
            continue
        model = LogisticRegression(max_iter=500, random_state=seed).fit(z[train], y[train])
        proba = model.predict_proba(z[test])
        y_test = label_binarize(y[test], classes=model.classes_)
        if len(model.classes_) == 2:
            aucs.append(roc_auc_score(y[test], proba[:, 1]))
        else:
            present = y_test.sum(0) > 0
            aucs.append(float(np.mean([roc_auc_score(y_test[:, j], proba[:, j]) for j in np.flatnonzero(present)])))
    return MetricResult({"modularity": modularity, "explicitness": float(np.mean(aucs)) if aucs else 0.0}, {"mi": mi})
