"""Per cluster, a short description as an intersection of half-spaces (a polyhedron), with its precision and recall.

The problem is posed by Lawless and Gunluk, "Cluster Explanation via Polyhedral Descriptions" (ICML 2023,
arXiv:2210.10961): describe each cluster by a polyhedron of few half-spaces, trading how well it covers the
cluster against how many half-spaces and features it uses; they solve it by column generation over an integer
program. This module is a greedy approximation of it, with no solver: starting from everything, it adds, one at a
time, the half-space whose intersection with the description so far has the highest F1 score against the cluster
(optionally refusing any that would drop recall below ``recall_floor``), stops when no half-space raises F1 or at
``max_halfspaces``, then refits each chosen threshold once with the others fixed (coordinate descent).

Candidates are axis-aligned (``z3 > 0.41``) and, with ``oblique=True``, two-feature ones (``0.71 z2 - 0.71 z5 <=
0.3``) along ``len(OBLIQUE_ANGLES)`` directions in the plane of each pair of the ``OBLIQUE_FEATURES`` features that
set the cluster most apart (largest standardised mean difference), on standardised features. Each candidate's best
threshold comes from one sweep of its sorted values (prefix and suffix counts of members), the sort orders shared
by all clusters, so a step costs O(n) per candidate. Above ``FIT_ROWS`` points the half-spaces are chosen on a
seeded sample (with at least ``MIN_MEMBERS`` of each cluster); precision and recall are measured on every point.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from latentlab.analysis.clustering.threshold_tree import number
from latentlab.core.errors import LatentLabError

DEFAULT_HALFSPACES = 4  # an axis-aligned box in two features
FIT_ROWS = 20_000
MIN_MEMBERS = 200
OBLIQUE_FEATURES = 6
OBLIQUE_ANGLES = np.deg2rad([22.5, 45.0, 67.5, 112.5, 135.0, 157.5])  # the axis-aligned 0 and 90 are candidates anyway


@dataclass(frozen=True)
class HalfSpace:
    """``sum_i weights[i] * x[features[i]] <= threshold`` (``above=False``) or ``> threshold`` (``above=True``),
    in the original units of the features."""

    features: tuple[int, ...]
    weights: tuple[float, ...]
    threshold: float
    above: bool

    def holds(self, X: np.ndarray) -> np.ndarray:
        v = X[:, list(self.features)] @ np.asarray(self.weights)
        return v > self.threshold if self.above else v <= self.threshold

    def text(self, names: list[str]) -> str:
        if len(self.features) == 1:
            lhs = names[self.features[0]]
        else:
            terms = [(f"{abs(w):.2g} " if f"{abs(w):.2g}" != "1" else "") + names[f]
                     for f, w in zip(self.features, self.weights)]
            lhs = ("-" if self.weights[0] < 0 else "") + terms[0]
            lhs += "".join(f" {'-' if w < 0 else '+'} {t}" for w, t in zip(self.weights[1:], terms[1:]))
        return f"{lhs} {'>' if self.above else '<='} {number(self.threshold)}"

    def to_dict(self, names: list[str]) -> dict:
        return {"features": [names[f] for f in self.features], "weights": [float(w) for w in self.weights],
                "threshold": float(self.threshold), "side": ">" if self.above else "<=", "text": self.text(names)}


@dataclass
class Description:
    """A cluster's polyhedron and how well it matches the cluster on all points."""

    cluster: int
    halfspaces: list[HalfSpace]
    precision: float  # share of the points inside that are members
    recall: float  # share of the members that are inside

    def holds(self, X: np.ndarray) -> np.ndarray:
        inside = np.ones(len(X), dtype=bool)
        for h in self.halfspaces:
            inside &= h.holds(X)
        return inside

    def text(self, names: list[str]) -> str:
        return " and ".join(h.text(names) for h in self.halfspaces) or "everything"


class _Candidates:
    """Standardised projections (axis features and oblique pairs) with their sort orders, made once and shared."""

    def __init__(self, X: np.ndarray):
        self.mu, self.sd = X.mean(0), X.std(0)
        self.sd[self.sd == 0] = 1.0
        self.Z = (X - self.mu) / self.sd
        self._orders: dict = {}

    def projection(self, key: tuple) -> tuple[np.ndarray, np.ndarray]:
        """(values, ascending order) of candidate ``key``: ``(j,)`` or ``(i, j, angle)``."""
        if key not in self._orders:
            if len(key) == 1:
                v = self.Z[:, key[0]]
            else:
                i, j, a = key
                v = np.cos(a) * self.Z[:, i] + np.sin(a) * self.Z[:, j]
            self._orders[key] = (v, np.argsort(v, kind="stable"))
        return self._orders[key]

    def halfspace(self, key: tuple, cut: float, above: bool) -> HalfSpace:
        """The half-space ``projection > cut`` (or ``<=``) in the features' original units."""
        if len(key) == 1:
            j = key[0]
            return HalfSpace((j,), (1.0,), float(cut * self.sd[j] + self.mu[j]), above)
        i, j, a = key
        w = np.array([np.cos(a) / self.sd[i], np.sin(a) / self.sd[j]])
        t = cut + w[0] * self.mu[i] + w[1] * self.mu[j]
        scale = np.abs(w).max()  # the larger weight shown as 1
        return HalfSpace((i, j), tuple(float(x) for x in w / scale), float(t / scale), above)


