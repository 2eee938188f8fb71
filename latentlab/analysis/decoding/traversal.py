"""Latent traversals (Higgins et al. 2017): where one starts (``base_latent``), the values each latent
takes (``grid_values``, in the model's own units, ``latent_frame``), the decoded grid; single-latent
decoding, and interpolation between two codes, linear or spherical (slerp; White 2016, arXiv:1609.04468)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from latentlab.core.errors import LatentLabError
from latentlab.models import LatentModel

if TYPE_CHECKING:
    from latentlab.analysis.decoding.directions import Direction
    from latentlab.analysis.embedding import Embedding
    from latentlab.checkpoints.format import Checkpoint


@torch.no_grad()
def decode_latents(model: LatentModel, z: np.ndarray) -> np.ndarray:
    """Decode latent vectors (N, D) -> items in data space (N, *input_shape)."""
    model.eval()
    z_t = torch.as_tensor(np.atleast_2d(z), dtype=torch.float32)
    return model.decode(z_t).numpy()


def traversal_values(steps: int = 9, span: float = 3.0, center: np.ndarray | None = None,
                     scale: np.ndarray | None = None, dims: list[int] | None = None) -> np.ndarray:
    """Values per traversed dimension: (len(dims), steps).

    In prior units: ``center + scale * linspace(-span, span, steps)``, with the
    prior's centre 0 and scale 1 for VAEs, or the empirical mean and standard
    deviation of the codes for deterministic autoencoders.
    """
    grid = np.linspace(-span, span, steps, dtype=np.float32)
    dims = dims or [0]
    c = np.zeros(len(dims), np.float32) if center is None else np.asarray(center, np.float32)[dims]
    s = np.ones(len(dims), np.float32) if scale is None else np.asarray(scale, np.float32)[dims]
    return c[:, None] + s[:, None] * grid[None, :]


def traversal_grid(model: LatentModel, base: np.ndarray, dims: list[int], values: np.ndarray) -> np.ndarray:
    """Decode a traversal grid: rows are dims, columns are values.

    Parameters
    ----------
    base : (D,) latent to start from
    dims : R dimensions to vary
    values : (R, C) value of dimension ``dims[r]`` in column ``c``

    Returns
    -------
    (R, C, *input_shape) decoded items
    """
    base = np.asarray(base, np.float32)
    R, C = values.shape
    z = np.repeat(base[None, None, :], R, axis=0).repeat(C, axis=1)  # (R, C, D)
    for r, d in enumerate(dims):
        z[r, :, d] = values[r]
    out = decode_latents(model, z.reshape(R * C, -1))
    return out.reshape(R, C, *out.shape[1:])


def slerp(z0: np.ndarray, z1: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation: (T, D); falls back to linear for parallel codes."""
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    cos = np.clip(np.dot(z0, z1) / max(n0 * n1, 1e-12), -1.0, 1.0)
    omega = np.arccos(cos)
    if omega < 1e-6:
        return lerp(z0, z1, t)
    so = np.sin(omega)
    return (np.sin((1 - t) * omega)[:, None] * z0 + np.sin(t * omega)[:, None] * z1) / so


def lerp(z0: np.ndarray, z1: np.ndarray, t: np.ndarray) -> np.ndarray:
    return (1 - t)[:, None] * z0[None, :] + t[:, None] * z1[None, :]


def interpolation(model: LatentModel, z0: np.ndarray, z1: np.ndarray, steps: int = 8, spherical: bool = False) -> np.ndarray:
    """Decode ``steps`` codes from z0 to z1 inclusive: (steps, *input_shape)."""
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)
    z = slerp(z0, z1, t) if spherical else lerp(z0, z1, t)
    return decode_latents(model, z.astype(np.float32))


@dataclass
class Traversal:
    items: np.ndarray  # (R, C, *item_shape)
    dims: list[int]  # the latent of each row; empty for a traversal along a direction (one row)
    values: np.ndarray  # (R, C) the latent's value, or the travel along the direction
    base: np.ndarray  # (D,)
    direction: "Direction | None" = None

    def to_table(self, feature_names: list[str]) -> pd.DataFrame:
        """Long table for tabular data: one row per (dim, step), one column per feature."""
        R, C = self.values.shape
        rows = []
        for r in range(R):
            for c in range(C):
                row = {"dim": self.dims[r]} if self.dims else {"direction": self.direction.name}
                rows.append({**row, "value": float(self.values[r, c]),
                             **dict(zip(feature_names, map(float, self.items[r, c].reshape(-1))))})
        return pd.DataFrame(rows)


def latent_frame(ck: Checkpoint, emb: Embedding) -> tuple[np.ndarray, np.ndarray]:
    """Centre and scale of 'prior units', as the model defines them (``LatentModel.prior_frame``): the
    prior for VAEs, the codes' own mean and standard deviation for a model without a prior."""
    frame = ck.model.prior_frame()
    if frame is not None:
        return frame
    return emb.mean.mean(0), emb.mean.std(0) + 1e-6


def grid_values(ck: Checkpoint, emb: Embedding, dims: list[int], steps: int = 9, span: float = 3.0) -> np.ndarray:
    """The values each of ``dims`` takes across a traversal: (len(dims), C).

    A quantized model's latents step through their own codebook values (C is the codebook's size, and
    ``steps`` and ``span`` do not apply); any other model's go from -span to +span in prior units
    (``latent_frame``) in ``steps`` steps.
    """
    codebook = ck.model.codebook_values()
    if codebook is not None:
        return codebook[list(dims)]
    center, scale = latent_frame(ck, emb)
    return traversal_values(steps, span, center, scale, dims)


def base_latent(ck: Checkpoint, emb: Embedding, index: int | None, n_items: int | None = None,
                component: int | None = None) -> np.ndarray:
    """The code a traversal starts from: item ``index``'s, component ``component``'s mean (a mixture
    prior), else the centre of the latent frame (for a quantized model, the code of the item nearest the
    codes' mean: its decoder has only seen codebook values, and the mean falls between them)."""
    if component is not None:
        return component_mean(ck, component)
    if index is None:
        if ck.model.codebook_values() is not None:
            codes = emb.mean
            return codes[np.argmin(((codes - codes.mean(0)) ** 2).sum(1))].astype(np.float32)
        return latent_frame(ck, emb)[0]
    n_items = len(emb.mean) if n_items is None else n_items
    if not 0 <= index < n_items:
        raise LatentLabError(f"`index` {index} is out of range; the dataset has {n_items} items (0..{n_items - 1}).",
                             param="index", value=index)
    return emb.mean[emb.positions([index])[0]]


def component_count(model: LatentModel) -> int:
    """How many components the model's prior has to pick from (0 when it is not a mixture)."""
    components = model.prior_components()
    return 0 if components is None else int(components[0].shape[0])


def checked_component(model: LatentModel, model_name: str, component: int, instead: str) -> int:
    """``component`` as an index into the model's mixture prior, or a user error (``instead``: what to do
    when the prior is not a mixture)."""
    K = component_count(model)
    if K == 0:
        raise LatentLabError(f"A {model_name} model's prior has no components; {instead}.", param="component",
                             value=component, also=("index",))
    if not 0 <= int(component) < K:
        raise LatentLabError(f"`component` {component} is out of range; this prior has components 0..{K - 1}.",
                             param="component", value=component)
    return int(component)


def component_mean(ck: Checkpoint, component: int) -> np.ndarray:
    """The mean (D,) of component ``component`` of a checkpoint's mixture prior."""
    component = checked_component(ck.model, ck.model_name, component, "start from `index` or the prior mean")
    return ck.model.prior_components()[0][component]
