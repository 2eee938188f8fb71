"""Where UMAP's layout starts (see ``umap_torch``), and how very large sets are mapped.

- up to ``SPECTRAL_MAX`` points: the fuzzy graph's spectral embedding (PCA if the
  graph is disconnected or the eigensolver fails);
- above: a UMAP of ``LANDMARKS`` random landmarks, every other point placed at
  the distance-weighted mean of its nearest landmarks (a PCA start cannot unfold
  a curved latent space; an eigensolver on the whole graph costs minutes);
- above ``FULL_MAX``: no optimisation of the whole graph at all (``fit_rows``, ``place_rest``).

``umap_torch.umap`` fits the landmarks' and the sample's maps; this module picks the rows and
places the others.
"""

from __future__ import annotations

import numpy as np
import torch

from latentlab.core.progress import ProgressFn, report
from latentlab.analysis.projection.preview import principal_components

SPECTRAL_MAX = 20_000  # beyond this the eigensolver costs more than it is worth: landmarks then
FULL_MAX = 200_000  # above this, a UMAP of FIT_SAMPLE rows with the others placed among them
FIT_SAMPLE = 70_000
PLACE = "placing points"
# points in the landmark map that starts a large layout. On the shipped beta-TCVAE's codes of 70,000 shapes
# (seeds 0, 1, 2), 10,000 landmarks kept more of each point's neighbours than 20,000 (15-NN recall 0.410, 0.408,
# 0.425 against 0.397, 0.401, 0.394; umap-learn 0.421), labels as well (10-NN accuracy 0.34-0.35; umap-learn 0.345),
# trustworthiness 0.979-0.987 (umap-learn 0.959), in a quarter less time; 5,000 lost trustworthiness (0.961)
LANDMARKS = 10_000
LANDMARK_EPOCHS = 500  # the landmarks' own map: umap-learn's small-data epochs (0.957 against 0.943 for 200)
LANDMARK_NEIGHBOURS = 8  # landmarks whose positions place each other point
DENSE_EIGH_MAX = 500


def initial_layout(X: np.ndarray, head: torch.Tensor, tail: torch.Tensor, weight: torch.Tensor,
                   dim: int, gen: np.random.Generator) -> np.ndarray:
    """Spectral embedding of the graph for small connected graphs, else PCA; scaled to 10 units.

    Parameters
    ----------
    X : (n, d) float32 input
    head, tail, weight : the fuzzy graph's edges

    Returns
    -------
    Y : (n, dim) float32
    """
    n = len(X)
    Y = None
    if dim + 1 < n <= SPECTRAL_MAX:
        Y = _spectral(n, head.cpu().numpy(), tail.cpu().numpy(), weight.cpu().numpy(), dim)
    if Y is None:
        Y = principal_components(X, dim, gen)
    # umap-learn's noisy_scale_coords: the largest coordinate at 10, ties broken by tiny noise
    Y = Y * (10.0 / max(np.abs(Y).max(), 1e-12))
    return (Y + gen.normal(scale=1e-4, size=Y.shape)).astype(np.float32)


