"""Encode a dataset with a model: posterior means, log-variances, per-dimension
KL to the prior and per-sample reconstruction error, in chunks, on the GPU
when there is one, cached on disk under the inputs' fingerprints.

Memory stays bounded whatever the dataset's size: items are read chunk by
chunk from their memory map (and the map's pages dropped again), converted to
float32 one chunk at a time, and the results written into preallocated
arrays. A score that needs ``n`` items encodes those ``n`` (``embed_rows``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from latentlab.core.array_cache import cached_arrays, is_cached
from latentlab.core.errors import LatentLabError
from latentlab.core.progress import ProgressFn, report
from latentlab.core.workspace import digest
from latentlab.data import Dataset
from latentlab.data.dataset import array_digest

if TYPE_CHECKING:
    from latentlab.models import LatentModel

CHUNK_ITEMS = 1024
STAGE = "encoding"


@dataclass
class Embedding:
    """Per-sample latent statistics of a dataset under a model.

    mean : (N, D) posterior means (the codes of a deterministic AE; the vectors themselves for a
        dataset of precomputed embeddings)
    logvar : (N, D) posterior log-variances, or None
    kl : (N, D) KL(q(z_d|x) || p(z_d)) per dimension to the model's prior (``LatentModel.kl_per_dim``), or None
    recon_error : (N,) mean squared error between an item and its reconstruction, or None (no model); NaN for a
        model with no decoder (``LatentModel.has_decoder``)
    key : cache key of the space (checkpoint x dataset); projections and clusterings are keyed by it
    index : (N,) the dataset rows these are of, ascending, or None when every row is here
    assign : (N, K) the model's soft cluster assignments (DEC, GMVAE), or None for a model that does not cluster
    """

    mean: np.ndarray
    logvar: np.ndarray | None
    kl: np.ndarray | None
    recon_error: np.ndarray | None
    key: str
    index: np.ndarray | None = None
    assign: np.ndarray | None = None

    @property
    def latent_dim(self) -> int:
        return int(self.mean.shape[1])

    @property
    def has_model(self) -> bool:
        return self.recon_error is not None

    @property
    def has_reconstructions(self) -> bool:
        """Whether the model behind these codes decoded them (a model with no decoder leaves NaN errors)."""
        return self.recon_error is not None and bool(len(self.recon_error)) and not np.isnan(self.recon_error[0])

    def kl_per_dim(self) -> np.ndarray | None:
        """Mean KL per dimension over the dataset: (D,)."""
        return None if self.kl is None else self.kl.mean(0)

    def activity(self) -> np.ndarray:
        """Per-dimension activity: mean KL for VAEs, variance of the means for AEs. (D,)"""
        kl = self.kl_per_dim()
        return kl if kl is not None else self.mean.var(0)

    def positions(self, rows: np.ndarray) -> np.ndarray:
        """Where dataset ``rows`` sit in these arrays (they must be covered)."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.index is None:
            return rows
        pos = np.searchsorted(self.index, rows)
        if np.any(pos >= len(self.index)) or np.any(self.index[np.minimum(pos, len(self.index) - 1)] != rows):
            raise LatentLabError("Some requested items were not encoded in this partial embedding.")
        return pos

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean, "logvar": self.logvar, "kl": self.kl, "recon_error": self.recon_error,
                "assign": self.assign}


def _chunks(n_rows: int, index: np.ndarray | None, size: int):
    """Row selectors of at most ``size`` rows: slices when reading everything, index arrays otherwise."""
    for start in range(0, n_rows, size):
        stop = min(start + size, n_rows)
        yield start, stop, (slice(start, stop) if index is None else index[start:stop])


def encode_dataset(model: LatentModel, dataset: Dataset, batch_size: int = CHUNK_ITEMS, device: str = "auto",
                   index: np.ndarray | None = None, progress: ProgressFn | None = None) -> dict:
    """Encode every item (or the rows in ``index``); returns a dict of arrays (see ``Embedding``).

    Reads ``batch_size`` items at a time; reports ``progress("encoding", done, total, "items")``.
    """
    import torch

    with torch.inference_mode():
        return _encode(model, dataset, batch_size, device, index, progress)


