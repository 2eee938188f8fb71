"""Clusterers keyed by short name, scores and explanations."""

from latentlab.analysis.clustering.profiles import centroids, cluster_table, distinguishing_dims
from latentlab.analysis.clustering.methods import (AgglomerativeClusterer, Clusterer, GMMClusterer, HDBSCANClusterer,
                                                   KMeansClusterer)
from latentlab.analysis.clustering.model import MODEL_METHOD, ModelClusterer
from latentlab.analysis.clustering.scores import cluster_scores, matched_accuracy
from latentlab.core.registry import Registry

CLUSTERERS: Registry[type[Clusterer]] = Registry("clustering method")
for _name, _cls, _description in (
    ("kmeans", KMeansClusterer, "k-means: k round clusters of similar size"),
    ("gmm", GMMClusterer, "Gaussian mixture: k elliptical clusters, soft assignments"),
    ("hdbscan", HDBSCANClusterer, "HDBSCAN: clusters of any shape found by density, with noise (-1)"),
    ("agglomerative", AgglomerativeClusterer, "agglomerative: k clusters merged bottom up (Ward linkage by default)"),
    (MODEL_METHOD, ModelClusterer, "the model's own clusters: each item's most likely cluster under a model that "
                                   "clusters its codes (dec, gmvae); offered for such a model only"),
):
    CLUSTERERS.add(_name, _cls, _description, params=_cls.PARAMS, inline_points=_cls.INLINE_POINTS,
                   max_points=_cls.MAX_POINTS)


def make_clusterer(method: str, random_state: int = 0, **params) -> Clusterer:
    cls = CLUSTERERS.lookup(method)
    return cls(random_state=random_state, **params)


__all__ = ["CLUSTERERS", "MODEL_METHOD", "Clusterer", "ModelClusterer", "centroids", "cluster_scores", "cluster_table", "distinguishing_dims",
           "make_clusterer", "matched_accuracy"]
