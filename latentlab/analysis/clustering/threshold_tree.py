"""A threshold tree that explains a clustering: IMM, the Iterative Mistake Minimization algorithm of Dasgupta,
Frost, Moshkovitz and Rashtchian, "Explainable k-Means and k-Medians Clustering" (ICML 2020, arXiv:2002.12538).

A threshold tree has k leaves; each inner node cuts on one feature (``x[j] <= t`` goes left), so each cluster is
described by the conditions on its path. IMM builds it top down from the clustering's centres and labels: a node
holds some centres and the points whose centres they are; among all cuts that split those centres, it takes the
one that separates the fewest points from their own centre (a *mistake*), drops the mistaken points and recurses
until each leaf holds one centre. The paper bounds the tree's k-means cost by O(k^2) times the clustering's and
shows that some data sets need Omega(log k); on data whose clusters sit apart along single axes it is exact.

The authors' package (``ExKMC`` on PyPI, 0.0.3 of 2021) is a source-only Cython build whose setup script imports
numpy without declaring it, so pip cannot build it in an isolated environment, and it has had no release since;
IMM is therefore written here in numpy. The best cut of a feature comes from one sort and one sweep: a point
``x`` with centre ``c`` is a mistake exactly for thresholds in ``[min(x_j, c_j), max(x_j, c_j))``, so the number
of mistakes at ``t`` is ``#{lo <= t} - #{hi <= t}``, read for every candidate ``t`` by two ``searchsorted`` calls:
O(d n log n) per node. Among cuts with equally few mistakes the one with the widest gap (in units of the feature's
spread) wins, and the threshold is placed midway in that gap, so rules read cleanly and generalise to new points.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from latentlab.core.errors import LatentLabError


@dataclass(frozen=True)
class Condition:
    """``x[feature] <= threshold`` (``above=False``) or ``x[feature] > threshold`` (``above=True``)."""

    feature: int
    threshold: float
    above: bool

    def holds(self, X: np.ndarray) -> np.ndarray:
        v = X[:, self.feature]
        return v > self.threshold if self.above else v <= self.threshold


def number(v: float) -> str:
    """A threshold as a rule shows it: three significant digits."""
    return f"{v:.3g}"


def conditions_text(conditions: list[Condition], names: list[str]) -> str:
    """A conjunction read aloud: the tightest bound per feature and side, a two-sided bound as ``a < z3 <= b``,
    features in the order they first appear (``"z3 > 0.41 and z7 <= -1.2"``); ``"everything"`` when empty."""
    lower: dict[int, float] = {}
    upper: dict[int, float] = {}
    order: list[int] = []
    for c in conditions:
        if c.feature not in order:
            order.append(c.feature)
        if c.above:
            lower[c.feature] = max(lower.get(c.feature, -np.inf), c.threshold)
        else:
            upper[c.feature] = min(upper.get(c.feature, np.inf), c.threshold)
    parts = []
    for f in order:
        name = names[f]
        if f in lower and f in upper:
            parts.append(f"{number(lower[f])} < {name} <= {number(upper[f])}")
        elif f in lower:
            parts.append(f"{name} > {number(lower[f])}")
        else:
            parts.append(f"{name} <= {number(upper[f])}")
    return " and ".join(parts) if parts else "everything"


@dataclass
class TreeNode:
    """An inner node (``feature >= 0``: ``x[feature] <= threshold`` goes ``left``) or a leaf (``cluster``)."""

    n: int  # fitting points that reached the node (mistakes of the cuts above are dropped)
    feature: int = -1
    threshold: float = float("nan")
    mistakes: int = 0  # fitting points this node's cut separates from their centre
    left: TreeNode | None = None
    right: TreeNode | None = None
    cluster: int = -1  # at a leaf: the cluster it describes

    @property
    def is_leaf(self) -> bool:
        return self.feature < 0


@dataclass
class ThresholdTree:
    """A fitted threshold tree: ``predict`` routes points to their leaf's cluster, ``paths`` lists each cluster's
    conditions from the root, ``rules`` reads them as text with ``feature_names``."""

    root: TreeNode
    feature_names: list[str]
    clusters: list[int] = field(default_factory=list)  # the clusters, one per leaf

    def predict(self, X: np.ndarray) -> np.ndarray:
        """(N, d) -> (N,) the cluster of each point's leaf."""
        X = np.asarray(X)
        out = np.empty(len(X), dtype=np.int64)
        stack = [(self.root, np.arange(len(X)))]
        while stack:
            node, rows = stack.pop()
            if node.is_leaf:
                out[rows] = node.cluster
                continue
            go_left = X[rows, node.feature] <= node.threshold
            stack += [(node.left, rows[go_left]), (node.right, rows[~go_left])]
        return out

    def paths(self) -> dict[int, list[Condition]]:
        """Per cluster, the conditions on the way from the root to its leaf."""
        out: dict[int, list[Condition]] = {}
        stack: list[tuple[TreeNode, list[Condition]]] = [(self.root, [])]
        while stack:
            node, path = stack.pop()
            if node.is_leaf:
                out[node.cluster] = path
                continue
            stack.append((node.right, [*path, Condition(node.feature, node.threshold, True)]))
            stack.append((node.left, [*path, Condition(node.feature, node.threshold, False)]))
        return dict(sorted(out.items()))

    def rules(self) -> dict[int, str]:
        """Per cluster, its path as a rule: ``{3: "z3 > 0.41 and z7 <= -1.2", ...}``."""
        return {c: conditions_text(path, self.feature_names) for c, path in self.paths().items()}

    def to_dict(self, node: TreeNode | None = None) -> dict:
        """The tree as nested JSON-ready dicts (``feature`` named, ``left`` is the ``<=`` side)."""
        node = self.root if node is None else node
        if node.is_leaf:
            return {"cluster": int(node.cluster), "n": int(node.n)}
        return {"feature": self.feature_names[node.feature], "threshold": float(node.threshold), "n": int(node.n),
                "mistakes": int(node.mistakes), "left": self.to_dict(node.left), "right": self.to_dict(node.right)}


