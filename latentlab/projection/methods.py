"""UMAP (McInnes et al. 2018, arXiv:1802.03426), PCA and t-SNE
(van der Maaten & Hinton 2008) behind the ``Projector`` contract."""

from __future__ import annotations

import warnings

import numpy as np

from latentlab.projection.base import Param, Projector


class UMAPProjector(Projector):
    PARAMS = (
        Param("n_neighbors", 15, 2, 200, help="size of the local neighbourhood"),
        Param("min_dist", 0.1, 0.0, 0.99, help="how tightly points may pack"),
        Param("metric", "euclidean", choices=("euclidean", "cosine", "manhattan", "correlation")),
    )

    def _fit_transform(self, X: np.ndarray) -> np.ndarray:
        import umap

        p = self.get_params()
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
            return model.fit_transform(X).astype(np.float32)


class PCAProjector(Projector):
    PARAMS = (Param("whiten", "no", choices=("no", "yes"), help="scale components to unit variance"),)

    def _fit_transform(self, X: np.ndarray) -> np.ndarray:
        from sklearn.decomposition import PCA

        k = min(self.n_components, X.shape[1])
        pca = PCA(n_components=k, whiten=self.get_params()["whiten"] == "yes", random_state=self.random_state)
        out = pca.fit_transform(X)
        self.explained_variance_ratio_ = pca.explained_variance_ratio_
        if k < self.n_components:  # a 1-D latent still gets a 2-D map
            out = np.pad(out, ((0, 0), (0, self.n_components - k)))
        return out.astype(np.float32)


class TSNEProjector(Projector):
    PARAMS = (
        Param("perplexity", 30.0, 2.0, 100.0, help="effective number of neighbours"),
        Param("learning_rate", "auto", help="'auto' or a number"),
    )

    def _fit_transform(self, X: np.ndarray) -> np.ndarray:
        from sklearn.manifold import TSNE

        p = self.get_params()
        lr = p["learning_rate"]
        tsne = TSNE(
            n_components=self.n_components,
            perplexity=float(min(p["perplexity"], (X.shape[0] - 1) / 3)),
            learning_rate=lr if lr == "auto" else float(lr),
            init="pca",
            random_state=self.random_state,
        )
        return tsne.fit_transform(X).astype(np.float32)
