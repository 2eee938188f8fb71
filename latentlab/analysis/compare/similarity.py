"""Compare two latent spaces of the same items: how much structure do two models share?

Codes A (N, Da) and B (N, Db) of the same N items, in the same row order, are compared by

* linear CKA (Kornblith et al. 2019, "Similarity of Neural Network Representations Revisited",
  arXiv:1905.00414) in its feature-space form, ||B_c^T A_c||_F^2 / (||A_c^T A_c||_F ||B_c^T B_c||_F),
  accumulated over row blocks in float64: memory is O(Da Db) whatever N, and the result is invariant to
  rotations and isotropic scaling of either space;
* relative representations (Moschella et al. 2023, "Relative representations enable zero-shot latent
  space communication", arXiv:2209.15430): each item's cosine similarity to a seeded set of anchor items,
  per model, so both spaces become N x K matrices over the same anchors; their matched rows are compared by
  cosine similarity (1: the same relative geometry). Departure from the paper: codes are centred on their
  mean before the cosines, so a constant offset of one model's codes does not make every item look alike;
* k-nearest-neighbour agreement: the mean Jaccard overlap of each item's k nearest neighbours in A and in B
  (euclidean, the item itself left out);
* a latent-to-latent correlation matrix, |Pearson r| (Da, Db), with each latent of A's best match in B
  (constant latents correlate with nothing: 0). A passive latent (mean KL to the prior under ``PASSIVE_KL``,
  Bonheme & Grzes 2021, arXiv:2109.05895) carries no information, yet its mean can correlate with others, so
  B's passive latents are not offered as matches of A's active ones, and A's passive ones are listed last,
  marked (``match_table``);
* Procrustes alignment of two 2-D maps: the rotation or reflection, scale and translation that bring B's
  map onto A's by least squares, so the same structure lands in the same place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from latentlab.analysis.metrics.diagnostics import PASSIVE_KL
from latentlab.core.errors import LatentLabError
from latentlab.core.rows import row_sample

BLOCK_ROWS = 8192  # rows per block of the accumulated cross-products
DEFAULT_ANCHORS = 256
DEFAULT_K = 10


def _check_pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim != 2 or b.ndim != 2:
        raise LatentLabError(f"Codes must be 2-D (items x latents), not of shapes {a.shape} and {b.shape}.")
    if len(a) != len(b):
        raise LatentLabError(f"The two spaces hold {len(a):,} and {len(b):,} items; compare codes of the same items.")
    if len(a) < 3:
        raise LatentLabError("Comparing two spaces needs at least 3 items.")
    return a, b


@dataclass(frozen=True)
class CrossMoments:
    """Centred second moments of two code matrices, in float64: (Da, Da), (Db, Db), (Da, Db)."""

    aa: np.ndarray
    bb: np.ndarray
    ab: np.ndarray

    @property
    def cka(self) -> float:
        denom = np.linalg.norm(self.aa) * np.linalg.norm(self.bb)
        return float(np.sum(self.ab**2) / denom) if denom > 0 else 0.0

    @property
    def correlation(self) -> np.ndarray:
        """|Pearson r| of every latent of A with every latent of B: (Da, Db)."""
        sa, sb = np.sqrt(np.clip(np.diag(self.aa), 0, None)), np.sqrt(np.clip(np.diag(self.bb), 0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            r = self.ab / np.outer(sa, sb)
        return np.clip(np.nan_to_num(np.abs(r), nan=0.0, posinf=0.0), 0.0, 1.0)


def cross_moments(a: np.ndarray, b: np.ndarray, block: int = BLOCK_ROWS) -> CrossMoments:
    """Centred cross-products of A (N, Da) and B (N, Db), summed over row blocks in float64."""
    a, b = _check_pair(a, b)
    mean_a = np.zeros(a.shape[1])
    mean_b = np.zeros(b.shape[1])
    for s in range(0, len(a), block):
        mean_a += a[s:s + block].sum(0, dtype=np.float64)
        mean_b += b[s:s + block].sum(0, dtype=np.float64)
    mean_a /= len(a)
    mean_b /= len(b)
    aa = np.zeros((a.shape[1], a.shape[1]))
    bb = np.zeros((b.shape[1], b.shape[1]))
    ab = np.zeros((a.shape[1], b.shape[1]))
    for s in range(0, len(a), block):
        xa = a[s:s + block].astype(np.float64) - mean_a  # (B, Da)
        xb = b[s:s + block].astype(np.float64) - mean_b  # (B, Db)
        aa += xa.T @ xa
        bb += xb.T @ xb
        ab += xa.T @ xb
    return CrossMoments(aa, bb, ab)


def linear_cka(a: np.ndarray, b: np.ndarray, n: int | None = None, seed: int = 0) -> float:
    """Linear CKA of codes A (N, Da) and B (N, Db) of the same items, in [0, 1]; on a seeded sample of
    ``n`` rows when given."""
    a, b = _check_pair(a, b)
    if n is not None and n < len(a):
        rows = row_sample(len(a), n, seed)
        a, b = a[rows], b[rows]
    return cross_moments(a, b).cka


def anchor_rows(n_items: int, n_anchors: int = DEFAULT_ANCHORS, seed: int = 0) -> np.ndarray:
    """A seeded choice of anchor items, sorted."""
    return row_sample(n_items, n_anchors, seed)


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norm > 0, norm, 1.0)


def relative_representation(codes: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """Cosine similarity of each item to each anchor item, after centring the codes: (N, K)."""
    x = np.asarray(codes, np.float64)
    x = _unit_rows(x - x.mean(0))
    return x @ x[anchors].T


def relative_similarity(a: np.ndarray, b: np.ndarray, anchors: np.ndarray) -> float:
    """Mean cosine similarity of matched rows of A's and B's relative representations, in [-1, 1]."""
    a, b = _check_pair(a, b)
    ra = _unit_rows(relative_representation(a, anchors))
    rb = _unit_rows(relative_representation(b, anchors))
    return float(np.mean(np.sum(ra * rb, axis=1)))


def knn_sets(codes: np.ndarray, k: int) -> np.ndarray:
    """Each row's ``k`` nearest other rows (euclidean): (N, k)."""
    from latentlab.analysis.projection.knn import knn_graph

    idx, _ = knn_graph(np.ascontiguousarray(codes, np.float32), k + 1)
    return idx.cpu().numpy()[:, 1:]