def _best_cut(X: np.ndarray, centres: np.ndarray, own: np.ndarray) -> tuple[int, float, int]:
    """The cut of the centres ``centres`` (m, d) that separates the fewest points ``X`` (n, d) from their centre
    (``own``: (n,) row of each point's centre): (feature, threshold, mistakes)."""
    best = (np.inf, -np.inf, -1, 0.0)  # (mistakes, -relative gap, feature, threshold): smallest wins
    for j in range(X.shape[1]):
        c = centres[:, j]
        c_lo, c_hi = c.min(), c.max()
        if c_lo == c_hi:  # every centre on one side of any cut of this feature
            continue
        a, b = X[:, j], c[own]
        lo, hi = np.sort(np.minimum(a, b)), np.sort(np.maximum(a, b))
        values = np.unique(np.concatenate([a, c]))
        at = np.searchsorted(values, c_lo), np.searchsorted(values, c_hi)
        cand, following = values[at[0]:at[1]], values[at[0] + 1:at[1] + 1]  # cuts in [c_lo, c_hi), the next value
        mistakes = np.searchsorted(lo, cand, "right") - np.searchsorted(hi, cand, "right")
        spread = float(a.std()) or 1.0
        gap = (following - cand) / spread
        i = np.lexsort((-gap, mistakes))[0]
        key = (int(mistakes[i]), -float(gap[i]), j, 0.5 * (cand[i] + following[i]))
        if key[:2] < best[:2]:
            best = key
    return best[2], best[3], best[0]


def imm_tree(X: np.ndarray, labels: np.ndarray, centres: np.ndarray | None = None,
             feature_names: list[str] | None = None) -> ThresholdTree:
    """Fit IMM's threshold tree to explain a clustering.

    Parameters
    ----------
    X : (N, d) array
        The points, in the space whose features the rules name.
    labels : (N,) int array
        Each point's cluster; ``-1`` (noise) is left out.
    centres : (k, d) array, optional
        The clusters' centres in the order of ``np.unique(labels[labels >= 0])``; by default each cluster's mean,
        which is k-means' centre at convergence.
    feature_names : list of str, optional
        Names for the rules (default ``x0, x1, ...``).

    Returns
    -------
    ThresholdTree with one leaf per cluster.
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    if X.ndim != 2 or len(X) != len(labels):
        raise LatentLabError(f"A threshold tree needs one cluster label per point; got {len(labels):,} labels for "
                             f"{len(X):,} points.")
    keep = labels >= 0
    clusters, own = np.unique(labels[keep], return_inverse=True)
    if len(clusters) < 2:
        raise LatentLabError(f"A threshold tree explains at least two clusters, and this clustering has "
                             f"{len(clusters)}; cluster with k of 2 or more first.")
    X = X[keep]
    if not np.isfinite(X).all():
        raise LatentLabError("The points to explain hold NaN or infinite values; encode or clean them first.")
    if centres is None:
        centres = np.stack([X[own == i].mean(0) for i in range(len(clusters))])
    names = list(feature_names) if feature_names is not None else [f"x{j}" for j in range(X.shape[1])]

    def grow(rows: np.ndarray, members: np.ndarray) -> TreeNode:
        """The subtree over centres ``members`` (indices into ``clusters``) and the points ``rows`` kept so far."""
        if len(members) == 1:
            return TreeNode(n=len(rows), cluster=int(clusters[members[0]]))
        local = np.searchsorted(members, own[rows])  # each point's centre as a row of centres[members]
        feature, threshold, mistakes = _best_cut(X[rows], centres[members], local)
        if feature < 0:  # identical centres: no cut splits them, so the tree cannot tell them apart
            raise LatentLabError(f"Clusters {', '.join(str(clusters[m]) for m in members)} have the same centre, so "
                                 "no threshold tree separates them; cluster again with fewer clusters.")
        point_left = X[rows, feature] <= threshold
        centre_left = centres[members, feature] <= threshold
        agree = point_left == centre_left[local]  # the mistakes are dropped from both subtrees
        node = TreeNode(n=len(rows), feature=feature, threshold=float(threshold), mistakes=int(mistakes))
        node.left = grow(rows[agree & point_left], members[centre_left])
        node.right = grow(rows[agree & ~point_left], members[~centre_left])
        return node

    return ThresholdTree(grow(np.arange(len(X)), np.arange(len(clusters))), names, [int(c) for c in clusters])


def kmeans_cost(X: np.ndarray, labels: np.ndarray) -> float:
    """The k-means cost of a partition: each point's squared distance to its part's mean, summed (``-1`` left out)."""
    X = np.asarray(X, dtype=np.float64)
    keep = labels >= 0
    X, labels = X[keep], labels[keep]
    _, part = np.unique(labels, return_inverse=True)
    counts = np.bincount(part).astype(np.float64)
    sums = np.stack([np.bincount(part, weights=X[:, j], minlength=len(counts)) for j in range(X.shape[1])], 1)
    # sum ||x - m||^2 = sum ||x||^2 - n ||m||^2 per part
    return float(max((X * X).sum() - ((sums * sums).sum(1) / counts).sum(), 0.0))
