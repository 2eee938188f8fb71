"""Draw codes from a model's prior (the whole prior, or one component of a mixture prior) and decode
them: new items the model would generate, with a seed so that a draw can be repeated.

A VAE's prior is N(0, I); a GMVAE's is its mixture, whose components can be sampled one at a time. A
model with no prior (an autoencoder, a quantized or a sparse autoencoder) has nothing to sample from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from PIL import Image

from latentlab.analysis.decoding.traversal import checked_component, decode_latents
from latentlab.core.errors import LatentLabError
from latentlab.core.render import cell_scale, image_grid
from latentlab.models import MODELS, LatentModel

MAX_SAMPLES = 1024


def sample_codes(model: LatentModel, model_name: str, n: int = 16, component: int | None = None,
                 seed: int = 0) -> np.ndarray:
    """``n`` codes (n, D) from the prior of ``model`` (registry name ``model_name``, for messages)."""
    if not 1 <= int(n) <= MAX_SAMPLES:
        raise LatentLabError(f"`n` {n} is out of range; draw 1 to {MAX_SAMPLES} samples.", param="n", value=n)
    if model.prior_frame() is None:
        with_prior = ", ".join(name for name, cls in MODELS.items() if cls.stochastic)
        raise LatentLabError(f"A {model_name} model has no prior to sample from; sample from a checkpoint of a model "
                             f"with one ({with_prior}), or traverse this one's codes instead.")
    if component is not None:
        component = checked_component(model, model_name, component, "leave out `component` to sample from the whole prior")
    generator = torch.Generator().manual_seed(int(seed))
    z = model.sample_prior(int(n), component, generator)  # (n, D)
    return z.numpy().astype(np.float32)


def sample_items(model: LatentModel, model_name: str, n: int = 16, component: int | None = None,
                 seed: int = 0) -> np.ndarray:
    """Decoded samples (n, *input_shape) of ``sample_codes``."""
    return decode_latents(model, sample_codes(model, model_name, n, component, seed))


def sample_rows(items: np.ndarray, feature_names: list[str]) -> pd.DataFrame:
    """Tabular samples (n, F) as a table, one column per feature."""
    return pd.DataFrame(items.reshape(len(items), -1), columns=feature_names)


def sample_picture(items: np.ndarray, columns: int | None = None, pad: int = 2, background: int = 40):
    """Image samples (n, ch, H, W) tiled into one picture (a PIL image), ``columns`` wide (by default
    about square); the cells after the last sample are left in the background colour."""
    n, (h, w) = len(items), items.shape[-2:]
    C = min(n, columns or int(np.ceil(np.sqrt(n))))
    R = int(np.ceil(n / C))
    padded = np.zeros((R * C, *items.shape[1:]), items.dtype)
    padded[:n] = items
    picture = np.array(image_grid(padded.reshape(R, C, *items.shape[1:]), pad=pad, background=background))
    s = cell_scale(h)
    for cell in range(n, R * C):  # blank, not a decoded all-zero item
        y, x = pad + (cell // C) * (h * s + pad), pad + (cell % C) * (w * s + pad)
        picture[y : y + h * s, x : x + w * s] = background
    return Image.fromarray(picture)
