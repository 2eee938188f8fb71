"""Clusterings of an ``Embedding``: its latent means (``on="latent"``) or a projection of them
(``on="projection"``) clustered by a registered method, cached under the space's key and the method's
parameters, with scores and a per-cluster table."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from latentlab.analysis.clustering import cluster_scores, cluster_table, make_clusterer
from latentlab.analysis.text.keywords import cluster_keywords
from latentlab.analysis.clustering.model import MODEL_METHOD, BesideKMeans
from latentlab.analysis.embedding import Embedding, require_whole
from latentlab.analysis.projection.embedding_maps import project_embedding
from latentlab.core.array_cache import cached_arrays
from latentlab.core.errors import LatentLabError
from latentlab.core.progress import ProgressFn
from latentlab.core.workspace import digest
from latentlab.data import Dataset


@dataclass
class ClusterResult:
    labels: np.ndarray  # (N,) cluster per sample, -1 = noise
    scores: dict[str, float]
    table: pd.DataFrame  # per-cluster summary (with a "keywords" column for a text dataset)
    keywords: dict[int, list[str]] = field(default_factory=dict)  # a text dataset's c-TF-IDF keywords per cluster


def cluster_embedding(emb: Embedding, ds: Dataset, method: str = "kmeans", on: str = "latent", seed: int = 0,
                      projection: dict | None = None, progress: ProgressFn | None = None, **params) -> ClusterResult:
    """Cluster a whole dataset's embedding ``emb`` (of ``ds``, whose labels the scores compare with)."""
    require_whole(emb)
    clusterer = make_clusterer(method, random_state=seed, **params)
    if on == "latent":
        X, space_key = emb.mean, emb.key
    elif on == "projection":
        proj = {"method": "umap", "dims": 2, **(projection or {})}
        X = project_embedding(emb, proj.pop("method"), proj.pop("dims"), seed, progress=progress, **proj)
        space_key = digest(emb.key, projection)
    else:
        raise LatentLabError(f"`on` must be 'latent' or 'projection', not '{on}'.", param="on", value=on)
    if clusterer.READS_MODEL:  # read from the embedding, not fitted: nothing to cache
        labels = clusterer.read(emb)
    else:
        key = digest("cluster", space_key, method, clusterer.get_params(), seed)
        labels = cached_arrays("cluster", key, lambda: {"labels": clusterer.fit_predict(X, progress=progress)})["labels"]
    scores = {**cluster_scores(X, labels, ds.labels, seed=seed), **clusterer.extra_scores()}
    table = cluster_table(emb.mean, labels, ds.labels)
    keywords = {}
    if ds.texts is not None and len(ds.texts) == len(labels):
        keywords = cluster_keywords(ds.texts, labels)
        table["keywords"] = [", ".join(keywords.get(int(c), [])) for c in table["cluster"]]
    return ClusterResult(labels, scores, table, keywords)


def beside_kmeans_embedding(emb: Embedding, ds: Dataset, k: int, seed: int = 0,
                            progress: ProgressFn | None = None) -> BesideKMeans:
    """A model's own ``k`` clusters of ``emb`` beside k-means with the same k on the same latent means."""
    ours = cluster_embedding(emb, ds, MODEL_METHOD, seed=seed, progress=progress)
    kmeans = cluster_embedding(emb, ds, "kmeans", seed=seed, progress=progress, k=k)
    return BesideKMeans.of(ours, kmeans)
