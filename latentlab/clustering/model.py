"""A model's own clustering: the soft assignments (N, K) of a model that clusters its codes (DEC's
Student-t assignments, a Gaussian-mixture VAE's component responsibilities), kept in the embedding as
``Embedding.assign``. Any such model gives the same views: hard labels, confidence, and agreement with
another clustering of the same items."""

from __future__ import annotations

import numpy as np

from latentlab.errors import LatentLabError

MODEL_METHOD = "model"  # the clustering method name (CLI --method, Clusters page) for a model's own clusters


def method_label(method: str, model_name: str | None) -> str:
    """How a method is shown: the model's own clustering names the model's family, e.g. "model (dec)"."""
    return f"{MODEL_METHOD} ({model_name})" if method == MODEL_METHOD and model_name else method


def model_labels(assign: np.ndarray | None, what: str = "This model") -> np.ndarray:
    """Hard labels (N,): each item's most likely cluster under soft assignments ``assign`` (N, K)."""
    if assign is None:
        raise LatentLabError(f"{what} does not cluster its codes, so it has no clustering of its own; "
                             "use a clustering method such as kmeans or gmm instead of 'model'.")
    return np.asarray(assign).argmax(1).astype(np.int64)


def assignment_confidence(assign: np.ndarray) -> np.ndarray:
    """Each item's largest soft assignment (N,): 1 when the model is sure, 1/K when it cannot tell."""
    return np.asarray(assign).max(1)


def agreement(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """How far two clusterings of the same items agree: adjusted Rand index and normalised mutual information
    (both 1 for the same partition, whatever the cluster numbers; the ARI is near 0 for unrelated ones)."""
    from sklearn import metrics

    return {"ari": float(metrics.adjusted_rand_score(a, b)), "nmi": float(metrics.normalized_mutual_info_score(a, b))}


def contingency(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How many items each pair of clusters shares: (values of ``a`` (A,), values of ``b`` (B,), counts (A, B))."""
    a_vals, ai = np.unique(a, return_inverse=True)
    b_vals, bi = np.unique(b, return_inverse=True)
    counts = np.zeros((len(a_vals), len(b_vals)), np.int64)
    np.add.at(counts, (ai.ravel(), bi.ravel()), 1)
    return a_vals, b_vals, counts
