"""Decoding a checkpoint's codes, from a checkpoint and a dataset as the facade takes them: samples from its prior,
traversals (each latent over a grid, or along a direction), interpolations between two items, and interventions
measured across items. ``latentlab.lab`` re-exports ``sample``, ``direction``, ``traverse``, ``intervene`` and
``interpolate``; the arrays behind them come from ``traversal``, ``directions``, ``interventions`` and ``sampling``.
"""

from __future__ import annotations

import numpy as np

from latentlab.analysis.decoding.directions import Direction, make_direction
from latentlab.analysis.embedding import Embedding, embed_dataset, embed_rows
from latentlab.analysis.decoding.interventions import Interventions
from latentlab.analysis.decoding.interventions import intervene as intervene_codes
from latentlab.analysis.decoding.traversal import (Traversal, base_latent, decode_latents, grid_values, interpolation,
                                          latent_frame, traversal_grid)
from latentlab.core.errors import LatentLabError
from latentlab.core.rows import row_sample
from latentlab.data import Dataset
from latentlab.checkpoints.sources import capabilities
from latentlab.checkpoints.format import Checkpoint
from latentlab.checkpoints.resolve import dataset_for, load_checkpoint


def _able(checkpoint, view: str) -> Checkpoint:
    """The checkpoint, once its model offers ``view`` (a model brought without a decoder cannot traverse)."""
    ck = load_checkpoint(checkpoint)
    why = capabilities(ck.model).missing.get(view)
    if why is not None:
        raise LatentLabError(f"Checkpoint '{ck.name}' offers no {view}: {why}.")
    return ck


def sample(checkpoint, n: int = 16, component: int | None = None, seed: int = 0) -> np.ndarray:
    """Decode ``n`` codes drawn from the checkpoint's prior (N(0, I) for a VAE, the mixture for a GMVAE,
    or only its component ``component``), seeded: (n, *item_shape). A model with no prior is an error."""
    from latentlab.analysis.decoding.sampling import sample_items

    ck = _able(checkpoint, "sampling")
    return sample_items(ck.model, ck.model_name, n, component, seed)


FRAME_SAMPLE = 10_000  # items whose codes give an autoencoder's latent frame on a large dataset


def _frame_embedding(ck: Checkpoint, ds: Dataset, items: list[int | None]) -> Embedding:
    """Codes enough for traversals: every item of a small dataset, else a seeded sample plus ``items``."""
    if len(ds) <= FRAME_SAMPLE:
        return embed_dataset(ck.model, ck.fingerprint, ds)
    wanted = [i for i in items if i is not None and 0 <= i < len(ds)]
    rows = np.union1d(row_sample(len(ds), FRAME_SAMPLE, 0), np.asarray(wanted, np.int64))
    return embed_rows(ck.model, ck.fingerprint, ds, rows)


def direction(checkpoint, spec: str, dataset=None, groups: np.ndarray | None = None, seed: int = 0) -> Direction:
    """The direction ``spec`` (``centroid:A-B``, ``pca:K``, ``probe:label=V``, ``probe:FACTOR``; see
    ``latentlab.analysis.decoding.directions``) in a checkpoint's latent space, fitted on its codes of ``dataset`` (a seeded
    sample of a large one). ``groups`` (one per dataset row), when given, are the clusters a centroid path
    joins instead of the labels."""
    ck = load_checkpoint(checkpoint)
    return _fit_direction(ck, spec, dataset_for(ck, dataset), groups, seed)


def _fit_direction(ck: Checkpoint, spec: str, ds: Dataset, groups: np.ndarray | None = None, seed: int = 0,
                   emb: Embedding | None = None) -> Direction:
    """Fitted on ``emb`` (codes of ``ds``, all or a sample) when given, else on ``_frame_embedding``'s."""
    emb = _frame_embedding(ck, ds, []) if emb is None else emb
    rows = np.arange(len(ds)) if emb.index is None else emb.index
    labels = None if ds.labels is None else np.asarray(ds.labels)[rows]
    factors = None if ds.factors is None else ds.factors.iloc[rows].reset_index(drop=True)
    if groups is not None:
        groups = np.asarray(groups)
        if len(groups) != len(ds):
            raise LatentLabError(f"There are {len(groups):,} cluster labels for {len(ds):,} items; give one per item.")
        groups = groups[rows]
    return make_direction(spec, emb.mean, labels, ds.label_name or "label", factors, groups, seed)


