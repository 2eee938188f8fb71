"""The verbs of the Python API (``latentlab.lab`` lists them and resolves them on first use).

Each function takes a checkpoint (a name, a path or a loaded ``Checkpoint``)
and optionally a dataset (a name or a ``Dataset``; by default the one the
checkpoint was trained on), and returns plain arrays or small result types.
Derived arrays are cached on disk under their inputs' fingerprints.
"""

from __future__ import annotations

import numpy as np

from latentlab.analysis.metrics.scoring import DEFAULT_ITEMS, diagnose_embedding, score_embedding
from latentlab.analysis.clustering import MODEL_METHOD, Clusterer, make_clusterer
from latentlab.analysis.clustering.cluster_rules import ClusterExplanation
from latentlab.analysis.clustering.embedding_clusters import ClusterResult, beside_kmeans_embedding, cluster_embedding
from latentlab.analysis.clustering.embedding_rules import explain_embedding_clusters
from latentlab.analysis.clustering.model import BesideKMeans
from latentlab.analysis.clustering.polyhedra import DEFAULT_HALFSPACES
from latentlab.analysis.embedding import Embedding, embed_dataset, embed_rows, vectors_embedding
from latentlab.analysis.metrics import Diagnostics, MetricResult
from latentlab.analysis.projection import make_projector
from latentlab.analysis.projection.embedding_maps import project_embedding
from latentlab.analysis.text.search import SearchHit, search_texts
from latentlab.core.errors import LatentLabError
from latentlab.core.progress import ProgressFn
from latentlab.core.rows import row_sample
from latentlab.data import Dataset
from latentlab.checkpoints.format import Checkpoint
from latentlab.checkpoints.resolve import as_dataset, dataset_for, load_checkpoint


def installed_model_classes() -> list[str]:
    """Names of the model classes installed packages register under the entry-point group ``latentlab.models``."""
    from latentlab.models.foreign_sources import installed_classes

    return sorted(installed_classes())


def trainable_models() -> dict[str, str]:
    """The names ``train`` takes, each with a description: the registry's models, then the classes installed
    packages register under ``latentlab.models`` that provide ``loss(x)``."""
    from latentlab.models import MODELS
    from latentlab.models.foreign_settings import trainable_descriptions

    return {**MODELS.descriptions(), **trainable_descriptions(MODELS)}


def model_settings(model: str) -> type:
    """Model ``model``'s settings as a dataclass (its config, or an installed class's constructor arguments), for
    forms; its ``user_fields()`` are the settings a user sets."""
    from latentlab.models import check_settings

    return check_settings(model, {})


def capabilities(checkpoint):
    """What a checkpoint's model can do (``latentlab.checkpoints.sources.Capabilities``): whether it is Gaussian, has
    a decoder, can be trained, and for each view it cannot offer, why."""
    from latentlab.checkpoints.sources import capabilities as model_capabilities

    return model_capabilities(load_checkpoint(checkpoint).model)


def sample_embedding(checkpoint, dataset=None, n: int = DEFAULT_ITEMS, seed: int = 0,
                     progress: ProgressFn | None = None) -> tuple[Checkpoint, Dataset, Embedding]:
    """(checkpoint, dataset, embedding of the ``n`` scored items): only those items are encoded."""
    ck = load_checkpoint(checkpoint)
    ds = dataset_for(ck, dataset)
    rows = None if len(ds) <= n else row_sample(len(ds), n, seed)
    return ck, ds, embed_sample(ck, ds, rows, progress=progress)


def score(checkpoint, dataset=None, names=None, n: int = DEFAULT_ITEMS, seed: int = 0,
          progress: ProgressFn | None = None) -> dict[str, MetricResult]:
    """Disentanglement metrics (see ``latentlab.analysis.metrics``) of a checkpoint on a dataset with ground-truth
    factors, on ``n`` items (a seeded sample of a larger dataset; only those are encoded). ``checkpoint`` may be an
    ``Embedding`` of ``dataset`` instead: it is scored as it is."""
    if isinstance(checkpoint, Embedding):
        return score_embedding(checkpoint, as_dataset(dataset), names, n, seed, progress)
    _, ds, emb = sample_embedding(checkpoint, dataset, n, seed, progress)
    return score_embedding(emb, ds, names, n, seed, progress)


def diagnose(checkpoint, dataset=None, seed: int = 0, n: int = DEFAULT_ITEMS) -> Diagnostics:
    """Latent diagnostics that need no ground truth (see ``latentlab.analysis.metrics.diagnostics``): KL per dimension,
    active units, mean vs sampled correlations, TC, reconstruction error, warnings; on a seeded sample of ``n``
    items of a larger dataset. ``checkpoint`` may be an ``Embedding`` instead."""
    if isinstance(checkpoint, Embedding):
        return diagnose_embedding(checkpoint, seed)
    return diagnose_embedding(sample_embedding(checkpoint, dataset, n, seed)[2], seed)