def knn_agreement(a: np.ndarray, b: np.ndarray, k: int = DEFAULT_K) -> float:
    """Mean Jaccard overlap of each item's k nearest neighbours in A and in B, in [0, 1]."""
    a, b = _check_pair(a, b)
    k = max(1, min(k, len(a) - 1))
    na, nb = knn_sets(a, k), knn_sets(b, k)
    shared = np.array([len(np.intersect1d(x, y, assume_unique=True)) for x, y in zip(na, nb)])
    return float(np.mean(shared / (2 * k - shared)))


@dataclass(frozen=True)
class Alignment:
    """B's map brought onto A's: ``aligned = scale * (B - mean_b) @ rotation + mean_a``."""

    aligned: np.ndarray  # (N, 2)
    rotation: np.ndarray  # (2, 2), orthogonal (a reflection when its determinant is -1)
    scale: float
    translation: np.ndarray  # (2,)
    residual: float  # squared error left / A's spread: 0 identical structure, 1 none in common

    @property
    def reflected(self) -> bool:
        return bool(np.linalg.det(self.rotation) < 0)


def procrustes(target: np.ndarray, source: np.ndarray) -> Alignment:
    """Orthogonal Procrustes with scaling: the rotation/reflection, scale and translation that map
    ``source`` (N, d) onto ``target`` (N, d) with the least squared error."""
    target, source = _check_pair(target, source)
    if target.shape[1] != source.shape[1]:
        raise LatentLabError(f"Maps of {target.shape[1]} and {source.shape[1]} dimensions cannot be aligned.")
    t = target.astype(np.float64)
    s = source.astype(np.float64)
    mt, ms = t.mean(0), s.mean(0)
    t0, s0 = t - mt, s - ms
    u, sv, vt = np.linalg.svd(s0.T @ t0)
    rotation = u @ vt  # (d, d)
    spread = float(np.sum(s0**2))
    scale = float(sv.sum() / spread) if spread > 0 else 1.0
    aligned = scale * s0 @ rotation + mt
    total = float(np.sum(t0**2))
    residual = float(np.sum((aligned - t) ** 2) / total) if total > 0 else 0.0
    return Alignment(aligned, rotation, scale, mt - scale * ms @ rotation, residual)


