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
  (constant latents correlate with nothing: 0);
* Procrustes alignment of two 2-D maps: the rotation or reflection, scale and translation that bring B's
  map onto A's by least squares, so the same structure lands in the same place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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

    @property
    def best_match(self) -> np.ndarray:
        """For each latent of A, the latent of B it correlates with most: (Da,)."""
        return np.argmax(self.correlation, axis=1)

    @property
    def scores(self) -> dict[str, float]:
        return {"cka": self.cka, "relative_similarity": self.relative_similarity, "knn_agreement": self.knn_agreement}

    def to_frame(self) -> pd.DataFrame:
        """One row per latent of A: its best match in B and their |r|."""
        best = self.best_match
        return pd.DataFrame({
            "latent_a": [f"z{d}" for d in range(len(best))],
            "best_match_b": [f"z{int(j)}" for j in best],
            "abs_r": self.correlation[np.arange(len(best)), best],
        })

    def to_dict(self) -> dict:
        a, b = self.names
        return {"a": a, "b": b, "n": self.n, "k": self.k, "anchors": self.n_anchors, **self.scores,
                "best_matches": self.to_frame().to_dict("records")}


def compare_codes(a: np.ndarray, b: np.ndarray, names: tuple[str, str] = ("A", "B"), k: int = DEFAULT_K,
                  n_anchors: int = DEFAULT_ANCHORS, seed: int = 0) -> Comparison:
    """Every score of two code matrices of the same items, rows in the same order."""
    a, b = _check_pair(a, b)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise LatentLabError("The codes hold NaN or infinite values; check the checkpoints or the embedding datasets.")
    moments = cross_moments(a, b)
    anchors = anchor_rows(len(a), n_anchors, seed)
    k = max(1, min(k, len(a) - 1))
    return Comparison(tuple(names), len(a), moments.cka, relative_similarity(a, b, anchors), knn_agreement(a, b, k),
                      k, len(anchors), moments.correlation)
