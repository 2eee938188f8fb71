"""UMAP in torch: the same code on CPU and on CUDA tensors, no JIT compile.

UMAP (McInnes, Healy & Melville 2018, arXiv:1802.03426) in four steps:

1. a k-nearest-neighbour graph (``knn.py``);
2. a fuzzy simplicial set: per point ``rho`` (distance to the nearest
   neighbour) and ``sigma`` (found by bisection so that the memberships sum to
   ``log2 k``), memberships ``exp(-(d - rho) / sigma)``, symmetrised by the
   fuzzy union ``w + w' - w w'``;
3. an initial layout: the graph's spectral embedding up to 20,000 points;
   above, a UMAP of 10,000 landmarks with every other point placed among its
   nearest landmarks (a PCA start cannot unfold a curved latent space);
4. stochastic gradient descent of the fuzzy cross-entropy with negative
   sampling: each epoch samples every edge in proportion to its weight (an
   edge of the largest weight every epoch), pulls its two ends together,
   pushes the head away from ``negative_sample_rate`` random points, clips
   each gradient coordinate to 4 and lets the learning rate fall linearly to 0.

umap-learn applies the updates one edge at a time (numba). Here the edges
are visited in one random order, and an epoch's sampled edges are split into
blocks of about one edge per point (at least ``MIN_BLOCK``); a block is a
handful of tensor ops (gather, elementwise, ``index_add_``) whose updates are
summed and applied together, so each point moves a few times an epoch, as in
the sequential method, rather than once by the sum of all its edges. Each
point's summed push from its negative samples in a block is at most four
clipped pushes (``PUSH_BOUND``). Both guard the groups of near-duplicates that
real embeddings hold, which updates summed over a whole epoch flung far from
the map (``tests/test_map_quality.py``). The bisection for ``sigma`` runs on
all points at once. The fuzzy graph, the spectral start and the SGD run on one
torch thread: their ops are many and small, and two threads meeting at every
one wait on each other whenever another process holds a core (70,000 points
took 3 times longer on two threads than on one beside one busy process, while
an idle machine saved a quarter); a seeded run is the same whatever torch's
number of threads. Splitting a block among Python threads gained 5% at 70,000
points and lost a third at 10,000.

Above 200,000 points, a UMAP of 70,000 random points is made and every other
point placed among its nearest fitted points (as umap-learn's ``transform``
starts); see ``umap_start.fit_rows`` for why the whole graph is not optimised.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from latentlab.core.device import torch_threads
from latentlab.core.progress import ProgressFn, report
from latentlab.analysis.projection import umap_start

LAYOUT = "UMAP layout"
# sampled edges per block: on a CPU small enough that a block's scratch stays in cache
EDGE_CHUNK = 1 << 16
GPU_EDGE_CHUNK = 1 << 22
CLIP = 4.0  # umap-learn's clip of each gradient coordinate
# the longest summed push a point takes from its negative samples in a block: unbounded, a crowded start flung
# groups of near-duplicates off the map; at one clip (4) the shapes codes kept fewer neighbours (15-NN recall
# 0.396 against 0.401 at 16 on 70,000 codes), and 16 measured as good or better on every other set
PUSH_BOUND = 4 * CLIP
# an epoch's sampled edges are applied in blocks of this many edges per point (at least MIN_BLOCK, so that
# a small map is not slowed by many tiny blocks); on 70,000 shapes codes 0.5, 1, 2 and 4 per point measured
# within 0.01 of each other, and a whole epoch at once flung groups of near-duplicates
BLOCK_PER_POINT = 1.0
MIN_BLOCK = 4_096


@lru_cache(maxsize=64)
def find_ab(min_dist: float, spread: float = 1.0) -> tuple[float, float]:
    """a, b of the low-dimensional similarity ``1 / (1 + a d^(2b))``.

    Least-squares fit of the curve to ``1`` below ``min_dist`` and
    ``exp(-(d - min_dist) / spread)`` above it, as umap-learn's ``find_ab_params``.
    """
    from scipy.optimize import curve_fit

    x = np.linspace(0, spread * 3, 300)
    y = np.where(x < min_dist, 1.0, np.exp(-(x - min_dist) / spread))
    (a, b), _ = curve_fit(lambda x, a, b: 1.0 / (1.0 + a * x ** (2 * b)), x, y)
    return float(a), float(b)


def default_epochs(n: int) -> int:
    """500 below 10,000 points (as umap-learn), 400 above.

    umap-learn takes 200 above 10,000, moving each edge's ends one edge at a time; here a block's updates
    are applied together, and on 70,000 codes of the shipped shapes-beta-tcvae 400 epochs keep a little
    more of each point's neighbours (15-NN recall 0.396 against 0.392 after 200; trustworthiness 0.990
    both; umap-learn 0.421 and 0.960).
    """
    return 500 if n <= 10_000 else 400


def smooth_knn(dist: torch.Tensor, n_iter: int = 64, tol: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-point ``rho`` and ``sigma`` by bisection, all points at once.

    Parameters
    ----------
    dist : (n, k) float tensor, each row ascending with the point itself (0) first

    Returns
    -------
    rho, sigma : (n,) float tensors
    """
    d = dist[:, 1:].to(torch.float64 if dist.device.type != "mps" else torch.float32)
    n, k = dist.shape
    target = float(np.log2(k))
    positive = d > 0
    # the first positive distance: the rows are sorted, so the smallest positive one
    rho = torch.where(positive, d, torch.full_like(d, float("inf"))).amin(dim=1)
    rho = torch.where(torch.isfinite(rho), rho, torch.zeros_like(rho))
    lo = torch.zeros(n, dtype=d.dtype, device=d.device)
    hi = torch.full_like(lo, float("inf"))
    mid = torch.ones_like(lo)
    done = torch.zeros(n, dtype=torch.bool, device=d.device)
    # a distance at most rho has membership 1: a gap clamped to 0 gives exp(0); one temporary an iteration
    # (each new one of 70,000 x 14 doubles is fresh pages the first time, which cost seconds)
    gap = (d - rho[:, None]).clamp_min_(0)
    for _ in range(n_iter):
        psum = torch.div(gap, mid[:, None]).neg_().exp_().sum(dim=1)
        done |= (psum - target).abs() < tol
        over = (psum > target) & ~done
        under = (psum <= target) & ~done
        hi = torch.where(over, mid, hi)
        lo = torch.where(under, mid, lo)
        mid = torch.where(over | (under & torch.isfinite(hi)), (lo + hi) / 2,
                          torch.where(under, mid * 2, mid))
        if bool(done.all()):
            break
    # umap-learn's floor on sigma: a thousandth of the mean distance (own, or global without rho)
    floor = torch.where(rho > 0, 1e-3 * dist.to(d.dtype).mean(dim=1), 1e-3 * dist.to(d.dtype).mean())
    return rho.float(), torch.maximum(mid, floor).float()


