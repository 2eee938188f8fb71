"""Maps of an ``Embedding``: its latent means projected to 2-D or 3-D, cached under the embedding's key and
the projector's parameters, and a quick principal-components preview to draw while a projection is made."""

from __future__ import annotations

import numpy as np

from latentlab.analysis.embedding import Embedding, require_whole
from latentlab.analysis.projection import Projector, make_projector
from latentlab.core.array_cache import cached_arrays, is_cached
from latentlab.core.progress import ProgressFn
from latentlab.core.workspace import digest


def _projection(emb: Embedding, method: str, dims: int, seed: int, params: dict) -> tuple[Projector, str]:
    return space_projection(emb.key, method, dims, seed, params)


def space_projection(space_key: str, method: str, dims: int, seed: int, params: dict) -> tuple[Projector, str]:
    """The projector and the cache key of a map of the space whose embedding key is ``space_key``."""
    projector = make_projector(method, n_components=dims, random_state=seed, **params)
    return projector, digest("project", space_key, method, projector.get_params())


def project_embedding(emb: Embedding, method: str = "umap", dims: int = 2, seed: int = 0,
                      progress: ProgressFn | None = None, **params) -> np.ndarray:
    """The latent means of a whole dataset's embedding projected with ``method``: (N, dims), cached."""
    require_whole(emb)
    projector, key = _projection(emb, method, dims, seed, params)
    return cached_arrays("project", key, lambda: {"xy": projector.fit_transform(emb.mean, progress=progress)})["xy"]


def projection_key(emb: Embedding, method: str = "umap", dims: int = 2, seed: int = 0, **params) -> str:
    """The cache key of ``project_embedding`` with these arguments (defaults filled in)."""
    return _projection(emb, method, dims, seed, params)[1]


def projection_cached(emb: Embedding, method: str = "umap", dims: int = 2, seed: int = 0, **params) -> bool:
    """Whether ``project_embedding`` with these arguments would only read the disk cache."""
    return is_cached("project", projection_key(emb, method, dims, seed, **params))


def preview_projection(emb: Embedding, dims: int = 2) -> np.ndarray:
    """A first view to draw while a projection is being made: the latent means' leading principal
    components (milliseconds at a million points; see ``latentlab.analysis.projection.preview``)."""
    from latentlab.analysis.projection.preview import principal_components

    require_whole(emb)
    return principal_components(emb.mean, dims).astype(np.float32)