def _encode(model: LatentModel, dataset: Dataset, batch_size: int, device: str, index: np.ndarray | None,
            progress: ProgressFn | None) -> dict:
    import torch

    from latentlab.core.device import resolve_device, to_float

    progress = report(progress)
    dev = resolve_device(device)
    images = len(dataset.item_shape) == 3
    # The caller's model may be shared (the dashboard holds one per checkpoint for every session): encode
    # with a private copy, so the shared one never changes device, layout or mode under another user.
    # Channels-last convolutions run about 1.8x faster on CPU (and use tensor cores' layout on a GPU).
    model = copy.deepcopy(model).to(dev, memory_format=torch.channels_last if images else torch.preserve_format).eval()
    n = len(dataset) if index is None else len(index)
    D = model.config.latent_dim
    stochastic = model.stochastic
    mean = np.empty((n, D), np.float32)
    logvar = np.empty((n, D), np.float32) if stochastic else None
    kl = np.empty((n, D), np.float32) if stochastic else None
    errors = np.empty(n, np.float32)
    K = model.n_clusters
    assign = np.empty((n, K), np.float32) if K else None
    progress(STAGE, 0, n, "items")
    for start, stop, rows in _chunks(n, index, batch_size):
        # Items travel in their stored dtype (a bool image is a quarter of its float32 size) and become
        # float32 on the device, equal to ``Dataset.as_float``.
        x = to_float(torch.from_numpy(np.array(dataset.rows(rows), order="C")).to(dev, non_blocking=True))  # (B, *shape)
        if images:
            x = x.contiguous(memory_format=torch.channels_last)
        post = model.encode(x)
        if model.has_decoder:
            recon = model.decode(post.mean)  # (B, *shape)
            errors[start:stop] = ((recon - x) ** 2).flatten(1).mean(1).cpu().numpy()
        else:  # an encoder brought without its decoder: a model's codes, with no reconstruction to measure
            errors[start:stop] = np.nan
        mean[start:stop] = post.mean.cpu().numpy()
        if stochastic:
            logvar[start:stop] = post.logvar.cpu().numpy()
            kl[start:stop] = model.kl_per_dim(post).cpu().numpy()  # to the model's own prior
        if K:
            assign[start:stop] = model.assignments(post.mean).cpu().numpy()
        dataset.release_pages()
        progress(STAGE, stop, n, "items")
    return {"mean": mean, "logvar": logvar, "kl": kl, "recon_error": errors, "assign": assign}


def embedding_key(checkpoint_fingerprint: str, dataset: Dataset) -> str:
    return space_key(checkpoint_fingerprint, dataset.fingerprint)


def space_key(checkpoint_fingerprint: str, dataset_fingerprint: str) -> str:
    """The cache key of a checkpoint's embedding of a dataset, from their fingerprints."""
    return digest("embed", checkpoint_fingerprint, dataset_fingerprint)


def _from_arrays(arrays: dict, key: str, index: np.ndarray | None = None) -> Embedding:
    return Embedding(arrays["mean"], arrays.get("logvar"), arrays.get("kl"), arrays.get("recon_error"), key, index,
                     arrays.get("assign"))


def embedding_cached(checkpoint_fingerprint: str, dataset: Dataset) -> bool:
    return is_cached("embed", embedding_key(checkpoint_fingerprint, dataset))


def _model(model):
    """The model to encode with: ``model`` itself, or the model of a read ``Checkpoint`` given in its place (built
    only now, when there is something to encode: a cached embedding needs no model)."""
    return model.model if hasattr(model, "manifest") else model


def embed_dataset(model: LatentModel, checkpoint_fingerprint: str, dataset: Dataset, device: str = "auto",
                  progress: ProgressFn | None = None) -> Embedding:
    """The whole dataset's embedding, read from the cache or encoded with ``model`` (or a ``Checkpoint``'s)."""
    key = embedding_key(checkpoint_fingerprint, dataset)
    arrays = cached_arrays("embed", key, lambda: encode_dataset(_model(model), dataset, device=device,
                                                                progress=progress))
    return _from_arrays(arrays, key)


def embed_rows(model: LatentModel, checkpoint_fingerprint: str, dataset: Dataset, rows: np.ndarray,
               device: str = "auto", progress: ProgressFn | None = None) -> Embedding:
    """The embedding of some rows only (ascending): read from the whole set's cache when it exists,
    else encoded on their own and cached under the rows' digest."""
    rows = np.unique(np.asarray(rows, dtype=np.int64))
    key = embedding_key(checkpoint_fingerprint, dataset)
    if len(rows) == len(dataset) or is_cached("embed", key):
        full = embed_dataset(model, checkpoint_fingerprint, dataset, device, progress)
        if len(rows) == len(dataset):
            return full
        arrays = {k: None if v is None else v[rows] for k, v in full.to_arrays().items()}
        return _from_arrays(arrays, key, rows)
    rows_key = digest(key, "rows", array_digest(rows))
    arrays = cached_arrays("embed-rows", rows_key,
                           lambda: encode_dataset(_model(model), dataset, device=device, index=rows, progress=progress))
    return _from_arrays(arrays, key, rows)


def vectors_embedding(dataset: Dataset) -> Embedding:
    """A dataset of vectors (precomputed embeddings, tables) taken as its own latent space, with no model."""
    if len(dataset.item_shape) != 1:
        raise LatentLabError(f"Dataset '{dataset.name}' holds {dataset.kind} items of shape {dataset.item_shape}; "
                             "without a checkpoint only vector datasets (embeddings, tables) can be mapped. Pick a checkpoint.")
    return Embedding(np.asarray(dataset.x, dtype=np.float32), None, None, None, digest("vectors", dataset.fingerprint))


def require_whole(emb: Embedding) -> None:
    """Maps and clusterings are of every item: a sample's embedding (``embed_rows``) is refused in one sentence."""
    if emb.index is not None:
        raise LatentLabError("Maps and clusterings need the whole dataset's embedding, not a sample of it.")
