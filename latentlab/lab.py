"""The facade the command line, the dashboard, the notebook widgets and Python users share::

    import latentlab as ll
    ds = ll.load_dataset("digits")
    emb = ll.embed("digits-vae", ds)           # a checkpoint's codes of a dataset, cached
    xy = ll.project(emb, method="pca")         # the verbs take a checkpoint or an embedding
    clusters = ll.cluster(emb, ds, method="kmeans")

``__all__`` is the Python API, one name per concept: the types, the verbs and the registries. Each name is
imported from the module that defines it on first use (PEP 562), so ``import latentlab`` and ``import
latentlab.lab`` load no torch and take a fraction of a second: the dashboard's first view and ``latentlab --help``
stand on that.

``FACES`` lists what the dashboard, the command line and the widgets use beyond the API (cache keys, constants,
pieces of the pages' views); they resolve the same way (``lab.projection_key``) but are not part of the API
reference, and may change with the faces.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# name -> "module:attribute" (attribute defaults to the name). The API first, then what only the faces use.
_API = {
    # types
    "LatentLabError": "latentlab.core.errors",
    "Dataset": "latentlab.data.dataset",
    "Checkpoint": "latentlab.checkpoints.format",
    "TrainConfig": "latentlab.training.trainer",
    "Embedding": "latentlab.analysis.embedding",
    "Traversal": "latentlab.analysis.decoding.traversal",
    "Direction": "latentlab.analysis.decoding.directions",
    "ClusterResult": "latentlab.analysis.clustering.embedding_clusters",
    # datasets and checkpoints
    "load_dataset": "latentlab.data.registry",
    "list_datasets": "latentlab.data.registry",
    "load_checkpoint": "latentlab.checkpoints.resolve",
    "list_checkpoints": "latentlab.checkpoints.manifests",
    "add_checkpoint": "latentlab.checkpoints.add",
    "export_onnx": "latentlab.verbs",
    "save_codes_dataset": "latentlab.analysis.codes_datasets",
    # training
    "train": "latentlab.training.runs",
    "trainable_models": "latentlab.verbs",
    "capabilities": "latentlab.verbs",
    "dynamics": "latentlab.analysis.dynamics",
    # encoding, maps, clusters, scores, comparisons, text
    "embed": "latentlab.verbs",
    "project": "latentlab.verbs",
    "cluster": "latentlab.verbs",
    "explain_clusters": "latentlab.verbs",
    "score": "latentlab.verbs",
    "diagnose": "latentlab.verbs",
    "compare": "latentlab.verbs",
    "search": "latentlab.verbs",
    # decoding: traversals, interpolations, samples, directions, interventions
    "traverse": "latentlab.analysis.decoding.checkpoint",
    "interpolate": "latentlab.analysis.decoding.checkpoint",
    "sample": "latentlab.analysis.decoding.checkpoint",
    "direction": "latentlab.analysis.decoding.checkpoint",
    "intervene": "latentlab.analysis.decoding.checkpoint",
    # the registries the command line and the dashboard offer choices from
    "MODELS": "latentlab.models",
    "METRICS": "latentlab.analysis.metrics",
    "PROJECTORS": "latentlab.analysis.projection",
    "CLUSTERERS": "latentlab.analysis.clustering",
}

FACES = {
    # resolving what a face is given
    "as_dataset": "latentlab.checkpoints.resolve",
    "dataset_for": "latentlab.checkpoints.resolve",
    "read_checkpoint": "latentlab.checkpoints.format",
    "resolve_checkpoint": "latentlab.checkpoints.format",
    "import_checkpoint": "latentlab.checkpoints.format",
    "import_dataset": "latentlab.data.registry",
    "import_signal_dataset": "latentlab.data.registry",
    "array_digest": "latentlab.data.dataset",
    "installed_model_classes": "latentlab.verbs",
    "model_settings": "latentlab.verbs",
    "sample_embedding": "latentlab.verbs",
    # the same verbs at the embedding level (``embed(..., rows=)``, ``project(emb)``, ``cluster(emb, ds)``, ...)
    "embed_sample": "latentlab.verbs",
    "embedding_ready": "latentlab.verbs",
    "embedding_key": "latentlab.analysis.embedding",
    "project_embedding": "latentlab.analysis.projection.embedding_maps",
    "projection_key": "latentlab.analysis.projection.embedding_maps",
    "projection_cached": "latentlab.analysis.projection.embedding_maps",
    "preview_projection": "latentlab.analysis.projection.embedding_maps",
    "seed_shipped_views": "latentlab.analysis.shipped_views:seed",
    "cluster_embedding": "latentlab.analysis.clustering.embedding_clusters",
    "beside_kmeans": "latentlab.verbs",
    "BesideKMeans": "latentlab.analysis.clustering.model",
    "MODEL_METHOD": "latentlab.analysis.clustering",
    "CONFIDENCE": "latentlab.analysis.projection.map_points",
    "explain_embedding_clusters": "latentlab.analysis.clustering.embedding_rules",
    "ClusterExplanation": "latentlab.analysis.clustering.cluster_rules",
    "DEFAULT_HALFSPACES": "latentlab.analysis.clustering.polyhedra",
    "threshold_number": "latentlab.analysis.clustering.threshold_tree:number",
    "centroids": "latentlab.analysis.clustering",
    "distinguishing_dims": "latentlab.analysis.clustering",
    # scores
    "score_embedding": "latentlab.analysis.metrics.scoring",
    "diagnose_embedding": "latentlab.analysis.metrics.scoring",
    "scores_cached": "latentlab.analysis.metrics.scoring",
    "read_scores": "latentlab.analysis.metrics.scoring",
    "DEFAULT_ITEMS": "latentlab.analysis.metrics.scoring",
    "SCORING_STAGE": "latentlab.analysis.metrics.scoring:STAGE",
    "factor_free_names": "latentlab.analysis.metrics",
    "eta_now": "latentlab.analysis.metrics.cost",
    "codebook_usage": "latentlab.analysis.metrics.diagnostics",
    "metric_label": "latentlab.analysis.metrics.labels",
    "score_label": "latentlab.analysis.metrics.labels",
    "HEADLINE": "latentlab.analysis.metrics.labels",
    "OTHER_LABELS": "latentlab.analysis.metrics.labels",
    "SCORES": "latentlab.analysis.metrics.labels",
    "SPREAD": "latentlab.analysis.metrics.labels",
    # traversals, samples and signal curves as pictures and tables
    "base_latent": "latentlab.analysis.decoding.traversal",
    "grid_values": "latentlab.analysis.decoding.traversal",
    "latent_frame": "latentlab.analysis.decoding.traversal",
    "decode_latents": "latentlab.analysis.decoding.traversal",
    "traversal_grid": "latentlab.analysis.decoding.traversal",
    "interpolation": "latentlab.analysis.decoding.traversal",
    "component_count": "latentlab.analysis.decoding.traversal",
    "MAX_SAMPLES": "latentlab.analysis.decoding.sampling",
    "sample_picture": "latentlab.analysis.decoding.sampling",
    "sample_rows": "latentlab.analysis.decoding.sampling",
    "channel_names": "latentlab.analysis.decoding.curves",
    "curves_frame": "latentlab.analysis.decoding.curves",
    "signal_times": "latentlab.analysis.decoding.curves",
    "traversal_curves": "latentlab.analysis.decoding.curves",
    "image_grid": "latentlab.core.render",
    "gif_bytes": "latentlab.core.render",
    "single_image": "latentlab.core.render",
    # what the map shows about points
    "colour_options": "latentlab.analysis.projection.map_points",
    "colour_values": "latentlab.analysis.projection.map_points",
    "nearest_neighbours": "latentlab.analysis.projection.map_points",
    "activity_order": "latentlab.analysis.projection.map_points",
    "passive_dims": "latentlab.analysis.projection.map_points",
    "PASSIVE_KL": "latentlab.analysis.projection.map_points",
    "suggested_metric": "latentlab.analysis.projection.map_points",
    "reconstruct": "latentlab.analysis.projection.map_points",
    "selection_frame": "latentlab.analysis.projection.map_points",
    "summarise_selection": "latentlab.analysis.projection.map_points",
    "label_anchors": "latentlab.analysis.projection.labels",
    # comparing two spaces; codes as datasets
    "procrustes": "latentlab.analysis.compare.similarity",
    "Comparison": "latentlab.analysis.compare.similarity",
    "better_direction": "latentlab.analysis.compare.similarity",
    "same_items": "latentlab.analysis.compare.sides",
    "same_items_as_listed": "latentlab.analysis.compare.sides",
    "codes_dataset_name": "latentlab.analysis.codes_datasets:default_name",
    "items_of": "latentlab.analysis.codes_datasets",
    # text
    "SearchHit": "latentlab.analysis.text.search",
    "nearest_texts": "latentlab.analysis.text.search",
    "cluster_keywords": "latentlab.analysis.text.keywords",
    "text_columns": "latentlab.data.texts",
    "text_extra_installed": "latentlab.data.text_encoders",
    "TEXT_TABLE_SUFFIXES": "latentlab.data.texts",
    # files a face accepts
    "TABLE_SUFFIXES": "latentlab.data.readers:SUFFIXES",
    "ARRAY_SUFFIXES": "latentlab.data.signal_import",
    "SIGNAL_SUFFIXES": "latentlab.data.signal_import",
    "peek_columns": "latentlab.data.readers",
    # sparse-autoencoder-style views of features
    "FEATURE_RANKINGS": "latentlab.analysis.sae_features:RANKINGS",
    "FeatureStats": "latentlab.analysis.sae_features",
    "LabelSplit": "latentlab.analysis.sae_features",
    "feature_stats": "latentlab.analysis.sae_features",
    "label_split": "latentlab.analysis.sae_features",
    "activation_histogram": "latentlab.analysis.sae_features",
    "feature_table": "latentlab.analysis.sae_features",
    "rank_features": "latentlab.analysis.sae_features",
    "top_activating": "latentlab.analysis.sae_features",
    "training_dead": "latentlab.analysis.sae_features",
    # a run's snapshots
    "DynamicsResult": "latentlab.analysis.dynamics:Dynamics",
    "runs_with_snapshots": "latentlab.analysis.dynamics",
}

__all__ = list(_API)

if TYPE_CHECKING:  # for readers and documentation tools: the API's names where they are defined
    from latentlab.analysis.clustering import CLUSTERERS
    from latentlab.analysis.clustering.embedding_clusters import ClusterResult
    from latentlab.analysis.codes_datasets import save_codes_dataset
    from latentlab.analysis.decoding.checkpoint import direction, interpolate, intervene, sample, traverse
    from latentlab.analysis.decoding.directions import Direction
    from latentlab.analysis.decoding.traversal import Traversal
    from latentlab.analysis.dynamics import dynamics
    from latentlab.analysis.embedding import Embedding
    from latentlab.analysis.metrics import METRICS
    from latentlab.analysis.projection import PROJECTORS
    from latentlab.checkpoints.add import add_checkpoint
    from latentlab.checkpoints.format import Checkpoint
    from latentlab.checkpoints.manifests import list_checkpoints
    from latentlab.checkpoints.resolve import load_checkpoint
    from latentlab.core.errors import LatentLabError
    from latentlab.data.dataset import Dataset
    from latentlab.data.registry import list_datasets, load_dataset
    from latentlab.models import MODELS
    from latentlab.training.runs import train
    from latentlab.training.trainer import TrainConfig
    from latentlab.verbs import (capabilities, cluster, compare, diagnose, embed, explain_clusters, export_onnx,
                                 project, score, search, trainable_models)


def where(name: str) -> tuple[str, str]:
    """(module, attribute) a facade name is defined by; KeyError for a name the facade does not have."""
    module, _, attr = (_API.get(name) or FACES[name]).partition(":")
    return module, attr or name


def __getattr__(name: str):
    try:
        module, attr = where(name)
    except KeyError:
        raise AttributeError(f"module 'latentlab.lab' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__():
    return sorted({*globals(), *_API, *FACES})