@dataclass
class Comparison:
    """How similar two latent spaces of the same items are (see the module docstring)."""

    names: tuple[str, str]
    n: int  # items compared
    cka: float
    relative_similarity: float
    knn_agreement: float
    k: int
    n_anchors: int
    correlation: np.ndarray  # (Da, Db) |Pearson r|
    variance: tuple[np.ndarray, np.ndarray] | None = None  # (Da,), (Db,) of the compared codes
    kl: tuple[np.ndarray | None, np.ndarray | None] = (None, None)  # mean KL per latent; None: no posterior

    def activity(self, side: int) -> np.ndarray:
        """How much each latent of side 0 (A) or 1 (B) is used: its mean KL to the prior, else its variance."""
        if self.kl[side] is not None:
            return np.asarray(self.kl[side])
        if self.variance is not None:
            return np.asarray(self.variance[side])
        return np.ones(self.correlation.shape[side])

    def measure(self, side: int) -> str:
        """What ``activity`` is: ``"KL"`` (nats) or ``"var"``."""
        return "KL" if self.kl[side] is not None else "var"

    def passive(self, side: int) -> np.ndarray:
        """Whether each latent of a side is passive (KL < ``PASSIVE_KL``); none without a KL: (D,) bool."""
        kl = self.kl[side]
        return np.zeros(self.correlation.shape[side], bool) if kl is None else np.asarray(kl) < PASSIVE_KL

    def order(self, side: int = 0) -> np.ndarray:
        """A side's latents, the active ones most active first, then the passive ones."""
        activity, passive = self.activity(side), self.passive(side)
        return np.lexsort((np.arange(len(activity)), -activity, passive))

    def matches(self, include_passive: bool = False) -> np.ndarray:
        """For each latent of A, the latent of B it correlates with most: (Da,). An active latent of A is matched
        among B's active latents only (all of them when ``include_passive``, or when none of B is active); a
        passive one, whose mean carries nothing, with any (``match_table`` lists it last, marked)."""
        active_b = ~self.passive(1)
        if include_passive or not active_b.any():
            active_b[:] = True
        allowed = active_b[None, :] | self.passive(0)[:, None]  # (Da, Db)
        return np.argmax(np.where(allowed, self.correlation, -1.0), axis=1)

    @property
    def best_match(self) -> np.ndarray:
        """``matches()``: each active latent of A's best match among B's active latents."""
        return self.matches()

    @property
    def scores(self) -> dict[str, float]:
        return {"cka": self.cka, "relative_similarity": self.relative_similarity, "knn_agreement": self.knn_agreement}

    def to_frame(self) -> pd.DataFrame:
        """One row per latent of A, in order: its best match in B and their |r|."""
        best = self.best_match
        return pd.DataFrame({
            "latent_a": [f"z{d}" for d in range(len(best))],
            "best_match_b": [f"z{int(j)}" for j in best],
            "abs_r": self.correlation[np.arange(len(best)), best],
        })

    def match_table(self, include_passive: bool = False) -> pd.DataFrame:
        """``to_frame`` with each latent's activity and whether it is passive, most active latents of A first
        and passive ones last; indexed by A's latent number."""
        best = self.matches(include_passive)
        order = self.order(0)
        act_a, act_b = self.activity(0), self.activity(1)
        return pd.DataFrame({
            "latent_a": [f"z{d}" for d in order], "activity_a": act_a[order], "passive_a": self.passive(0)[order],
            "best_match_b": [f"z{int(best[d])}" for d in order], "activity_b": act_b[best[order]],
            "passive_b": self.passive(1)[best[order]], "abs_r": self.correlation[order, best[order]],
        }, index=pd.Index(order, name="dim_a"))

    def shared_matches(self, include_passive: bool = False) -> dict[int, list[int]]:
        """The latents of B that are the best match of more than one active latent of A, with those latents."""
        best, active = self.matches(include_passive), ~self.passive(0)
        shared: dict[int, list[int]] = {}
        for d in self.order(0):
            if active[d]:
                shared.setdefault(int(best[d]), []).append(int(d))
        return {j: ds for j, ds in shared.items() if len(ds) > 1}

    def column_order(self, limit: int | None = None, include_passive: bool = False) -> np.ndarray:
        """B's latents for a heatmap beside A's in ``order(0)``: the best matches in that order (a diagonal when
        the two spaces agree), then B's others, the most correlated with some latent of A first, passive last;
        the first ``limit`` of them, or every best match when there are more."""
        best = list(dict.fromkeys(int(self.matches(include_passive)[d]) for d in self.order(0)))
        others = np.lexsort((-self.correlation.max(0), self.passive(1)))
        rest = [int(j) for j in others if int(j) not in best]
        columns = best + rest
        return np.asarray(columns if limit is None else columns[:max(limit, len(best))])

    def to_dict(self) -> dict:
        a, b = self.names
        return {"a": a, "b": b, "n": self.n, "k": self.k, "anchors": self.n_anchors, **self.scores,
                "best_matches": self.to_frame().to_dict("records")}