def _best_threshold(values: np.ndarray, order: np.ndarray, inside: np.ndarray, member: np.ndarray, n_members: int,
                    recall_floor: float) -> tuple[float, float, bool]:
    """Over the points ``inside`` so far, the cut of this projection whose side (``<=`` or ``>``) kept with them
    has the best F1: (f1, cut, above)."""
    rows = order[inside[order]]
    v, y = values[rows], member[rows].astype(np.int64)
    m = len(v)
    if m < 2:
        return -1.0, 0.0, False
    tp_prefix = np.cumsum(y)[:-1]  # members among the first i+1 points, a cut after each
    kept_prefix = np.arange(1, m)
    tp_suffix = tp_prefix[-1] + y[-1] - tp_prefix
    kept_suffix = m - kept_prefix
    cut_ok = v[1:] > v[:-1]  # a cut must fall between distinct values
    best = (-1.0, 0.0, False)
    for tp, kept, above in ((tp_prefix, kept_prefix, False), (tp_suffix, kept_suffix, True)):
        f1 = np.where(cut_ok & (tp >= recall_floor * n_members), 2.0 * tp / (kept + n_members), -1.0)
        i = int(np.argmax(f1))
        if f1[i] > best[0]:
            best = (float(f1[i]), 0.5 * (v[i] + v[i + 1]), above)
    return best


def _f1(inside: np.ndarray, member: np.ndarray) -> float:
    tp = np.count_nonzero(inside & member)
    return 2.0 * tp / (np.count_nonzero(inside) + np.count_nonzero(member))


def _keys(cands: _Candidates, member: np.ndarray, oblique: bool) -> list[tuple]:
    d = cands.Z.shape[1]
    keys: list[tuple] = [(j,) for j in range(d)]
    if oblique and d >= 2:
        gap = np.abs(cands.Z[member].mean(0) - cands.Z[~member].mean(0))
        top = sorted(np.argsort(-gap)[:OBLIQUE_FEATURES].tolist())
        keys += [(i, j, float(a)) for i, j in combinations(top, 2) for a in OBLIQUE_ANGLES]
    return keys


def _describe(cands: _Candidates, member: np.ndarray, max_halfspaces: int, oblique: bool, recall_floor: float):
    """Greedy choice then one refit pass: [(key, cut, above)] on the fitting points."""
    n_members = int(member.sum())
    keys = _keys(cands, member, oblique)
    chosen: list[tuple] = []
    sides: list[np.ndarray] = []
    inside = np.ones(len(member), dtype=bool)
    score = _f1(inside, member)
    while len(chosen) < max_halfspaces:
        best = max(((*_best_threshold(*cands.projection(k), inside, member, n_members, recall_floor), k) for k in keys),
                   key=lambda t: t[0])
        if best[0] <= score + 1e-9:
            break
        f1, cut, above, key = best
        side = cands.projection(key)[0] > cut if above else cands.projection(key)[0] <= cut
        chosen.append((key, cut, above))
        sides.append(side)
        inside &= side
        score = f1
    for i, (key, _, above) in enumerate(chosen):  # each threshold again, the others fixed
        others = np.ones(len(member), dtype=bool)
        for s in sides[:i] + sides[i + 1:]:
            others &= s
        f1, cut, new_above = _best_threshold(*cands.projection(key), others, member, n_members, recall_floor)
        if f1 > score + 1e-9:
            values = cands.projection(key)[0]
            chosen[i], sides[i] = (key, cut, new_above), (values > cut if new_above else values <= cut)
            score = f1
    return chosen


def _fitting_rows(labels: np.ndarray, clusters: list[int], seed: int) -> np.ndarray:
    """All rows, or above ``FIT_ROWS`` a seeded sample of them with at least ``MIN_MEMBERS`` of each cluster (so a
    small cluster is described from its own points too)."""
    if len(labels) <= FIT_ROWS:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    parts = [rng.choice(len(labels), FIT_ROWS, replace=False)]
    for c in clusters:
        members = np.flatnonzero(labels == c)
        parts.append(rng.choice(members, min(MIN_MEMBERS, len(members)), replace=False))
    return np.unique(np.concatenate(parts))


def describe_clusters(X: np.ndarray, labels: np.ndarray, max_halfspaces: int = DEFAULT_HALFSPACES, oblique: bool = False,
                      recall_floor: float = 0.0, seed: int = 0) -> dict[int, Description]:
    """Per cluster, a polyhedron of at most ``max_halfspaces`` half-spaces chosen greedily (module docstring).

    Parameters
    ----------
    X : (N, d) array
        The points, in the space whose features the descriptions name.
    labels : (N,) int array
        Each point's cluster; ``-1`` (noise) counts as a non-member of every cluster.
    max_halfspaces : int
        At most this many half-spaces per cluster (1 or more).
    oblique : bool
        Also offer two-feature half-spaces.
    recall_floor : float
        Refuse half-spaces that would leave less than this share of the cluster inside (0 to 1).

    Returns
    -------
    ``{cluster: Description}`` for each cluster (noise excluded).
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    if int(max_halfspaces) < 1:
        raise LatentLabError(f"`max_halfspaces` must be at least 1 (a description is an intersection of half-spaces), "
                             f"got {max_halfspaces}.", param="max_halfspaces", value=max_halfspaces)
    if not 0.0 <= recall_floor <= 1.0:
        raise LatentLabError(f"The recall floor must be between 0 and 1, got {recall_floor}.")
    clusters = sorted(set(labels[labels >= 0].tolist()))
    fit = _fitting_rows(labels, clusters, seed)
    cands = _Candidates(X[fit])
    out = {}
    for c in clusters:
        chosen = _describe(cands, labels[fit] == c, int(max_halfspaces), oblique, recall_floor)
        desc = Description(int(c), [cands.halfspace(k, cut, above) for k, cut, above in chosen], 0.0, 0.0)
        inside, member = desc.holds(X), labels == c
        tp = np.count_nonzero(inside & member)
        desc.precision = tp / max(np.count_nonzero(inside), 1)
        desc.recall = tp / max(np.count_nonzero(member), 1)
        out[int(c)] = desc
    return out
