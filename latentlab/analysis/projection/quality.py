"""How faithful a map is to the vectors it was made from.

Four figures, each on a fixed, seeded sample of the points so that they cost the same at any size:

- trustworthiness at ``k`` (Venna & Kaski 2001; ``sklearn.manifold.trustworthiness``): are the map's
  near neighbours near in the input? 1 is perfect;
- kNN recall at ``k``: the share of each sampled point's ``k`` nearest input neighbours (among all points)
  that are among its ``k`` nearest on the map;
- label accuracy: a 10-nearest-neighbour classifier on the map coordinates, 5-fold, when labels exist;
- extent ratio: the span of the central 98% of the points over the full span, the smaller of the axes.
  A map whose small groups were flung far from the rest scores near 0: fitted to all its points, the
  view shows one small blob.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

SAMPLE = 5_000


@dataclass(frozen=True)
class MapQuality:
    trustworthiness: float
    knn_recall: float
    label_accuracy: float | None
    extent_ratio: float

    def as_dict(self) -> dict:
        return asdict(self)


def extent_ratio(Y: np.ndarray, central: float = 0.98) -> float:
    """The span of the central ``central`` share of the points over the full span, the smaller over the axes."""
    Y = np.asarray(Y, dtype=np.float64)
    tail = (1.0 - central) / 2
    lo, hi = np.quantile(Y, [tail, 1.0 - tail], axis=0)
    full = Y.max(axis=0) - Y.min(axis=0)
    return float(np.min((hi - lo) / np.maximum(full, 1e-12)))


def _unit(X: np.ndarray) -> np.ndarray:
    return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)


def knn_recall(X: np.ndarray, Y: np.ndarray, rows: np.ndarray, k: int = 15, metric: str = "euclidean") -> float:
    """Mean share of each of ``rows``' ``k`` nearest input neighbours that are among its ``k`` nearest on the map."""
    from latentlab.analysis.projection.knn import top_k

    if metric not in ("euclidean", "cosine"):
        raise ValueError(f"knn_recall supports euclidean and cosine, not {metric!r}")
    X, Y, rows = np.asarray(X, dtype=np.float32), np.asarray(Y), np.asarray(rows)
    near_x = top_k(X, X[rows], k, metric, exclude=rows)[0]  # (R, k), each row itself left out
    near_y = top_k(Y, Y[rows], k, "euclidean", exclude=rows)[0]
    return float(np.mean([len(np.intersect1d(a, b)) / k for a, b in zip(near_x, near_y)]))


def label_accuracy(Y: np.ndarray, labels: np.ndarray, rows: np.ndarray) -> float:
    """5-fold accuracy of a 10-nearest-neighbour classifier on the map coordinates of ``rows``."""
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    return float(cross_val_score(KNeighborsClassifier(10), Y[rows], np.asarray(labels)[rows], cv=5).mean())


def map_quality(X: np.ndarray, Y: np.ndarray, labels: np.ndarray | None = None, metric: str = "euclidean",
                k: int = 15, sample: int = SAMPLE, seed: int = 0) -> MapQuality:
    """The four figures of the module docstring for the map ``Y`` (n, 2 or 3) of ``X`` (n, d)."""
    from sklearn.manifold import trustworthiness

    X, Y = np.asarray(X, dtype=np.float32), np.asarray(Y, dtype=np.float32)
    rows = np.sort(np.random.default_rng(seed).choice(len(X), min(sample, len(X)), replace=False))
    Xs = _unit(X[rows]) if metric == "cosine" else X[rows]
    return MapQuality(
        trustworthiness=float(trustworthiness(Xs, Y[rows], n_neighbors=k)),
        knn_recall=knn_recall(X, Y, rows, k, metric),
        label_accuracy=None if labels is None else label_accuracy(Y, labels, rows),
        extent_ratio=extent_ratio(Y),
    )
