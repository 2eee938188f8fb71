"""SAP, the separated attribute predictability score (Kumar et al. 2018, arXiv:1711.00848).

Estimator choices: for every (latent, factor) pair a classifier predicts the
discrete factor from that one latent; its balanced test accuracy, corrected
for chance as (acc - 1/C) / (1 - 1/C) for a factor with C values, fills the
score matrix (D, K); SAP averages, over factors, the gap between the two best
latents. The one-latent classifier is a depth-limited decision tree (up to
2C leaves), which can carve a latent into the intervals an ordinal or
categorical factor occupies; a linear SVM on one feature (disentanglement_lib)
can only split it once, so a perfect code would score well under 1.
Train/test: up to 8,000 / 2,000 items. ``DEVIATION`` names where this departs
from disentanglement_lib; docs/metrics.md and the Metrics page show it too.
"""

from __future__ import annotations

import warnings

import numpy as np

from latentlab.analysis.metrics.base import MetricResult, check_inputs, split

DEVIATION = ("SAP's one-latent classifier is a decision tree with up to 2C leaves, scored by balanced accuracy "
             "corrected for chance; disentanglement_lib fits a linear SVM (C = 0.01) and scores plain accuracy, "
             "which splits a latent only once, so a perfect code of a factor with more than two values would "
             "score well under 1 there.")


def sap(codes: np.ndarray, factors: np.ndarray, seed: int = 0, n_train: int = 8000, n_test: int = 2000) -> MetricResult:
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.tree import DecisionTreeClassifier

    codes, factors = check_inputs(codes, factors)
    train, test = split(len(codes), n_train, n_test, seed)
    D, K = codes.shape[1], factors.shape[1]
    matrix = np.zeros((D, K))
    for k in range(K):
        y = factors[:, k]
        n_classes = len(np.unique(y[train]))
        if n_classes < 2:
            continue
        for d in range(D):
            tree = DecisionTreeClassifier(max_leaf_nodes=2 * n_classes, min_samples_leaf=5, random_state=seed)
            tree.fit(codes[train, d : d + 1], y[train])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # small test splits can miss a factor value; the score still holds
                acc = balanced_accuracy_score(y[test], tree.predict(codes[test, d : d + 1]))
            matrix[d, k] = max(0.0, (acc - 1 / n_classes) / (1 - 1 / n_classes))
    top = np.sort(matrix, axis=0)[::-1]
    gaps = top[0] - (top[1] if D > 1 else 0.0)
    return MetricResult({"sap": float(gaps.mean())}, {"sap_matrix": matrix})
