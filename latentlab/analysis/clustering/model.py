"""A model's own clustering: the soft assignments (N, K) of a model that clusters its codes (DEC's
Student-t assignments, a Gaussian-mixture VAE's component responsibilities), kept in the embedding as
``Embedding.assign``. Any such model gives the same views: hard labels, confidence, and agreement with
another clustering of the same items."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from latentlab.analysis.clustering.methods import Clusterer
from latentlab.core.errors import LatentLabError

MODEL_METHOD = "model"  # the registry name (CLI --method, Clusters page) of a model's own clusters
COMPARED_SCORES = ("n_clusters", "silhouette", "davies_bouldin", "calinski_harabasz", "ari", "nmi", "matched_accuracy",
                   "mean_confidence")


def model_labels(assign: np.ndarray | None, what: str = "This model") -> np.ndarray:
    """Hard labels (N,): each item's most likely cluster under soft assignments ``assign`` (N, K)."""
    if assign is None:
        raise LatentLabError(f"{what} does not cluster its codes, so it has no clustering of its own; "
                             "use a clustering method such as kmeans or gmm instead of 'model'.")
    return np.asarray(assign).argmax(1).astype(np.int64)


def assignment_confidence(assign: np.ndarray) -> np.ndarray:
    """Each item's largest soft assignment (N,): 1 when the model is sure, 1/K when it cannot tell."""
    return np.asarray(assign).max(1)


class ModelClusterer(Clusterer):
    """A model's own clusters, read rather than fitted: each item's most likely cluster under the soft assignments
    ``Embedding.assign`` of a model that clusters its codes (``LatentModel.n_clusters`` > 0, such as dec or gmvae).
    It takes no parameters; its scores add the mean assignment confidence."""

    INLINE_POINTS = None  # read, not fitted: never a background job
    READS_MODEL = True

    def __init__(self, random_state: int = 0, **params):
        if params:
            raise LatentLabError(f"Method '{MODEL_METHOD}' takes no parameters (got {', '.join(sorted(params))}): the "
                                 "model's clusters are its own; leave out `k` and `param`.", param="param",
                                 value=params, also=("k",))
        super().__init__(random_state)

    def check_checkpoint(self, ck) -> None:
        if ck.model.n_clusters == 0:
            raise LatentLabError(f"Checkpoint '{ck.name}' is a {ck.model_name}, which does not cluster its codes; "
                                 f"`method` {MODEL_METHOD} needs a model with clusters of its own (such as dec), so use "
                                 "kmeans, gmm, hdbscan or agglomerative instead.", param="method", value=MODEL_METHOD)

    def read(self, emb) -> np.ndarray:
        """The labels (N,) of embedding ``emb``'s model."""
        self.labels_ = model_labels(emb.assign, "This space's model" if emb.has_model else "A dataset's own vectors")
        self.confidence_ = assignment_confidence(emb.assign)
        return self.labels_

    def _fit_predict(self, X, progress):
        return model_labels(None, "A bare array of points")  # no model, so no clusters of its own: a one-sentence error

    def extra_scores(self) -> dict[str, float]:
        return {"mean_confidence": float(self.confidence_.mean())}


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


@dataclass
class BesideKMeans:
    """A model's own clusters beside k-means with the same k on the same latent means: both clusterings
    (``ClusterResult``), and how far they agree (``ari``, ``nmi``)."""

    model: object
    kmeans: object
    ari: float
    nmi: float

    @classmethod
    def of(cls, model, kmeans) -> "BesideKMeans":
        return cls(model, kmeans, **agreement(model.labels, kmeans.labels))

    def scores(self, model_name: str = "model") -> pd.DataFrame:
        """One row per score either clustering has (``COMPARED_SCORES``): the model's and k-means's."""
        k = int(self.kmeans.scores.get("n_clusters", len(np.unique(self.kmeans.labels))))
        frame = pd.DataFrame({"score": [s.replace("_", " ") for s in COMPARED_SCORES],
                              model_name: [self.model.scores.get(s, np.nan) for s in COMPARED_SCORES],
                              f"k-means (k = {k})": [self.kmeans.scores.get(s, np.nan) for s in COMPARED_SCORES]})
        return frame.dropna(how="all", subset=list(frame.columns[1:])).reset_index(drop=True)

    def shared(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """How many items each model cluster (rows) shares with each k-means cluster (columns)."""
        return contingency(self.model.labels, self.kmeans.labels)
