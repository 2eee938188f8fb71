"""UMAP (McInnes et al. 2018, arXiv:1802.03426), PCA and t-SNE
(van der Maaten & Hinton 2008) behind the ``Projector`` contract."""

from __future__ import annotations

import warnings

import numpy as np

from latentlab.core.progress import ProgressFn
from latentlab.analysis.projection.base import Param, Projector


class UMAPProjector(Projector):
    """UMAP, by default the torch implementation (``umap_torch``) on a CUDA GPU when there is one.

    ``backend="umap-learn"`` runs the reference implementation instead. The device
    is not a parameter, so a map's cache key is the same on every machine; the
    one used is recorded in ``device_``.
    """

    INLINE_POINTS = 50_000  # about 3 s at 50,000 on 2 CPU cores

    PARAMS = (
        Param("n_neighbors", 15, 2, 200, help="size of the local neighbourhood"),
        Param("min_dist", 0.1, 0.0, 0.99, help="how tightly points may pack"),
        Param("metric", "euclidean", choices=("euclidean", "cosine", "manhattan", "correlation")),
        Param("backend", "auto", choices=("auto", "torch", "umap-learn"),
              help="auto and torch: the torch implementation, on a CUDA GPU when available; umap-learn: the reference"),
    )

    def _fit_transform(self, X: np.ndarray, progress: ProgressFn) -> np.ndarray:
        p = self.get_params()
        if p["backend"] == "umap-learn":
            self.device_ = "cpu"
            return self._umap_learn(X, p, progress)
        import torch

        from latentlab.analysis.projection.umap_torch import umap

        # Apple MPS lacks float64 and some scatter kernels the layout relies on: CPU there
        self.device_ = "cuda" if torch.cuda.is_available() else "cpu"
        return umap(X, n_components=self.n_components, n_neighbors=int(p["n_neighbors"]),
                    min_dist=float(p["min_dist"]), metric=p["metric"], random_state=self.random_state,
                    device=self.device_, progress=progress)

    def _umap_learn(self, X: np.ndarray, p: dict, progress: ProgressFn) -> np.ndarray:
        import umap

        progress("UMAP (umap-learn)", 0, 1, "fits")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # n_jobs is forced to 1 when seeded; that is what we want
            model = umap.UMAP(
                n_components=self.n_components,
                n_neighbors=int(min(p["n_neighbors"], X.shape[0] - 1)),
                min_dist=float(p["min_dist"]),
                metric=p["metric"],
                random_state=self.random_state,
                init="spectral" if X.shape[0] > self.n_components + 1 else "random",
            )
            out = model.fit_transform(X).astype(np.float32)
        progress("UMAP (umap-learn)", 1, 1, "fits")
        return out


class PCAProjector(Projector):
    INLINE_POINTS = 10**9  # a (d, d) covariance of the codes: quick at any size
    PARAMS = (Param("whiten", "no", choices=("no", "yes"), help="scale components to unit variance"),)

    def _fit_transform(self, X: np.ndarray, progress: ProgressFn) -> np.ndarray:
        from sklearn.decomposition import PCA

        progress("PCA", 0, 1, "fits")
        k = min(self.n_components, X.shape[1])
        pca = PCA(n_components=k, whiten=self.get_params()["whiten"] == "yes", random_state=self.random_state)
        out = pca.fit_transform(X)
        self.explained_variance_ratio_ = pca.explained_variance_ratio_
        if k < self.n_components:  # a 1-D latent still gets a 2-D map
            out = np.pad(out, ((0, 0), (0, self.n_components - k)))
        progress("PCA", 1, 1, "fits")
        return out.astype(np.float32)


class TSNEProjector(Projector):
    INLINE_POINTS = 3000
    PARAMS = (
        Param("perplexity", 30.0, 2.0, 100.0, help="effective number of neighbours"),
        Param("learning_rate", "auto", help="'auto' or a number"),
    )

    def _fit_transform(self, X: np.ndarray, progress: ProgressFn) -> np.ndarray:
        from sklearn.manifold import TSNE

        p = self.get_params()
        lr = p["learning_rate"]
        progress("t-SNE", 0, 1, "fits")
        tsne = TSNE(
            n_components=self.n_components,
            perplexity=float(min(p["perplexity"], (X.shape[0] - 1) / 3)),
            learning_rate=lr if lr == "auto" else float(lr),
            init="pca",
            random_state=self.random_state,
        )
        out = tsne.fit_transform(X).astype(np.float32)
        progress("t-SNE", 1, 1, "fits")
        return out
