"""Encode a dataset with a model: posterior means, log-variances, per-dimension
KL to the prior and per-sample reconstruction error, in batches, on the GPU
when there is one, cached on disk under the inputs' fingerprints."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from latentlab.cache import cached_arrays
from latentlab.data import Dataset
from latentlab.device import resolve_device
from latentlab.models import LatentModel, kl_per_dim
from latentlab.workspace import digest


@dataclass
class Embedding:
    """Per-sample latent statistics of a dataset under a model.

    mean : (N, D) posterior means (the codes of a deterministic AE)
    logvar : (N, D) posterior log-variances, or None
    kl : (N, D) KL(q(z_d|x) || N(0,1)) per dimension, or None
    recon_error : (N,) mean squared error between an item and its reconstruction
    key : cache key of this embedding (checkpoint x dataset)
    """

    mean: np.ndarray
    logvar: np.ndarray | None
    kl: np.ndarray | None
    recon_error: np.ndarray
    key: str

    @property
    def latent_dim(self) -> int:
        return int(self.mean.shape[1])

    def kl_per_dim(self) -> np.ndarray | None:
        """Mean KL per dimension over the dataset: (D,)."""
        return None if self.kl is None else self.kl.mean(0)

    def activity(self) -> np.ndarray:
        """Per-dimension activity: mean KL for VAEs, variance of the means for AEs. (D,)"""
        kl = self.kl_per_dim()
        return kl if kl is not None else self.mean.var(0)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean, "logvar": self.logvar, "kl": self.kl, "recon_error": self.recon_error}


@torch.no_grad()
def encode_dataset(model: LatentModel, dataset: Dataset, batch_size: int = 512, device: str = "auto") -> dict:
    """Encode every item; returns a dict of arrays (see ``Embedding``)."""
    dev = resolve_device(device)
    model = model.to(dev).eval()
    means, logvars, kls, errors = [], [], [], []
    for start in range(0, len(dataset), batch_size):
        x = torch.from_numpy(dataset.as_float(slice(start, start + batch_size))).to(dev)  # (B, *shape)
        post = model.encode(x)
        recon = model.decode(post.mean)  # (B, *shape)
        errors.append(((recon - x) ** 2).flatten(1).mean(1).cpu())
        means.append(post.mean.cpu())
        if post.logvar is not None:
            logvars.append(post.logvar.cpu())
            kls.append(kl_per_dim(post).cpu())
    model.to("cpu")
    cat = lambda parts: torch.cat(parts).numpy().astype(np.float32) if parts else None  # noqa: E731
    return {"mean": cat(means), "logvar": cat(logvars), "kl": cat(kls), "recon_error": cat(errors)}


def embedding_key(checkpoint_fingerprint: str, dataset: Dataset) -> str:
    return digest("embed", checkpoint_fingerprint, dataset.fingerprint)


def embed_dataset(model: LatentModel, checkpoint_fingerprint: str, dataset: Dataset, device: str = "auto") -> Embedding:
    key = embedding_key(checkpoint_fingerprint, dataset)
    arrays = cached_arrays("embed", key, lambda: encode_dataset(model, dataset, device=device))
    return Embedding(arrays["mean"], arrays.get("logvar"), arrays.get("kl"), arrays["recon_error"], key)
