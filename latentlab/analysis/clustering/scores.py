"""Cluster quality scores: internal (silhouette, Davies-Bouldin,
Calinski-Harabasz) and, with true labels, ARI, NMI and matched accuracy
(Hungarian matching of clusters to labels)."""

from __future__ import annotations

import numpy as np

SILHOUETTE_SAMPLE = 5000


def matched_accuracy(true: np.ndarray, pred: np.ndarray) -> float:
    """Best accuracy over one-to-one assignments of clusters to labels."""
    from scipy.optimize import linear_sum_assignment

    t_vals, t = np.unique(true, return_inverse=True)
    p_vals, p = np.unique(pred, return_inverse=True)
    table = np.zeros((len(p_vals), len(t_vals)), dtype=np.int64)
    np.add.at(table, (p, t), 1)
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / len(true))


def cluster_scores(X: np.ndarray, pred: np.ndarray, true: np.ndarray | None = None, seed: int = 0) -> dict[str, float]:
    from sklearn import metrics

    scores: dict[str, float] = {"n_clusters": float(len(set(pred.tolist()) - {-1}))}
    mask = pred >= 0  # HDBSCAN noise is left out of the internal scores
    scores["noise_fraction"] = float(1 - mask.mean())
    if len(np.unique(pred[mask])) >= 2:
        Xm, pm = X[mask], pred[mask]
        size = min(SILHOUETTE_SAMPLE, len(pm))
        scores["silhouette"] = float(metrics.silhouette_score(Xm, pm, sample_size=size, random_state=seed))
        scores["davies_bouldin"] = float(metrics.davies_bouldin_score(Xm, pm))
        scores["calinski_harabasz"] = float(metrics.calinski_harabasz_score(Xm, pm))
    if true is not None:
        true = np.asarray(true).astype(str)
        scores["ari"] = float(metrics.adjusted_rand_score(true, pred))
        scores["nmi"] = float(metrics.normalized_mutual_info_score(true, pred))
        scores["matched_accuracy"] = matched_accuracy(true, pred)
    return scores