def compare_codes(a: np.ndarray, b: np.ndarray, names: tuple[str, str] = ("A", "B"), k: int = DEFAULT_K,
                  n_anchors: int = DEFAULT_ANCHORS, seed: int = 0,
                  kl: tuple[np.ndarray | None, np.ndarray | None] = (None, None)) -> Comparison:
    """Every score of two code matrices of the same items, rows in the same order; ``kl``, each side's mean KL
    per latent to its prior where it has one, tells passive latents apart."""
    a, b = _check_pair(a, b)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise LatentLabError("The codes hold NaN or infinite values; check the checkpoints or the embedding datasets.")
    moments = cross_moments(a, b)
    anchors = anchor_rows(len(a), n_anchors, seed)
    k = max(1, min(k, len(a) - 1))
    variance = (np.diag(moments.aa) / len(a), np.diag(moments.bb) / len(b))
    return Comparison(tuple(names), len(a), moments.cka, relative_similarity(a, b, anchors), knn_agreement(a, b, k),
                      k, len(anchors), moments.correlation, variance, tuple(kl))


BETTER_LOWER = ("recon_error_mean", "recon_error_median", "recon_error_p95", "total_correlation_gaussian",
                "mean_abs_corr_means_all", "mean_abs_corr_sampled_all")


def better_direction(score: str) -> int:
    """Which way a score of the Compare page's table improves: 1 higher is better (the disentanglement metrics,
    which need ground-truth factors), -1 lower is better (reconstruction error, total correlation, correlation
    between the latents), 0 neither (counts of units, KL, spread and intrinsic dimension)."""
    from latentlab.analysis.metrics import METRICS, factor_free_names

    if score in BETTER_LOWER:
        return -1
    metric = score.split(".", 1)[0]
    return 1 if "." in score and metric in METRICS and metric not in factor_free_names() else 0
