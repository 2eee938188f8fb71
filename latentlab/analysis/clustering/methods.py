"""Clusterers behind one small contract: ``fit_predict(X) -> labels``.

k-means and Gaussian mixtures (scikit-learn), HDBSCAN (Campello et al. 2013;
label -1 is noise) and agglomerative clustering. ``PARAMS`` lists what the UI
and CLI may tune.
"""

from __future__ import annotations

import numpy as np

from latentlab.core.errors import LatentLabError
from latentlab.core.params import Param, check_params
from latentlab.core.progress import ProgressFn, report


class Clusterer:
    """``PARAMS``: what may be tuned. ``INLINE_POINTS``: up to this many points a fit is quick enough to
    run while a page waits; more go to a background job. ``MAX_POINTS``: beyond this the method's time or
    memory grows out of bounds (pairwise distances), so it is refused with a way out."""

    PARAMS: tuple[Param, ...] = ()
    INLINE_POINTS: int | None = 10_000  # None: always quick enough
    MAX_POINTS: int | None = None
    READS_MODEL = False  # True: reads a model's own clusters from an embedding (``read``) instead of fitting points

    def __init__(self, random_state: int = 0, **params):
        self.random_state = random_state
        self.params = check_params(self.PARAMS, params, type(self).__name__.removesuffix("Clusterer"))  # before any work

    def get_params(self) -> dict:
        return {p.name: self.params.get(p.name, p.default) for p in self.PARAMS}

    def check_checkpoint(self, ck) -> None:
        """Fails in one sentence when this method cannot cluster checkpoint ``ck``'s codes (before encoding)."""

    def extra_scores(self) -> dict[str, float]:
        """Scores of its own beside ``cluster_scores``', after ``fit_predict`` or ``read``."""
        return {}

    def fit_predict(self, X: np.ndarray, progress: ProgressFn | None = None) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        k = self.get_params().get("k")
        if k is not None and not 2 <= int(k) <= X.shape[0] - 1:
            raise LatentLabError(f"`k` must be between 2 and {X.shape[0] - 1} for {X.shape[0]} points, got {k}.",
                                 param="k", value=k)
        if self.MAX_POINTS is not None and len(X) > self.MAX_POINTS:
            raise LatentLabError(f"{type(self).__name__[:-9]} clustering is limited to {self.MAX_POINTS:,} points (its cost grows "
                                 f"with the square of the count) and this space has {len(X):,}; use kmeans or gmm instead.")
        self.labels_ = np.asarray(self._fit_predict(X, report(progress)), dtype=np.int64)
        return self.labels_


class KMeansClusterer(Clusterer):
    """k-means with ``N_INIT`` seeded restarts, the best inertia kept; one progress step per restart."""

    PARAMS = (Param("k", 10, 2, 100, help="number of clusters"),)
    INLINE_POINTS = 100_000
    N_INIT = 10

    def _fit_predict(self, X, progress):
        from sklearn.cluster import KMeans

        k = int(self.get_params()["k"])
        seeds = np.random.RandomState(self.random_state).randint(np.iinfo(np.int32).max, size=self.N_INIT)
        best = None
        progress("k-means fits", 0, self.N_INIT, "fits")
        for done, seed in enumerate(seeds, 1):
            model = KMeans(n_clusters=k, n_init=1, random_state=int(seed)).fit(X)
            if best is None or model.inertia_ < best.inertia_:
                best = model
            progress("k-means fits", done, self.N_INIT, "fits")
        self.centers_ = best.cluster_centers_
        return best.labels_


class GMMClusterer(Clusterer):
    """A Gaussian mixture fitted by EM; one progress step per EM iteration."""

    PARAMS = (
        Param("k", 10, 2, 100, help="number of mixture components"),
        Param("covariance", "full", choices=("full", "diag", "tied", "spherical")),
    )
    INLINE_POINTS = 50_000
    MAX_ITER = 100

    def _fit_predict(self, X, progress):
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.mixture import GaussianMixture

        p = self.get_params()
        # One EM iteration per fit call, continued from the last (warm start), so each can be reported.
        model = GaussianMixture(n_components=int(p["k"]), covariance_type=p["covariance"], random_state=self.random_state,
                                reg_covar=1e-5, max_iter=1, warm_start=True)
        previous = -np.inf
        progress("EM iterations", 0, self.MAX_ITER, "iterations")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for it in range(1, self.MAX_ITER + 1):
                model.fit(X)
                progress("EM iterations", it, self.MAX_ITER, "iterations")
                if abs(model.lower_bound_ - previous) < model.tol:
                    break
                previous = model.lower_bound_
        progress("EM iterations", self.MAX_ITER, self.MAX_ITER, "iterations")
        return model.predict(X)


class HDBSCANClusterer(Clusterer):
    PARAMS = (
        Param("min_cluster_size", 15, 2, 1000, help="smallest group that counts as a cluster"),
        Param("min_samples", 5, 1, 1000, help="how conservative the density estimate is"),
    )
    INLINE_POINTS = 20_000
    MAX_POINTS = 250_000

    def _fit_predict(self, X, progress):
        from sklearn.cluster import HDBSCAN

        p = self.get_params()
        progress("HDBSCAN", 0, 1, "fits")
        labels = HDBSCAN(min_cluster_size=int(p["min_cluster_size"]), min_samples=int(p["min_samples"])).fit_predict(X)
        progress("HDBSCAN", 1, 1, "fits")
        return labels


class AgglomerativeClusterer(Clusterer):
    PARAMS = (
        Param("k", 10, 2, 100, help="number of clusters"),
        Param("linkage", "ward", choices=("ward", "average", "complete", "single")),
    )
    INLINE_POINTS = 8_000
    MAX_POINTS = 20_000  # all pairwise distances: 20,000 points take 1.6 GB

    def _fit_predict(self, X, progress):
        from sklearn.cluster import AgglomerativeClustering

        p = self.get_params()
        progress("agglomerative", 0, 1, "fits")
        labels = AgglomerativeClustering(n_clusters=int(p["k"]), linkage=p["linkage"]).fit_predict(X)
        progress("agglomerative", 1, 1, "fits")
        return labels