def fuzzy_graph(idx: torch.Tensor, dist: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The symmetric fuzzy simplicial set of a kNN graph, as an edge list.

    Parameters
    ----------
    idx : (n, k) int64 tensor, column 0 each point itself
    dist : (n, k) float tensor, ascending per row

    Returns
    -------
    head, tail : (E,) int64 tensors, both directions of every edge
    weight : (E,) float32 tensor in (0, 1]
    """
    n = idx.shape[0]
    rho, sigma = smooth_knn(dist)
    gap = (dist[:, 1:] - rho[:, None]).clamp_min(0)
    w = torch.exp(-gap / sigma[:, None]).reshape(-1)
    rows = torch.arange(n, device=idx.device).repeat_interleave(idx.shape[1] - 1)
    cols = idx[:, 1:].reshape(-1)
    keep = cols != rows
    rows, cols, w = rows[keep], cols[keep], w[keep]
    # fuzzy union w + w' - w w': each directed edge appears at most twice among
    # (i, j) and the transpose's (j, i); the product of a pair is ((w1 + w2)^2 - w1^2 - w2^2) / 2
    keys = torch.cat([rows * n + cols, cols * n + rows])
    vals = torch.cat([w, w]).double()
    uniq, inv = torch.unique(keys, return_inverse=True)
    total = torch.zeros(len(uniq), dtype=torch.float64, device=idx.device).index_add_(0, inv, vals)
    squares = torch.zeros_like(total).index_add_(0, inv, vals * vals)
    sym = (total - (total * total - squares) / 2).float()
    keep = sym > 0
    uniq, sym = uniq[keep], sym[keep]
    return uniq // n, uniq % n, sym


@dataclass
class Layout:
    """What the SGD needs besides the positions."""

    a: float
    b: float
    gamma: float = 1.0
    negative_sample_rate: int = 5


def optimise(Y: torch.Tensor, head: torch.Tensor, tail: torch.Tensor, weight: torch.Tensor,
             n_epochs: int, cfg: Layout, gen: torch.Generator, progress: ProgressFn | None = None) -> torch.Tensor:
    """SGD of UMAP's cross-entropy, every epoch vectorised over its sampled edges.

    Parameters
    ----------
    Y : (n, dim) float32 tensor, the initial layout
    head, tail : (E,) int64 tensors on Y's device
    weight : (E,) float32 tensor
    n_epochs : epochs; an edge of weight w is sampled about ``n_epochs * w / max(w)`` times
    gen : random generator on Y's device, for negative samples
    progress : called with ("UMAP layout", epochs done, n_epochs, "epochs") after every epoch

    Returns
    -------
    Y : (n, dim) float32 tensor, the layout
    """
    progress = report(progress)
    n, dim = Y.shape
    # coordinate-major: elementwise work runs on contiguous rows, and a scatter
    # along dim 1 is much cheaper than one into interleaved (x, y) pairs on a CPU
    Yt = Y.T.contiguous()
    # umap-learn drops edges that would be sampled less than once
    keep = weight >= weight.max() / n_epochs
    head, tail, p = head[keep], tail[keep], weight[keep] / weight.max()
    # a random edge order, so that each block of an epoch holds a few edges of every point
    order = torch.randperm(len(head), generator=gen, device=head.device)
    head, tail, p = head[order], tail[order], p[order]
    skip = 1.0 - p
    chunk = EDGE_CHUNK if Y.device.type == "cpu" else GPU_EDGE_CHUNK
    block = max(int(BLOCK_PER_POINT * n), MIN_BLOCK)
    rate = cfg.negative_sample_rate
    progress(LAYOUT, 0, n_epochs, "epochs")
    with torch_threads(1, Y.device):  # many small ops: see torch_threads
        for epoch in range(n_epochs):
            lr = 1.0 - epoch / n_epochs
            # edge e is due when floor(epoch * p_e) steps up, every 1/p_e epochs, as in
            # umap-learn's epochs_per_sample schedule; that is when frac(epoch p) >= 1 - p
            due = _due(torch.frac(epoch * p) >= skip)
            most = min(len(due), chunk)
            stride = _sample_stride(most, n, rate)
            ring, offset = _negative_ring(Yt, (rate - 1) * stride + most, gen)
            for first in range(0, len(due), block):
                pull, push = torch.zeros_like(Yt), torch.zeros_like(Yt)
                for start in range(first, min(first + block, len(due)), chunk):
                    sel = due[start:min(start + chunk, first + block, len(due))]
                    h, t = head.index_select(0, sel), tail.index_select(0, sel)
                    at = (offset + start * rate) % n
                    attract, repel = _gradients(Yt, h, t, _samples(ring, at, len(sel), rate, stride), cfg)
                    # index_add_ without alpha=: the alpha path is many times slower on a CPU
                    pull.index_add_(1, t, attract.neg())
                    pull.index_add_(1, h, attract)
                    push.index_add_(1, h, repel)
                Yt += pull.add_(_at_most(push, PUSH_BOUND)).mul_(lr)
            progress(LAYOUT, epoch + 1, n_epochs, "epochs")
    return Yt.T.contiguous()


def _at_most(push: torch.Tensor, length: float) -> torch.Tensor:
    """Each point's summed push (dim, n), shortened in place to at most ``length``.

    Applied one at a time, a push of the largest size carries a point away from whatever crowded it,
    and the next ones, computed where it now is, are weak. Summed, every negative sample of the epoch
    pushes from the same crowded spot: a start that packs many points tightly (a principal-component
    start dominated by a few large groups of near-duplicates) sent points hundreds of units away in the
    first epoch. A few clipped pushes are as far as a point goes from its negative samples in a block.
    """
    scale = _squared_length(push).sqrt_().clamp_min_(1e-30).reciprocal_().mul_(length).clamp_(max=1.0)
    return push.mul_(scale)


def _due(mask: torch.Tensor) -> torch.Tensor:
    """The indices of ``mask``'s true entries: through numpy on a CPU (on an epoch's million edges 0.5 ms,
    against 4.5 ms for torch.nonzero), torch elsewhere."""
    if mask.device.type == "cpu":
        return torch.from_numpy(np.flatnonzero(mask.numpy()))
    return torch.nonzero(mask).squeeze(1)


def _negative_ring(pool: torch.Tensor, need: int, gen: torch.Generator) -> tuple[torch.Tensor, int]:
    """Negative samples: the candidates in a fresh random order, read cyclically.

    Each sample is uniform over the candidates, as with independent draws, but an
    epoch gathers each candidate once instead of rate x edges scattered rows,
    the cost that otherwise dominates an epoch on a CPU. Only positions are
    needed: a negative sample moves the edge's head, never itself.

    Returns
    -------
    ring : (dim, >= m + need) the shuffled positions, repeated so a read never wraps
    offset : a random start in [0, m)
    """
    m = pool.shape[1]
    shuffled = pool.index_select(1, torch.randperm(m, generator=gen, device=pool.device))
    ring = shuffled.repeat(1, need // m + 2)
    return ring, int(torch.randint(0, m, (1,), generator=gen, device=pool.device))


def _sample_stride(m: int, period: int, rate: int) -> int:
    """The distance between the rows of ``rate`` samples for ``m`` heads read from a ring of ``period``: at
    least ``m`` (rows apart), and no multiple of it up to ``rate - 1`` a multiple of the period, so a head's
    samples are distinct points (a stride of the period would hand a head one point ``rate`` times)."""
    stride = m
    while any(k * stride % period == 0 for k in range(1, min(rate, period))):
        stride += 1
    return stride


def _samples(ring: torch.Tensor, at: int, m: int, rate: int, stride: int) -> torch.Tensor:
    """The samples of ``m`` heads, (dim, rate, m): row j read from the ring at ``at + j * stride``."""
    return ring.as_strided((ring.shape[0], rate, m), (ring.stride(0), stride, 1), ring.storage_offset() + at)


def _gradients(Yt: torch.Tensor, h: torch.Tensor, t: torch.Tensor, negatives: torch.Tensor,
               cfg: Layout) -> tuple[torch.Tensor, torch.Tensor]:
    """Clipped gradients for the heads of a block of edges.

    Parameters
    ----------
    Yt : (dim, n) positions
    h, t : (m,) heads and tails
    negatives : (dim, rate, m) positions of the negative samples, row j the heads' j-th samples

    Returns
    -------
    attract : (dim, m) the pull towards each tail (the tail gets its negative)
    repel : (dim, m) the summed push from each head's negative samples
    """
    a, b = cfg.a, cfg.b
    # index_select: several times faster than Yt[:, h] on a CPU
    yh = Yt.index_select(1, h)
    diff = yh - Yt.index_select(1, t)
    d2 = _squared_length(diff)
    # attraction -2ab d^2(b-1) / (1 + a d^2b); coincident points exert none
    power = _power(d2, b - 1.0)
    coef = power.mul(d2).mul_(a).add_(1.0).reciprocal_().mul_(power).mul_(-2.0 * a * b)
    attract = diff.mul_(coef.masked_fill_(d2 <= 0, 0.0)).clamp_(-CLIP, CLIP)
    # repulsion 2 gamma b / ((0.001 + d^2)(1 + a d^2b)) from each of the samples; sample-major, so that every
    # elementwise op runs along long contiguous rows (a short last axis made the subtraction seven times slower)
    diff = yh.unsqueeze(1) - negatives
    d2 = _squared_length(diff)
    coef = torch.div(2.0 * cfg.gamma * b, _power(d2, b).mul_(a).add_(1.0).mul_(d2.add_(0.001)))
    return attract, diff.mul_(coef).clamp_(-CLIP, CLIP).sum(dim=1)


def _power(x: torch.Tensor, exponent: float) -> torch.Tensor:
    """``x ** exponent`` for ``x >= 0`` as ``exp(exponent log x)``: a quarter cheaper than torch.pow on a CPU,
    with the same limits at 0 (0 for a positive exponent, inf for a negative one)."""
    return x.log().mul_(exponent).exp_()


def _squared_length(diff: torch.Tensor) -> torch.Tensor:
    """The squared length of each column of ``diff`` (dim, ...): a sum of products, cheaper than a reduction
    over the short first axis."""
    d2 = diff[0] * diff[0]
    for row in diff[1:]:
        d2.addcmul_(row, row)
    return d2


def umap(X: np.ndarray, n_components: int = 2, n_neighbors: int = 15, min_dist: float = 0.1,
         metric: str = "euclidean", random_state: int = 0, device: torch.device | str = "cpu",
         n_epochs: int | None = None, progress: ProgressFn | None = None) -> np.ndarray:
    """A UMAP layout of X.

    Parameters
    ----------
    X : (n, d) float32 array, n >= 3
    n_components : 2 or 3
    n_neighbors : neighbourhood size, the point itself included (umap-learn's meaning)

    Returns
    -------
    Y : (n, n_components) float32 array
    """
    from latentlab.analysis.projection.knn import knn_graph

    device = torch.device(device)
    n = len(X)
    k = int(max(2, min(n_neighbors, n)))
    gen = np.random.default_rng(random_state)
    tgen = torch.Generator(device=device).manual_seed(int(random_state))
    if n > umap_start.FULL_MAX:
        fit = umap_start.fit_rows(n, gen)
        Y_fit = umap(X[fit], n_components, k, min_dist, metric, random_state, device, progress=progress)
        return umap_start.place_rest(X, fit, Y_fit, metric, device, progress)
    n_epochs = n_epochs or default_epochs(n)
    idx, dist = knn_graph(X, k, metric, device, progress=progress)
    with torch_threads(1, device):  # many small ops: see torch_threads
        head, tail, weight = fuzzy_graph(idx, dist)
    del idx, dist
    if n > umap_start.SPECTRAL_MAX:
        land = umap_start.landmark_rows(n, gen)
        Y_land = umap(X[land], n_components, k, min_dist, metric, random_state, device,
                      n_epochs=umap_start.LANDMARK_EPOCHS)
        Y0 = umap_start.landmark_layout(X, land, Y_land, metric, device, gen)
    else:
        with torch_threads(1, device):
            Y0 = umap_start.initial_layout(X, head, tail, weight, n_components, gen)
    Y = torch.from_numpy(Y0).to(device)
    a, b = find_ab(float(min_dist))
    Y = optimise(Y, head, tail, weight, n_epochs, Layout(a, b), tgen, progress)
    return Y.cpu().numpy().astype(np.float32)
