"""k-nearest-neighbour graphs for UMAP, without an n x n matrix.

``knn_graph`` returns, for every row, its ``k`` nearest rows with the row
itself first (distance 0), as umap-learn does. Three engines:

* exact, chunked brute force in torch: a block of rows against all rows,
  ``topk`` per block, on a GPU at any size and on a CPU for small n;
* ``scipy.spatial.cKDTree`` (exact, threaded) on a CPU for large n of at
  most 32 dims: latent codes have 10-16, where a k-d tree answers each query
  in far less than a full row of distances;
* nearest-neighbour descent (``pynndescent``, approximate) on a CPU for many
  rows of more dimensions (e.g. sentence embeddings).

Cosine and correlation distances become euclidean ones on normalised
(centred) rows, which orders neighbours the same way; the returned distances
are converted back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from latentlab.core.progress import ProgressFn, report

if TYPE_CHECKING:  # imported where a function computes with it: the map's helpers import this module
    import torch

METRICS = ("euclidean", "cosine", "manhattan", "correlation")
STAGE = "UMAP neighbours"
# Above this many rows a CPU uses the k-d tree: a torch block costs a full row of
# distances and a topk per point, the tree about log(n) distances (measured on
# 10-D codes: 20,000 rows in 3.5 s by blocks, 0.1 s by tree; 737,280 in 8 s by tree).
CPU_BRUTE_MAX = 4_096
# Beyond this many dimensions a k-d tree prunes little and loses to blocks
# (20,000 x 64: 3.2 s by blocks, 4.6 s by tree).
TREE_MAX_DIMS = 32
# Above this many rows of more dimensions, a CPU uses nearest-neighbour descent (approximate; its
# compile and graph cost pay off only when exact blocks would take minutes)
CPU_DESCENT_MIN = 50_000


def prepare(X: np.ndarray | torch.Tensor, metric: str) -> tuple[torch.Tensor, bool]:
    """Rows to search and whether distances are then manhattan.

    Parameters
    ----------
    X : (n, d) array
    metric : one of ``METRICS``

    Returns
    -------
    Z : (n, d) float32 tensor, on X's device; normalised rows for cosine,
        centred and normalised ones for correlation.
    manhattan : bool
    """
    import torch

    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
    Z = torch.as_tensor(X, dtype=torch.float32)
    if metric == "correlation":
        Z = Z - Z.mean(dim=1, keepdim=True)
    if metric in ("cosine", "correlation"):
        # a zero row has no direction; leave it at the origin, away from all unit rows
        Z = Z / Z.norm(dim=1, keepdim=True).clamp_min(1e-12)
    return Z, metric == "manhattan"


def _to_metric(dist: torch.Tensor, metric: str) -> torch.Tensor:
    # |u - v|^2 = 2 - 2 cos for unit rows, so 1 - cos = d^2 / 2
    return dist.square() / 2 if metric in ("cosine", "correlation") else dist


def brute_knn(Z: torch.Tensor, k: int, manhattan: bool = False, chunk: int | None = None,
              progress: ProgressFn | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact kNN by blocks of rows against all rows, on Z's device.

    Parameters
    ----------
    Z : (n, d) float32 tensor
    k : neighbours per row, self included, k <= n
    manhattan : L1 distances instead of L2
    chunk : rows per block; by default 64 M distances per block on a CPU, 256 M on a GPU

    Returns
    -------
    indices : (n, k) int64 tensor, column 0 the row itself
    distances : (n, k) float32 tensor, ascending
    """
    import torch

    progress = report(progress)
    n = Z.shape[0]
    # a block's distances take 256 MB on a CPU, 1 GB on a GPU: fewer, larger topk calls there
    budget = (1 << 26) if Z.device.type == "cpu" else (1 << 28)
    chunk = chunk or max(1, min(n, budget // max(n, 1)))
    idx = torch.empty((n, k), dtype=torch.int64, device=Z.device)
    dist = torch.empty((n, k), dtype=torch.float32, device=Z.device)
    sq = None if manhattan else Z.square().sum(dim=1)
    progress(STAGE, 0, n, "points")
    for start in range(0, n, chunk):
        rows = torch.arange(start, min(n, start + chunk), device=Z.device)
        if manhattan:
            d = torch.cdist(Z[rows], Z, p=1.0)
        else:
            # |a|^2 + |b|^2 - 2ab: one matmul per block; clamp the rounding below zero
            d = (sq[rows, None] + sq[None, :] - 2.0 * (Z[rows] @ Z.T)).clamp_min_(0.0)
        # self first, whatever rounding or duplicate rows say
        d[torch.arange(len(rows), device=Z.device), rows] = -1.0
        val, ind = torch.topk(d, k, dim=1, largest=False, sorted=True)
        val[:, 0] = 0.0
        idx[rows], dist[rows] = ind, val if manhattan else val.sqrt()
        progress(STAGE, int(rows[-1]) + 1, n, "points")
    return idx, dist


def tree_knn(Z: np.ndarray, k: int, manhattan: bool = False, chunk: int = 65_536,
             progress: ProgressFn | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exact kNN with ``scipy.spatial.cKDTree`` on all cores, queried in blocks for progress.

    Parameters
    ----------
    Z : (n, d) float32 array
    k, manhattan, chunk : as in ``brute_knn``

    Returns
    -------
    indices : (n, k) int64 array, column 0 the row itself
    distances : (n, k) float32 array, ascending
    """
    from scipy.spatial import cKDTree

    progress = report(progress)
    n = Z.shape[0]
    progress(STAGE, 0, n, "points")
    tree = cKDTree(Z, leafsize=32, balanced_tree=False, compact_nodes=False)
    idx = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        d, i = tree.query(Z[start:stop], k=k, p=1 if manhattan else 2, workers=-1)
        d, i = d.reshape(stop - start, k), i.reshape(stop - start, k)
        _self_first(i, d, np.arange(start, stop))
        idx[start:stop], dist[start:stop] = i, d
        progress(STAGE, stop, n, "points")
    return idx, dist


def nearest_rows(Z: torch.Tensor, R: torch.Tensor, k: int, manhattan: bool = False,
                 device: torch.device | str = "cpu", chunk: int = 8192) -> tuple[np.ndarray, np.ndarray]:
    """For every row of ``Z`` (n, d), its ``k`` nearest rows of ``R`` (m, d): a k-d tree on a CPU for
    few dimensions, else blocks of distances on ``device``. Returns (n, k) int64 indices into ``R``
    and float32 distances, ascending."""
    import torch

    device = torch.device(device)
    k = min(k, len(R))
    if device.type == "cpu" and Z.shape[1] <= TREE_MAX_DIMS:
        from scipy.spatial import cKDTree

        d, i = cKDTree(R.numpy()).query(Z.numpy(), k=k, p=1 if manhattan else 2, workers=-1)
        return i.reshape(len(Z), k).astype(np.int64), d.reshape(len(Z), k).astype(np.float32)
    Rd = R.to(device)
    idx = np.empty((len(Z), k), np.int64)
    dist = np.empty((len(Z), k), np.float32)
    for start in range(0, len(Z), chunk):
        block = torch.cdist(Z[start:start + chunk].to(device), Rd, p=1.0 if manhattan else 2.0)  # (b, m)
        val, ind = block.topk(k, dim=1, largest=False)
        idx[start:start + chunk], dist[start:start + chunk] = ind.cpu().numpy(), val.cpu().numpy()
    return idx, dist


def descent_knn(Z: np.ndarray, k: int, manhattan: bool = False, seed: int = 0,
                progress: ProgressFn | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Approximate kNN by nearest-neighbour descent (Dong et al. 2011; ``pynndescent``), for many
    high-dimensional rows on a CPU, where exact search costs a full row of distances per point.

    Returns the same arrays as ``tree_knn``.
    """
    from pynndescent import NNDescent

    progress = report(progress)
    n = Z.shape[0]
    progress(STAGE, 0, n, "points")
    index = NNDescent(Z, n_neighbors=k, metric="manhattan" if manhattan else "euclidean", random_state=seed,
                      low_memory=True, compressed=True)
    i, d = index.neighbor_graph
    i, d = np.ascontiguousarray(i, dtype=np.int64), np.ascontiguousarray(d, dtype=np.float32)
    _self_first(i, d, np.arange(n))
    progress(STAGE, n, n, "points")
    return i, d


def _self_first(i: np.ndarray, d: np.ndarray, rows: np.ndarray) -> None:
    """Put each row itself in column 0 (duplicates of a row may have come first)."""
    where = i == rows[:, None]
    has = where.any(axis=1)
    pos = np.where(has, where.argmax(axis=1), i.shape[1] - 1)  # without it, drop the farthest
    for col in range(i.shape[1] - 1, 0, -1):
        shift = pos >= col
        i[shift, col] = i[shift, col - 1]
        d[shift, col] = d[shift, col - 1]
    i[:, 0], d[:, 0] = rows, 0.0


def knn_graph(X: np.ndarray, k: int, metric: str = "euclidean", device: torch.device | str = "cpu",
              progress: ProgressFn | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The k nearest neighbours of every row, self included, on ``device``.

    Parameters
    ----------
    X : (n, d) array
    k : neighbours per row including the row itself; clipped to n
    metric : one of ``METRICS``
    device : where the search runs and the result lives

    Returns
    -------
    indices : (n, k) int64 tensor
    distances : (n, k) float32 tensor in the metric's units
    """
    import torch

    device = torch.device(device)
    k = min(k, len(X))
    Z, manhattan = prepare(np.asarray(X, dtype=np.float32), metric)
    if device.type == "cpu" and len(Z) > CPU_BRUTE_MAX and Z.shape[1] <= TREE_MAX_DIMS:
        i, d = tree_knn(Z.numpy(), k, manhattan, progress=progress)
        i, d = torch.from_numpy(i), torch.from_numpy(d)
    elif device.type == "cpu" and len(Z) > CPU_DESCENT_MIN:
        i, d = descent_knn(Z.numpy(), k, manhattan, progress=progress)
        i, d = torch.from_numpy(i), torch.from_numpy(d)
    else:
        i, d = brute_knn(Z.to(device), k, manhattan, progress=progress)
    return i, _to_metric(d, metric)


TOP_K_ROWS = 65_536  # rows of ``x`` compared at a time by ``top_k``: memory stays bounded on a large dataset
TOP_K_CELLS = 1 << 22  # query x row distances held at once by ``top_k``


def top_k(x: np.ndarray, queries: np.ndarray, k: int, metric: str = "euclidean",
          exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``queries`` (M, D), the ``k`` rows of ``x`` (N, D) nearest by ``metric``, best first, ties in
    row order: the one exact top-k search of text search, the map's neighbours and the intrinsic dimension.

    Parameters
    ----------
    x : ndarray (N, D), read ``TOP_K_ROWS`` rows at a time (only the best ``k`` so far are kept).
    queries : ndarray (M, D).
    k : neighbours per query (at most N).
    metric : ``"cosine"`` (most similar first) or ``"euclidean"`` (nearest first).
    exclude : ndarray (M,) of row indices, one per query, left out (the query's own row).

    Returns
    -------
    (indices (M, k) int64, scores (M, k) float64): cosine similarities or Euclidean distances.
    """
    if metric not in ("cosine", "euclidean"):
        raise ValueError(f"top_k's metric is cosine or euclidean, not {metric!r}")
    q = np.asarray(queries, np.float64).reshape(len(queries), -1)  # (M, D)
    k = min(int(k), len(x))
    block = max(1, TOP_K_CELLS // max(1, min(len(x), TOP_K_ROWS)))
    rows, keys = [], []
    for start in range(0, len(q), block):
        skip = None if exclude is None else np.asarray(exclude)[start:start + block]
        r, key = _top_k_block(x, q[start:start + block], k, metric, skip)
        rows.append(r)
        keys.append(key)
    rows = np.concatenate(rows) if rows else np.zeros((0, k), np.int64)
    keys = np.concatenate(keys) if keys else np.zeros((0, k))
    return rows, (-keys if metric == "cosine" else keys)


def _top_k_block(x, q: np.ndarray, k: int, metric: str, exclude) -> tuple[np.ndarray, np.ndarray]:
    """``top_k`` for one block of queries: (rows, keys), keys smaller-is-better (minus similarities)."""
    if metric == "cosine":
        q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    else:
        q_sq = (q * q).sum(1)[:, None]  # (M, 1)
    best_rows = np.zeros((len(q), 0), np.int64)
    best_keys = np.zeros((len(q), 0), np.float64)
    for start in range(0, len(x), TOP_K_ROWS):
        part = np.asarray(x[start:start + TOP_K_ROWS], np.float64).reshape(-1, q.shape[1])  # (B, D)
        if metric == "cosine":
            key = -(q @ part.T) / np.maximum(np.linalg.norm(part, axis=1), 1e-12)[None, :]  # (M, B)
        else:
            key = np.maximum(q_sq + (part * part).sum(1)[None, :] - 2.0 * (q @ part.T), 0.0)  # squared (M, B)
        if exclude is not None:
            inside = (exclude >= start) & (exclude < start + len(part))
            key[np.flatnonzero(inside), exclude[inside] - start] = np.inf
        rows = np.broadcast_to(np.arange(start, start + len(part)), key.shape)
        best_rows, best_keys = _keep_best(np.concatenate([best_keys, key], axis=1),
                                          np.concatenate([best_rows, rows], axis=1), k)
    if metric == "cosine":
        return best_rows, best_keys
    near = np.asarray(x[np.sort(np.unique(best_rows))], np.float64).reshape(-1, q.shape[1])  # the chosen rows only
    at = np.searchsorted(np.sort(np.unique(best_rows)), best_rows)
    return best_rows, np.linalg.norm(q[:, None, :] - near[at], axis=2)  # exact distances, not the expansion's


def _keep_best(key: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` smallest keys of each line with their rows, smallest first, ties in row order (the columns are in
    row order)."""
    if key.shape[1] > k:
        kth = np.partition(key, k - 1, axis=1)[:, k - 1:k]  # (M, 1)
        chosen = key <= kth
        if (chosen.sum(1) == k).all():  # no tie at the k-th place: the chosen columns, in row order
            cols = np.nonzero(chosen)[1].reshape(len(key), k)
        else:
            cols = np.argsort(key, axis=1, kind="stable")[:, :k]
        key, rows = np.take_along_axis(key, cols, 1), np.take_along_axis(rows, cols, 1)
    order = np.lexsort((rows, key), axis=1)
    return np.take_along_axis(rows, order, 1), np.take_along_axis(key, order, 1)