# ---------------------------------------------------------------- embedding, maps, clusters


def embed(checkpoint=None, dataset=None, device: str = "auto", progress: ProgressFn | None = None,
          rows: np.ndarray | None = None) -> Embedding:
    """Encode a dataset (default: the checkpoint's training set) in chunks, cached; only its ``rows`` when given.

    With no checkpoint, a dataset of vectors (precomputed embeddings, tables) is its own latent space.
    """
    if checkpoint is not None and rows is not None:
        return embed_sample(checkpoint, dataset, rows, device, progress)
    if checkpoint is None:
        if dataset is None:
            raise LatentLabError("Give a checkpoint, or a dataset of precomputed embeddings as `dataset`.",
                                 param="dataset")
        return vectors_embedding(as_dataset(dataset))
    ck = load_checkpoint(checkpoint)
    return embed_dataset(ck, ck.fingerprint, dataset_for(ck, dataset), device=device, progress=progress)


def embed_sample(checkpoint, dataset=None, rows: np.ndarray | None = None, device: str = "auto",
                 progress: ProgressFn | None = None) -> Embedding:
    """The embedding of some dataset rows only (all rows when ``rows`` is None); encodes just those."""
    if checkpoint is None or rows is None:
        return embed(checkpoint, dataset, device, progress)
    ck = load_checkpoint(checkpoint)
    return embed_rows(ck, ck.fingerprint, dataset_for(ck, dataset), rows, device, progress)


def embedding_ready(checkpoint, dataset=None) -> bool:
    """Whether ``embed`` would only read its disk cache (or needs no model)."""
    from latentlab.analysis.embedding import embedding_cached

    if checkpoint is None:
        return True
    ck = load_checkpoint(checkpoint)
    return embedding_cached(ck.fingerprint, dataset_for(ck, dataset))


def project(checkpoint=None, dataset=None, method: str = "umap", dims: int = 2, seed: int = 0,
            progress: ProgressFn | None = None, **params) -> np.ndarray:
    """Project the latent means (or a dataset's own vectors, or an ``Embedding`` given as ``checkpoint``) to 2-D or
    3-D: (N, dims), cached."""
    if isinstance(checkpoint, Embedding):
        return project_embedding(checkpoint, method, dims, seed, progress=progress, **params)
    make_projector(method, n_components=dims, random_state=seed, **params)  # bad parameters fail before encoding
    emb = embed(checkpoint, dataset, progress=progress)
    return project_embedding(emb, method, dims, seed, progress=progress, **params)


def cluster(checkpoint=None, dataset=None, method: str = "kmeans", on: str = "latent", seed: int = 0,
            projection: dict | None = None, progress: ProgressFn | None = None, **params) -> ClusterResult:
    """Cluster latent means (``on="latent"``) or a projection of them (``on="projection"``).

    With no checkpoint, a dataset of vectors (precomputed embeddings) is clustered as it is. ``method="model"``
    takes the clusters of a model that clusters its codes (``LatentModel.n_clusters`` > 0): each item's most
    likely cluster under the model's soft assignments, scored on the chosen space. ``checkpoint`` may be an
    ``Embedding`` of ``dataset`` instead: its codes are clustered as they are.
    """
    if isinstance(checkpoint, Embedding):
        return cluster_embedding(checkpoint, as_dataset(dataset), method, on, seed, projection, progress=progress,
                                 **params)
    clusterer = make_clusterer(method, random_state=seed, **params)  # bad parameters fail before encoding
    ds, emb = _space_to_cluster(checkpoint, dataset, clusterer, progress)
    return cluster_embedding(emb, ds, method, on, seed, projection, progress=progress, **params)


def beside_kmeans(checkpoint, dataset=None, seed: int = 0, progress: ProgressFn | None = None) -> BesideKMeans:
    """A model that clusters its codes (such as dec or gmvae): its own clusters beside k-means with the same k
    on the same latent means, with both clusterings' scores and their agreement (the Clusters page's
    comparison; ``latentlab cluster CK --method model --beside-kmeans``)."""
    ck = load_checkpoint(checkpoint)
    ds, emb = _space_to_cluster(ck, dataset, make_clusterer(MODEL_METHOD), progress)
    return beside_kmeans_embedding(emb, ds, ck.model.n_clusters, seed, progress)


