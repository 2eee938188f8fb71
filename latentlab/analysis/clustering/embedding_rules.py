"""A clustering of an ``Embedding`` explained by rules (``cluster_rules``) over the space the user asks for: the
latent means, the dataset's own features (a table or vectors), or the 2-D map of the latent means."""

from __future__ import annotations

import numpy as np

from latentlab.analysis.clustering.cluster_rules import ClusterExplanation, explain_clustering, explanation_space
from latentlab.analysis.clustering.polyhedra import DEFAULT_HALFSPACES
from latentlab.analysis.embedding import Embedding, require_whole
from latentlab.analysis.projection.embedding_maps import project_embedding
from latentlab.data import Dataset


def explain_embedding_clusters(emb: Embedding, ds: Dataset, labels: np.ndarray, space: str = "latent",
                               max_halfspaces: int = DEFAULT_HALFSPACES, oblique: bool = False, seed: int = 0,
                               xy: np.ndarray | None = None, projection: dict | None = None) -> ClusterExplanation:
    """Explain the clustering ``labels`` (N,) of a whole dataset's embedding ``emb`` (of ``ds``) in ``space``.

    For ``space="map"`` the map's coordinates are ``xy`` (N, 2) when given, else the 2-D ``projection``
    (``{"method": ..., **params}``, default UMAP) of the latent means, cached like the Map page's.
    """
    require_whole(emb)
    features = np.asarray(ds.x) if space == "features" and np.ndim(ds.x) == 2 else None
    map_name = "map"
    if space == "map":
        proj = {"method": "umap", **(projection or {})}
        proj.pop("dims", None)
        map_name = proj.pop("method")
        if xy is None:
            xy = project_embedding(emb, map_name, 2, seed, **proj)
    X, names = explanation_space(space, emb.mean, features, ds.feature_names, xy, map_name)
    return explain_clustering(X, labels, names, max_halfspaces, oblique, seed=seed, space=space)
