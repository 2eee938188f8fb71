"""A first view of a latent space in milliseconds: its leading principal components.

No fit and no library beyond numpy: the (d, d) covariance of the codes is cheap
at any number of points (a million 10-D codes in well under a second). The
dashboard draws it while a UMAP or t-SNE of the same points is being made, and
UMAP starts from it when the fuzzy graph gives no spectral embedding.
"""

from __future__ import annotations

import numpy as np

_BLOCK = 262_144


def principal_components(X: np.ndarray, dim: int, gen: np.random.Generator | None = None) -> np.ndarray:
    """The projection of ``X`` (n, d) on its ``dim`` leading principal axes, each axis's sign fixed so that
    its largest loading is positive. Codes with fewer than ``dim`` dimensions are padded: with zeros, or
    with noise of 1% of the spread when ``gen`` is given. Returns (n, dim) float64."""
    X = np.asarray(X)
    mean = X.mean(axis=0, dtype=np.float64)
    blocks = range(0, len(X), _BLOCK)  # centred in float64 a block at a time: no float64 copy of a large set
    cov = sum((c.T @ c for c in (X[i : i + _BLOCK].astype(np.float64) - mean for i in blocks)),
              np.zeros((X.shape[1], X.shape[1])))
    vals, vecs = np.linalg.eigh(cov)
    vecs = vecs[:, np.argsort(vals)[::-1][:dim]]
    vecs *= np.sign(vecs[np.abs(vecs).argmax(axis=0), range(vecs.shape[1])])
    Y = np.concatenate([(X[i : i + _BLOCK].astype(np.float64) - mean) @ vecs for i in blocks] or [np.zeros((0, vecs.shape[1]))])
    if Y.shape[1] < dim:
        pad = np.zeros((len(X), dim - Y.shape[1]))
        if gen is not None:
            pad = gen.normal(scale=max(np.abs(Y).max(), 1e-6) * 0.01, size=pad.shape)
        Y = np.hstack([Y, pad])
    return Y