def explain_clusters(checkpoint=None, dataset=None, labels: np.ndarray | None = None, method: str = "kmeans",
                     on: str = "latent", space: str = "latent", max_halfspaces: int = DEFAULT_HALFSPACES,
                     oblique: bool = False, seed: int = 0, projection: dict | None = None,
                     progress: ProgressFn | None = None, **params) -> ClusterExplanation:
    """Describe a clustering by rules (``latentlab.analysis.clustering.cluster_rules``): IMM's threshold tree with one
    leaf per cluster (its rule per cluster, its k-means cost over the clustering's, its accuracy) and per cluster a
    polyhedron of at most ``max_halfspaces`` half-spaces (two-feature ones too with ``oblique``), with precision and
    recall. The clustering is ``labels`` (one per dataset row) when given, else ``cluster(...)`` with ``method``,
    ``on`` and ``params``. The rules name the latents (``space="latent"``), the dataset's own columns
    (``"features"``, a table or vectors) or the 2-D map's axes (``"map"``, the ``projection``, default UMAP).
    ``checkpoint`` may be an ``Embedding`` of ``dataset`` instead (then ``labels`` are required)."""
    if isinstance(checkpoint, Embedding) and labels is not None:
        return explain_embedding_clusters(checkpoint, as_dataset(dataset), np.asarray(labels), space, max_halfspaces,
                                          oblique, seed, projection=projection)
    if int(max_halfspaces) < 1:
        raise LatentLabError(f"`max_halfspaces` must be at least 1 (a description is an intersection of half-spaces), "
                             f"got {max_halfspaces}.", param="max_halfspaces", value=max_halfspaces)
    clusterer = None if labels is not None else make_clusterer(method, random_state=seed, **params)
    ds, emb = _space_to_cluster(checkpoint, dataset, clusterer, progress)
    if labels is None:
        labels = cluster_embedding(emb, ds, method, on, seed, projection, progress=progress, **params).labels
    labels = np.asarray(labels)
    if labels.shape != (len(ds),):
        raise LatentLabError(f"There are {labels.size:,} cluster labels for the {len(ds):,} items of '{ds.name}'; "
                             "give one per item.")
    return explain_embedding_clusters(emb, ds, labels, space, max_halfspaces, oblique, seed, projection=projection)


def _space_to_cluster(checkpoint, dataset, clusterer: Clusterer | None,
                      progress: ProgressFn | None) -> tuple[Dataset, Embedding]:
    """The dataset and embedding a clustering works on: a checkpoint's codes of it, or a dataset's own vectors
    (``clusterer``, when given, checks first that it can cluster the checkpoint's codes)."""
    if checkpoint is None:
        ds = as_dataset(dataset)
        return ds, embed(None, ds)
    ck = load_checkpoint(checkpoint)
    if clusterer is not None:
        clusterer.check_checkpoint(ck)  # a method that cannot cluster these codes fails before encoding
    ds = dataset_for(ck, dataset)
    return ds, embed_dataset(ck.model, ck.fingerprint, ds, progress=progress)


def search(dataset, query: str, k: int = 10) -> list[SearchHit]:
    """The ``k`` items of a text dataset (a name or a ``Dataset``) nearest in meaning to ``query``, best first:
    the query is embedded by the dataset's recorded encoder and compared by cosine similarity."""
    return search_texts(as_dataset(dataset), query, k)


# ---------------------------------------------------------------- comparing two models


def compare(a, b, dataset=None, n: int = DEFAULT_ITEMS, seed: int = 0, k: int = 10, anchors: int = 256):
    """How similar two latent spaces of the same items are (``latentlab.analysis.compare.similarity``): linear CKA, relative
    representations over ``anchors`` anchor items, ``k``-nearest-neighbour agreement and the latent-to-latent
    correlations. ``a`` and ``b`` are checkpoints (encoding ``dataset``, default their training sets) or
    datasets of vectors; both must cover the same items. A larger dataset is compared on a seeded sample of ``n``."""
    from latentlab.analysis.compare.sides import compare_sides, paired_sides

    if n < 3 or k < 1 or anchors < 1:
        raise LatentLabError(f"`n` must be at least 3, and `k` and `anchors` at least 1 (got {n}, {k} and {anchors}).",
                             param="n" if n < 3 else "k" if k < 1 else "anchors", also=("n", "k", "anchors"))
    side_a, side_b = paired_sides(a, b, dataset)
    rows = None if len(side_a.dataset) <= n else row_sample(len(side_a.dataset), n, seed)
    return compare_sides(side_a, side_b, rows, k, anchors, seed)


# ---------------------------------------------------------------- export


def export_onnx(checkpoint, out_dir) -> dict:
    """Write a checkpoint's model as ONNX into the new folder ``out_dir``: ``encoder.onnx`` (items (B, *item_shape)
    -> the code, or mean and logvar, (B, D)), ``decoder.onnx`` (codes (B, D) -> items as ``decode`` gives them; none
    for a model without a decoder) and ``export.json`` (inputs, outputs, preprocessing, hashes, and a model from
    outside its source); see ``latentlab.checkpoints.onnx_export``. Returns the description, with the written files
    under ``files``. Needs the onnx extra (``pip install 'latentlab[onnx]'``)."""
    from latentlab.checkpoints.onnx_export import export_checkpoint

    return export_checkpoint(checkpoint, out_dir)
