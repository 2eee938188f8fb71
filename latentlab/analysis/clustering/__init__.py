"""Clusterers keyed by short name, scores and explanations."""

from latentlab.analysis.clustering.explain import centroids, cluster_table, distinguishing_dims
from latentlab.analysis.clustering.methods import (AgglomerativeClusterer, Clusterer, GMMClusterer, HDBSCANClusterer, KMeansClusterer)
from latentlab.analysis.clustering.scores import cluster_scores, matched_accuracy
from latentlab.core.errors import LatentLabError

CLUSTERERS: dict[str, type[Clusterer]] = {
    "kmeans": KMeansClusterer,
    "gmm": GMMClusterer,
    "hdbscan": HDBSCANClusterer,
    "agglomerative": AgglomerativeClusterer,
}


def make_clusterer(method: str, random_state: int = 0, **params) -> Clusterer:
    try:
        cls = CLUSTERERS[method]
    except KeyError:
        raise LatentLabError(f"Unknown clustering method '{method}'; choose one of: {', '.join(CLUSTERERS)}.") from None
    return cls(random_state=random_state, **params)


__all__ = ["CLUSTERERS", "Clusterer", "centroids", "cluster_scores", "cluster_table", "distinguishing_dims",
           "make_clusterer", "matched_accuracy"]
