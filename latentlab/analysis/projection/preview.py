"""A latent space's principal components in milliseconds, with no library beyond numpy.

The (d, d) covariance of the codes is cheap at any number of points (a million
10-D codes in well under a second). The dashboard draws it while a UMAP or t-SNE
of the same points is being made, UMAP starts from it when the fuzzy graph gives
no spectral embedding, and the ``pca`` projector is it (``methods.PCAProjector``
says why it is not scikit-learn's PCA).
"""

from __future__ import annotations

import numpy as np

_BLOCK = 262_144


def principal_axes(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mean (d,), the variances along the principal axes (d,), largest first (sample variances, over n - 1),
    and the axes as columns (d, d), each axis's sign fixed so that its largest loading is positive (scikit-learn's
    convention): the eigen-decomposition of the covariance, summed in float64 a block of rows at a time."""
    X = np.asarray(X)
    mean = X.mean(axis=0, dtype=np.float64)
    blocks = range(0, len(X), _BLOCK)  # centred in float64 a block at a time: no float64 copy of a large set
    cov = sum((c.T @ c for c in (X[i : i + _BLOCK].astype(np.float64) - mean for i in blocks)),
              np.zeros((X.shape[1], X.shape[1])))
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1]
    vals, vecs = np.clip(vals[order], 0.0, None) / max(len(X) - 1, 1), vecs[:, order]
    vecs *= np.sign(vecs[np.abs(vecs).argmax(axis=0), range(vecs.shape[1])])
    return mean, vals, vecs


def projected(X: np.ndarray, mean: np.ndarray, axes: np.ndarray) -> np.ndarray:
    """``(X - mean) @ axes`` (n, k) float64, a block of rows at a time."""
    blocks = range(0, len(X), _BLOCK)
    return np.concatenate([(X[i : i + _BLOCK].astype(np.float64) - mean) @ axes for i in blocks]
                          or [np.zeros((0, axes.shape[1]))])


def principal_components(X: np.ndarray, dim: int, gen: np.random.Generator | None = None) -> np.ndarray:
    """The projection of ``X`` (n, d) on its ``dim`` leading principal axes (``principal_axes``). Codes with fewer
    than ``dim`` dimensions are padded: with zeros, or with noise of 1% of the spread when ``gen`` is given.
    Returns (n, dim) float64."""
    X = np.asarray(X)
    mean, _, vecs = principal_axes(X)
    Y = projected(X, mean, vecs[:, :dim])
    if Y.shape[1] < dim:
        pad = np.zeros((len(X), dim - Y.shape[1]))
        if gen is not None:
            pad = gen.normal(scale=max(np.abs(Y).max(initial=0.0), 1e-6) * 0.01, size=pad.shape)
        Y = np.hstack([Y, pad])
    return Y
