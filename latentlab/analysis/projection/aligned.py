"""Maps of one set of items over a sequence of representations (a run's training snapshots), laid out so that
consecutive maps stay comparable.

Three ways, by ``method``:

- ``"procrustes"`` (the default): UMAP of the first frame from its spectral start; each later frame's UMAP starts
  from the frame before's layout and is then rotated, reflected, scaled and shifted onto it (orthogonal
  Procrustes), so a point moves only as far as its code's neighbourhood changed.
- ``"aligned-umap"``: umap-learn's ``AlignedUMAP`` (Dupuy et al.), which optimises all frames together with a
  penalty on each point's movement between neighbouring frames.
- ``"independent"``: a UMAP of each frame on its own (the same seed), Procrustes-aligned onto the frame before:
  the baseline the other two are measured against.

``neighbour_keep`` measures how steady a sequence is (the share of a point's nearest neighbours on one map
around the place it lands on the next) and ``sequence_quality`` how faithful each map is to its codes (the share
of a point's nearest neighbours among the codes kept on the map). benchmarks/formation_alignment.py compares the
three on a real run: there the Procrustes sequence kept about twice the neighbours of independent maps, at
equal quality, in a fraction of AlignedUMAP's time.
"""

from __future__ import annotations

import warnings

import numpy as np

from latentlab.core.errors import LatentLabError

METHODS = ("procrustes", "aligned-umap", "independent")
N_NEIGHBORS = 15
WARM_EPOCHS = 200  # a frame that starts from the one before needs fewer epochs than a fresh layout


def procrustes_onto(Y: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """``Y`` (N, 2) rotated (or reflected), scaled and shifted to lie as close as possible to ``ref`` (N, 2)."""
    from scipy.linalg import orthogonal_procrustes

    mu_y, mu_r = Y.mean(0), ref.mean(0)
    A, B = Y - mu_y, ref - mu_r
    R, s = orthogonal_procrustes(A, B)
    scale = s / max(float((A ** 2).sum()), 1e-12)
    return (A @ R * scale + mu_r).astype(np.float32)


def _umap(X: np.ndarray, seed: int, init: np.ndarray | None = None, n_epochs: int | None = None) -> np.ndarray:
    """The project's UMAP (``umap_torch``: its graph, start and SGD), from ``init`` (N, 2) when given."""
    import torch

    from latentlab.analysis.projection import umap_start
    from latentlab.analysis.projection.knn import knn_graph
    from latentlab.analysis.projection.umap_torch import Layout, default_epochs, find_ab, fuzzy_graph, optimise
    from latentlab.core.device import torch_threads

    k = int(max(2, min(N_NEIGHBORS, len(X))))
    idx, dist = knn_graph(X, k, "euclidean", torch.device("cpu"))
    with torch_threads(1):  # many small ops (see umap_torch)
        head, tail, weight = fuzzy_graph(idx, dist)
        if init is None:
            Y0 = umap_start.initial_layout(X, head, tail, weight, 2, np.random.default_rng(seed))
        else:  # the frame before, at the scale a fresh start has (the largest coordinate at 10)
            centred = init - init.mean(0)
            Y0 = (centred * (10.0 / max(float(np.abs(centred).max()), 1e-12))).astype(np.float32)
        a, b = find_ab(0.1)
        Y = optimise(torch.from_numpy(Y0), head, tail, weight, n_epochs or default_epochs(len(X)), Layout(a, b),
                     torch.Generator().manual_seed(int(seed)))
    return Y.numpy().astype(np.float32)


def _finite(codes: np.ndarray) -> np.ndarray:
    codes = np.asarray(codes, np.float32)
    return np.nan_to_num(codes, nan=0.0, posinf=0.0, neginf=0.0)


def aligned_maps(frames: list[np.ndarray], method: str = "procrustes", seed: int = 0) -> list[np.ndarray]:
    """2-D maps (N, 2) of the same N items in each of ``frames`` (each (N, D)), aligned by ``method``."""
    if method not in METHODS:
        raise LatentLabError(f"Unknown alignment `method` '{method}'; choose one of {', '.join(METHODS)}.",
                             param="method", value=method)
    if not frames:
        return []
    if len(frames[0]) < 4:
        raise LatentLabError(f"A map over steps needs at least 4 items, got {len(frames[0])}.")
    frames = [_finite(f) for f in frames]
    if method == "aligned-umap":
        return _aligned_umap(frames, seed)
    maps = [_umap(frames[0], seed)]
    for X in frames[1:]:
        if method == "procrustes":
            Y = _umap(X, seed, init=maps[-1], n_epochs=WARM_EPOCHS)
        else:
            Y = _umap(X, seed)
        maps.append(procrustes_onto(Y, maps[-1]))
    return maps


def _aligned_umap(frames: list[np.ndarray], seed: int) -> list[np.ndarray]:
    import umap

    n = len(frames[0])
    same_items = [{i: i for i in range(n)} for _ in frames[1:]]
    if len(frames) == 1:
        return [_umap(frames[0], seed)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = umap.AlignedUMAP(n_neighbors=int(min(N_NEIGHBORS, n - 1)), min_dist=0.1, random_state=seed)
        model.fit(frames, relations=same_items)
    maps = [np.asarray(e, np.float32) for e in model.embeddings_]
    return [maps[0]] + [procrustes_onto(Y, ref) for Y, ref in zip(maps[1:], maps[:-1])]


def neighbour_keep(maps: list[np.ndarray], k: int = 10) -> float:
    """How well points keep their neighbours from one map to the next, as a viewer sees it: the mean share of a
    point's ``k`` nearest neighbours on a map that are among the ``k`` points of that map nearest to where the point
    lands on the next (1: every point lands among its old neighbours); NaN for fewer than two maps."""
    from sklearn.neighbors import NearestNeighbors

    if len(maps) < 2:
        return float("nan")
    shares = []
    for before, after in zip(maps[:-1], maps[1:]):
        index = NearestNeighbors(n_neighbors=k + 1).fit(before)
        old = index.kneighbors(before, return_distance=False)[:, 1:]  # (N, k), the point itself left out
        new = index.kneighbors(after, return_distance=False)  # (N, k + 1) around where each point lands
        shares.append(np.mean([len(np.intersect1d(o, n[n != i][:k])) / k for i, (o, n) in enumerate(zip(old, new))]))
    return float(np.mean(shares))


def sequence_quality(frames: list[np.ndarray], maps: list[np.ndarray], k: int = 10) -> float:
    """Mean over frames of the share of a point's ``k`` nearest neighbours among its codes kept on the map."""
    from latentlab.analysis.projection.quality import knn_recall

    rows = np.arange(len(frames[0]))
    return float(np.mean([knn_recall(_finite(X), Y, rows, k=k) for X, Y in zip(frames, maps)]))


def mean_shift(maps: list[np.ndarray]) -> float:
    """Mean distance a point moves between consecutive maps, in units of the maps' root-mean-square radius."""
    if len(maps) < 2:
        return float("nan")
    scale = float(np.mean([np.sqrt(((Y - Y.mean(0)) ** 2).sum(1).mean()) for Y in maps]))
    return float(np.mean([np.linalg.norm(b - a, axis=1).mean() for a, b in zip(maps[:-1], maps[1:])]) / max(scale, 1e-12))