def _spectral(n: int, head: np.ndarray, tail: np.ndarray, weight: np.ndarray, dim: int) -> np.ndarray | None:
    """Eigenvectors of the normalised graph Laplacian; None for a disconnected or stubborn graph."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components
    from scipy.sparse.linalg import eigsh

    W = sp.coo_matrix((weight.astype(np.float64), (head, tail)), shape=(n, n)).tocsr()
    if connected_components(W, directed=False)[0] > 1:
        return None  # its eigenvectors would only tell components apart
    deg = np.asarray(W.sum(axis=1)).ravel()
    D = sp.diags(1.0 / np.sqrt(deg))
    L = sp.identity(n) - D @ W @ D
    k = dim + 1
    if n <= DENSE_EIGH_MAX:  # ARPACK needs n well above k; a dense solve is instant here
        vals, vecs = np.linalg.eigh(L.toarray())
    else:
        try:
            vals, vecs = eigsh(L, k, which="SM", ncv=min(n - 1, max(2 * k + 1, int(np.sqrt(n)))), tol=1e-4,
                               v0=np.ones(n), maxiter=n * 5)
        except (ArithmeticError, RuntimeError, ValueError):  # ArpackNoConvergence and friends: PCA will do
            return None
    vecs = vecs[:, np.argsort(vals)[1:k]]
    vecs *= np.sign(vecs[np.abs(vecs).argmax(axis=0), range(dim)])  # fix each vector's sign
    return vecs


def place(X: np.ndarray, rows: np.ndarray, Y_rows: np.ndarray, metric: str, device: torch.device) -> np.ndarray:
    """Positions for every row of X: ``Y_rows`` for ``rows``, the distance-weighted mean of the nearest
    ``LANDMARK_NEIGHBOURS`` of them for the others. (n, dim) float64."""
    from latentlab.analysis.projection.knn import nearest_rows, prepare

    Z, manhattan = prepare(np.asarray(X, dtype=np.float32), metric)
    idx, dist = nearest_rows(Z, Z[torch.from_numpy(rows)], LANDMARK_NEIGHBOURS, manhattan, device)  # (n, k)
    w = 1.0 / (dist.astype(np.float64) + 1e-6)
    Y = np.einsum("nk,nkd->nd", w / w.sum(axis=1, keepdims=True), Y_rows[idx].astype(np.float64))
    Y[rows] = Y_rows
    return Y


def fit_rows(n: int, gen: np.random.Generator) -> np.ndarray:
    """A very large set's fitted rows: ``FIT_SAMPLE`` random rows (sorted), mapped by a full UMAP.

    Every other row is then placed among its nearest fitted rows (``place_rest``, as umap-learn's
    ``transform`` starts). Measured on the 737,280 shapes codes (trustworthiness on a fixed 10,000-point
    sample): 0.941 this way in 18 s, against 0.891-0.905 when the whole graph is then optimised further for
    60-400 epochs; the full graph's fine local structure is not what a map of this size can show.
    """
    return np.sort(gen.choice(n, FIT_SAMPLE, replace=False))


def place_rest(X: np.ndarray, fit: np.ndarray, Y_fit: np.ndarray, metric: str, device: torch.device,
               progress: ProgressFn | None) -> np.ndarray:
    """The very large set's layout: the fitted rows' map, every other row placed among its nearest fitted rows."""
    report(progress)(PLACE, 0, len(X), "points")
    Y = place(X, fit, Y_fit, metric, device)
    report(progress)(PLACE, len(X), len(X), "points")
    return Y.astype(np.float32)


def landmark_rows(n: int, gen: np.random.Generator) -> np.ndarray:
    """A large set's landmarks: ``LANDMARKS`` random rows (a quarter at most, so that a landmark map that is
    itself large recurses on ever fewer points), mapped by a full UMAP for ``LANDMARK_EPOCHS``."""
    return np.sort(gen.choice(n, min(LANDMARKS, n // 4), replace=False))


def landmark_layout(X: np.ndarray, land: np.ndarray, Y_land: np.ndarray, metric: str, device: torch.device,
                    gen: np.random.Generator) -> np.ndarray:
    """The initial layout of a large set: the landmarks' map, every other point at the distance-weighted mean
    of its nearest landmarks.

    A PCA start cannot unfold a curved latent space (on the shapes codes it costs 0.05-0.1 of
    trustworthiness), and an eigensolver on the whole graph costs minutes; the landmarks' map
    gives the large layout its global shape, which the full optimisation then refines.

    Returns
    -------
    Y : (n, dim) float32, scaled like ``initial_layout``
    """
    Y = place(X, land, Y_land, metric, device)
    Y = Y * (10.0 / max(np.abs(Y).max(), 1e-12))
    return (Y + gen.normal(scale=1e-4, size=Y.shape)).astype(np.float32)