def traverse(checkpoint, dataset=None, index: int | None = None, dims: list[int] | None = None,
             steps: int = 9, span: float = 3.0, direction: str | Direction | None = None,
             component: int | None = None) -> Traversal:
    """Decode a grid varying each of ``dims`` (rows) over ``steps`` values (columns); a quantized model's
    rows step through each latent's codebook instead (see ``grid_values``). With ``direction`` (a spec or a
    ``Direction``), one row along it instead: through the base point, or centroid to centroid. The base
    point is item ``index``'s code, or component ``component``'s mean (a mixture prior), else the prior mean."""
    ck = _able(checkpoint, "traversals")
    ds = dataset_for(ck, dataset)
    if index is not None and component is not None:
        raise LatentLabError("Give `index` or `component` as the base point, not both.", param="component",
                             also=("index",))
    if steps < 2 or span <= 0:
        raise LatentLabError(f"`steps` must be at least 2 and `span` positive (got {steps} and {span}).",
                             param="steps" if steps < 2 else "span", also=("steps", "span"))
    emb = _frame_embedding(ck, ds, [index])
    if direction is not None:
        along = direction if isinstance(direction, Direction) else _fit_direction(ck, direction, ds, emb=emb)
        base = base_latent(ck, emb, index, len(ds), component)
        codes, travel = along.path(base, steps, span)
        return Traversal(decode_latents(ck.model, codes)[None], [], travel[None], base, along)
    D = ck.latent_dim
    dims = list(range(D)) if dims is None else list(dims)
    bad = [d for d in dims if not 0 <= d < D]
    if bad or not dims:
        raise LatentLabError(f"`dims` {bad or dims} out of range; this checkpoint has latent dimensions 0..{D - 1}.",
                             param="dims", value=bad or dims)
    base = base_latent(ck, emb, index, len(ds), component)
    values = grid_values(ck, emb, dims, steps, span)
    return Traversal(traversal_grid(ck.model, base, dims, values), dims, values, base)


def intervene(checkpoint, dataset=None, dims: list[int] | None = None, directions: list[str] = (), n: int = 256,
              span: float = 3.0, probe_items: int = 2000, seed: int = 0) -> Interventions:
    """Push each latent of ``dims`` (default: all) and each direction of ``directions`` to its extremes
    across ``n`` items and measure the change in the decoded outputs, and in linear probes' readings of
    the dataset's factors and labels (see ``latentlab.analysis.decoding.interventions``)."""
    ck = _able(checkpoint, "interventions")
    ds = dataset_for(ck, dataset)
    if n < 1 or span <= 0:
        raise LatentLabError(f"`n` must be at least 1 and `span` positive (got {n} and {span}).",
                             param="n" if n < 1 else "span", also=("n", "span"))
    emb = _frame_embedding(ck, ds, [])
    rows = np.arange(len(ds)) if emb.index is None else emb.index
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(len(rows), min(n, len(rows)), replace=False))
    probe = np.sort(rng.choice(len(rows), min(probe_items, len(rows)), replace=False))
    center, scale = latent_frame(ck, emb)
    D = ck.latent_dim
    dims = list(range(D)) if dims is None else [int(d) for d in dims]
    targets = [*dims, *(_fit_direction(ck, spec, ds, seed=seed) for spec in directions)]
    factors = None if ds.factors is None else ds.factors.iloc[rows[probe]].reset_index(drop=True)
    labels = None if ds.labels is None else np.asarray(ds.labels)[rows[probe]]
    return intervene_codes(ck.model, emb.mean[picked], targets, center, scale, ck.model.codebook_values(), span,
                           probe_codes=emb.mean[probe], factors=factors, labels=labels,
                           label_name=ds.label_name or "label", seed=seed)


def interpolate(checkpoint, dataset=None, start: int = 0, end: int = 1, steps: int = 8, spherical: bool = False) -> np.ndarray:
    """Decode ``steps`` points between the codes of items ``start`` and ``end``: (steps, *item_shape)."""
    ck = _able(checkpoint, "interpolation")
    ds = dataset_for(ck, dataset)
    if steps < 2:
        raise LatentLabError(f"`steps` must be at least 2, got {steps}.", param="steps", value=steps)
    emb = _frame_embedding(ck, ds, [start, end])
    z0, z1 = base_latent(ck, emb, start, len(ds)), base_latent(ck, emb, end, len(ds))
    return interpolation(ck.model, z0, z1, steps, spherical)
