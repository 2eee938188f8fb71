"""Clusterers behind one small contract: ``fit_predict(X) -> labels``.

k-means and Gaussian mixtures (scikit-learn), HDBSCAN (Campello et al. 2013;
label -1 is noise) and agglomerative clustering. ``PARAMS`` lists what the UI
and CLI may tune.
"""

from __future__ import annotations

import numpy as np

from latentlab.errors import LatentLabError
from latentlab.projection.base import Param


class Clusterer:
    PARAMS: tuple[Param, ...] = ()

    def __init__(self, random_state: int = 0, **params):
        self.random_state = random_state
        self.params = params

    def get_params(self) -> dict:
        return {p.name: self.params.get(p.name, p.default) for p in self.PARAMS}

    def fit_predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        unknown = set(self.params) - {p.name for p in self.PARAMS}
        if unknown:
            raise LatentLabError(f"Unknown parameter(s) {', '.join(sorted(unknown))}; this method takes {', '.join(p.name for p in self.PARAMS)}.")
        k = self.get_params().get("k")
        if k is not None and not 2 <= int(k) <= X.shape[0] - 1:
            raise LatentLabError(f"--k must be between 2 and {X.shape[0] - 1} for {X.shape[0]} points, got {k}.")
        self.labels_ = np.asarray(self._fit_predict(X), dtype=np.int64)
        return self.labels_


class KMeansClusterer(Clusterer):
    PARAMS = (Param("k", 10, 2, 100, help="number of clusters"),)

    def _fit_predict(self, X):
        from sklearn.cluster import KMeans

        model = KMeans(n_clusters=int(self.get_params()["k"]), n_init=10, random_state=self.random_state)
        labels = model.fit_predict(X)
        self.centers_ = model.cluster_centers_
        return labels


class GMMClusterer(Clusterer):
    PARAMS = (
        Param("k", 10, 2, 100, help="number of mixture components"),
        Param("covariance", "full", choices=("full", "diag", "tied", "spherical")),
    )

    def _fit_predict(self, X):
        from sklearn.mixture import GaussianMixture

        p = self.get_params()
        model = GaussianMixture(n_components=int(p["k"]), covariance_type=p["covariance"], random_state=self.random_state, reg_covar=1e-5)
        return model.fit_predict(X)


class HDBSCANClusterer(Clusterer):
    PARAMS = (
        Param("min_cluster_size", 15, 2, 1000, help="smallest group that counts as a cluster"),
        Param("min_samples", 5, 1, 1000, help="how conservative the density estimate is"),
    )

    def _fit_predict(self, X):
        from sklearn.cluster import HDBSCAN

        p = self.get_params()
        return HDBSCAN(min_cluster_size=int(p["min_cluster_size"]), min_samples=int(p["min_samples"])).fit_predict(X)


class AgglomerativeClusterer(Clusterer):
    PARAMS = (
        Param("k", 10, 2, 100, help="number of clusters"),
        Param("linkage", "ward", choices=("ward", "average", "complete", "single")),
    )

    def _fit_predict(self, X):
        from sklearn.cluster import AgglomerativeClustering

        p = self.get_params()
        return AgglomerativeClustering(n_clusters=int(p["k"]), linkage=p["linkage"]).fit_predict(X)
