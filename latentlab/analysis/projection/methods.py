"""UMAP (McInnes et al. 2018, arXiv:1802.03426), PCA and t-SNE
(van der Maaten & Hinton 2008) behind the ``Projector`` contract."""

from __future__ import annotations

import warnings

import numpy as np

from latentlab.analysis.projection.base import Param, Projector
from latentlab.core.errors import LatentLabError
from latentlab.core.progress import ProgressFn


class UMAPProjector(Projector):
    """UMAP: on a CUDA GPU RAPIDS cuML's ``UMAP`` when it is installed (the ``gpu`` extra), else the torch
    implementation (``umap_torch``), on the GPU when there is one.

    ``backend`` picks one explicitly: ``umap-learn`` runs the reference implementation, ``cuml`` needs
    cuML and a CUDA GPU. The device is not a parameter, so a map's cache key is the same on every machine;
    the engine used is recorded in ``backend_`` and the device in ``device_``.

    On a CPU the torch path is the default because it measures as faithful as umap-learn and faster on real
    data (``benchmarks/umap_bench.py``; figures in docs/scale.md).
    """

    INLINE_POINTS = 50_000  # about 3 s at 50,000 on 2 CPU cores

    PARAMS = (
        Param("n_neighbors", 15, 2, 200, help="size of the local neighbourhood"),
        Param("min_dist", 0.1, 0.0, 0.99, help="how tightly points may pack"),
        Param("metric", "euclidean", choices=("euclidean", "cosine", "manhattan", "correlation")),
        Param("backend", "auto", choices=("auto", "torch", "umap-learn", "cuml"),
              help="auto: cuML on a CUDA GPU when installed, else the torch implementation (on a CUDA GPU when "
                   "available); umap-learn: the reference"),
    )

    def _fit_transform(self, X: np.ndarray, progress: ProgressFn) -> np.ndarray:
        import torch

        p = self.get_params()
        backend = p["backend"]
        if backend == "auto":
            backend = "cuml" if torch.cuda.is_available() and _cuml_installed() else "torch"
        self.backend_ = backend
        if backend == "umap-learn":
            self.device_ = "cpu"
            return self._umap_learn(X, p, progress)
        if backend == "cuml":
            self.device_ = "cuda"
            return self._cuml(X, p, progress)
        from latentlab.analysis.projection.umap_torch import umap

        # Apple MPS lacks float64 and some scatter kernels the layout relies on: CPU there
        self.device_ = "cuda" if torch.cuda.is_available() else "cpu"
        return umap(X, n_components=self.n_components, n_neighbors=int(p["n_neighbors"]),
                    min_dist=float(p["min_dist"]), metric=p["metric"], random_state=self.random_state,
                    device=self.device_, progress=progress)

    def _cuml(self, X: np.ndarray, p: dict, progress: ProgressFn) -> np.ndarray:
        import torch

        if not _cuml_installed():
            raise LatentLabError("UMAP backend 'cuml' needs RAPIDS cuML: install it with pip install "
                                 "'latentlab[gpu]' on a machine with a CUDA GPU, or choose backend auto.")
        if not torch.cuda.is_available():
            raise LatentLabError("UMAP backend 'cuml' needs a CUDA GPU and none is visible here; choose backend auto.")
        from cuml.manifold import UMAP

        progress("UMAP (cuML)", 0, 1, "fits")
        model = UMAP(n_components=self.n_components, n_neighbors=int(min(p["n_neighbors"], X.shape[0] - 1)),
                     min_dist=float(p["min_dist"]), metric=p["metric"], random_state=self.random_state,
                     init="spectral")
        out = model.fit_transform(X)
        out = out.get() if hasattr(out, "get") else out  # a CuPy array when cuML is set to answer in kind
        progress("UMAP (cuML)", 1, 1, "fits")
        return np.asarray(out, dtype=np.float32)

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


def _cuml_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("cuml") is not None


class PCAProjector(Projector):
    """Principal components by ``preview.principal_axes``, not scikit-learn's ``PCA``: the same covariance
    eigen-decomposition its ``covariance_eigh`` solver makes for tall data, with the same sign convention, but
    no 0.8 s import of ``sklearn.decomposition`` on the page that first asks for it (on this project's 2-core
    CPU), and the covariance summed a block at a time in float64, never a centred copy of the codes.
    ``benchmarks/pca_projection.py`` compares the two side by side (time, memory and the largest difference);
    codes wider than ``SKLEARN_FROM`` dimensions go to scikit-learn's randomized solver."""

    INLINE_POINTS = 10**9  # a (d, d) covariance of the codes: quick at any size
    SKLEARN_FROM = 2048  # a (d, d) eigen-decomposition past this width: scikit-learn's randomized solver is quicker
    PARAMS = (Param("whiten", "no", choices=("no", "yes"), help="scale components to unit variance"),)

    def _fit_transform(self, X: np.ndarray, progress: ProgressFn) -> np.ndarray:
        from latentlab.analysis.projection.preview import principal_axes, projected

        progress("PCA", 0, 1, "fits")
        k = min(self.n_components, X.shape[1])
        whiten = self.get_params()["whiten"] == "yes"
        if X.shape[1] >= self.SKLEARN_FROM:
            from sklearn.decomposition import PCA

            pca = PCA(n_components=k, whiten=whiten, random_state=self.random_state)
            out = pca.fit_transform(X)
            self.explained_variance_ratio_ = pca.explained_variance_ratio_
        else:
            mean, variances, axes = principal_axes(X)
            axes = axes[:, :k]
            if whiten:
                axes = axes / np.sqrt(np.maximum(variances[:k], np.finfo(np.float64).tiny))
            out = projected(X, mean, axes)
            self.explained_variance_ratio_ = variances[:k] / max(variances.sum(), np.finfo(np.float64).tiny)
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
