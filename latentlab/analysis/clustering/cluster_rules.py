"""Clusters described by rules: a clustering explained by a threshold tree (IMM, ``threshold_tree``) and, per
cluster, a short polyhedral description (``polyhedra``), over the latent means, a table's features or the map's
2-D coordinates.

The tree is judged as the paper judges it: its *cost ratio* is the k-means cost of the tree's partition (each leaf's
points to their mean) over the k-means cost of the clustering it explains (each cluster's points to their mean), in
the same space, so 1 means the rules lose nothing; its *accuracy* is the share of points whose leaf is their own
cluster (each leaf stands for one cluster, so no further matching is needed). Each rule, the tree's path and the
description alike, has a precision (the share of the points it covers that are members) and a recall (the share of
the members it covers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from latentlab.analysis.clustering.polyhedra import DEFAULT_HALFSPACES, Description, describe_clusters
from latentlab.analysis.clustering.threshold_tree import ThresholdTree, imm_tree, kmeans_cost
from latentlab.core.errors import LatentLabError

if TYPE_CHECKING:
    import pandas as pd

SPACES = ("latent", "features", "map")


@dataclass
class ClusterRule:
    """One cluster's rules and how well each matches it."""

    cluster: int
    size: int
    tree_rule: str  # the tree's path to the cluster's leaf
    tree_precision: float
    tree_recall: float
    description: Description  # at most max_halfspaces half-spaces

    def to_dict(self, names: list[str]) -> dict:
        d = self.description
        return {"cluster": self.cluster, "size": self.size, "rule": self.tree_rule,
                "tree_precision": self.tree_precision, "tree_recall": self.tree_recall,
                "description": d.text(names), "halfspaces": [h.to_dict(names) for h in d.halfspaces],
                "precision": d.precision, "recall": d.recall}


@dataclass
class ClusterExplanation:
    """A clustering explained in a space (``space``, its features named ``feature_names``).

    ``tree_labels``: (N,) the tree's cluster for each point; ``described``: per cluster, the rows its description
    covers; ``labels``: (N,) the clustering explained."""

    space: str
    feature_names: list[str]
    tree: ThresholdTree
    cost_ratio: float
    accuracy: float
    rules: list[ClusterRule]
    labels: np.ndarray
    tree_labels: np.ndarray
    described: dict[int, np.ndarray]

    def covered(self, cluster: int, by: str = "description") -> np.ndarray:
        """Sorted rows that cluster ``cluster``'s ``description`` (or ``tree`` path) covers."""
        if by == "tree":
            return np.flatnonzero(self.tree_labels == cluster)
        return self.described[int(cluster)]

    def table(self) -> pd.DataFrame:
        """One row per cluster: size, tree rule with its precision and recall, description with its."""
        import pandas as pd  # imported here: the command line's parser reads SPACES

        return pd.DataFrame([{"cluster": r.cluster, "size": r.size, "tree rule": r.tree_rule,
                              "tree precision": r.tree_precision, "tree recall": r.tree_recall,
                              "description": r.description.text(self.feature_names),
                              "precision": r.description.precision, "recall": r.description.recall}
                             for r in self.rules])

    def to_dict(self) -> dict:
        return {"space": self.space, "features": self.feature_names,
                "tree": {"cost_ratio": self.cost_ratio, "accuracy": self.accuracy, "leaves": len(self.rules),
                         "root": self.tree.to_dict()},
                "clusters": [r.to_dict(self.feature_names) for r in self.rules]}


def explain_clustering(X: np.ndarray, labels: np.ndarray, feature_names: list[str] | None = None,
                       max_halfspaces: int = DEFAULT_HALFSPACES, oblique: bool = False, recall_floor: float = 0.0, seed: int = 0,
                       space: str = "latent") -> ClusterExplanation:
    """Explain the clustering ``labels`` of the points ``X`` (N, d) by IMM's threshold tree (centres: the clusters'
    means in this space) and a polyhedral description per cluster; ``-1`` (noise) is left out of the tree, and
    counts as a non-member when precision is measured."""
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels).astype(np.int64)
    if len(labels) != len(X):
        raise LatentLabError(f"There are {len(labels):,} cluster labels for {len(X):,} points; give one per point.")
    if not (labels >= 0).any():
        raise LatentLabError("There is no clustering to explain: every point is noise (-1); cluster with another "
                             "method or smaller min_cluster_size first.")
    if int(max_halfspaces) < 1:
        raise LatentLabError(f"`max_halfspaces` must be at least 1 (a description is an intersection of half-spaces), "
                             f"got {max_halfspaces}.", param="max_halfspaces", value=max_halfspaces)
    names = list(feature_names) if feature_names is not None else [f"x{j}" for j in range(X.shape[1])]
    tree = imm_tree(X, labels, feature_names=names)
    kept = labels >= 0
    tree_labels = tree.predict(X)
    tree_labels[~kept] = -1  # noise has no leaf of its own: it is left out of costs and rules alike
    own_cost = kmeans_cost(X, labels)
    cost_ratio = kmeans_cost(X, tree_labels) / own_cost if own_cost > 0 else 1.0
    descriptions = describe_clusters(X, labels, max_halfspaces, oblique, recall_floor, seed)
    paths = tree.rules()
    rules, described = [], {}
    for c, desc in descriptions.items():
        member, leaf = labels == c, tree_labels == c
        tp = np.count_nonzero(member & leaf)
        rules.append(ClusterRule(c, int(member.sum()), paths[c], tp / max(int(leaf.sum()), 1), tp / int(member.sum()),
                                 desc))
        described[c] = np.flatnonzero(desc.holds(X))
    return ClusterExplanation(space, names, tree, float(cost_ratio), float(np.mean(tree_labels[kept] == labels[kept])),
                              rules, labels, tree_labels, described)


def explanation_space(space: str, latents: np.ndarray, features: np.ndarray | None = None,
                      feature_names: list[str] | None = None, xy: np.ndarray | None = None,
                      map_name: str = "map") -> tuple[np.ndarray, list[str]]:
    """The points and feature names of ``space``: ``"latent"`` (``z0, z1, ...``), ``"features"`` (a table's
    columns) or ``"map"`` (the 2-D map's coordinates, ``umap_1, umap_2``)."""
    if space == "latent":
        return latents, [f"z{j}" for j in range(latents.shape[1])]
    if space == "features":
        if features is None or features.ndim != 2:
            raise LatentLabError("Rules over features need a dataset whose items are rows of numbers (a table or "
                                 "vectors); explain on the latent means or the map instead.")
        names = list(feature_names or [])
        return features, names if len(names) == features.shape[1] else [f"x{j}" for j in range(features.shape[1])]
    if space == "map":
        if xy is None or xy.ndim != 2 or xy.shape[1] != 2:
            raise LatentLabError("Rules over the map need its 2-D coordinates; make a 2-D map first.")
        return xy, [f"{map_name}_{j + 1}" for j in range(2)]
    raise LatentLabError(f"Rules can be made over {', '.join(SPACES)}, not '{space}'.")
