"""Latent traversals (Higgins et al. 2017), single-latent decoding, and
interpolation between two codes, linear or spherical (slerp; White 2016,
arXiv:1609.04468)."""

from __future__ import annotations

import numpy as np
import torch

from latentlab.models import LatentModel


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
