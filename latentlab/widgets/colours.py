"""A notebook map's colourings: what ``Map.color_by`` accepts, and the codes, palette and legend sent for it.

The codes are the dashboard's (``latentlab.ui.scatter.colouring``): one uint8 per point (uint16 past 256
categories), categories in natural order over the dashboard's palette, continuous values in 255 Viridis bins
with a 256th for missing ones; ``tests/test_widgets.py`` checks both give the same codes and colours.

``color_by`` names a column of the source's table, ``"label"``, a latent (``"z3"`` or ``"latent:3"``), anything
else the dashboard's map offers (``latentlab.lab.colour_options``: factors, KL, reconstruction error, a
clustering model's clusters) or a clustering run here: ``"cluster:kmeans:8"``, ``"cluster:hdbscan"``
(``"cluster:METHOD[:K]"``, k-means and the others of ``latentlab.lab.CLUSTERERS`` on the latent means).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from latentlab.core.errors import LatentLabError

CONTINUOUS_BINS = 255  # codes 0..254 span a continuous colouring; 255 marks a missing value
MISSING = "#bbbbbb"


@dataclass(frozen=True)
class Colouring:
    """One code per point and what the codes mean (``legend``: {"kind": "categorical", "title", "names"} or
    {"kind": "continuous", "title", "min", "max", "lo", "hi"}); ``clusters``: the cluster of each point when the
    colouring is a clustering run for it, else None."""

    codes: np.ndarray
    palette: list[str]
    legend: dict
    clusters: np.ndarray | None = None


def _palette() -> list[str]:
    from latentlab.ui.figures import PALETTE  # plotly's qualitative colours, as the dashboard's legend draws them

    return list(PALETTE)


def _ramp() -> list[str]:
    from plotly.colors import sample_colorscale

    def to_hex(rgb: str) -> str:
        r, g, b = (int(float(v)) for v in rgb[rgb.index("(") + 1: rgb.index(")")].split(",")[:3])
        return f"#{r:02x}{g:02x}{b:02x}"

    return [to_hex(c) for c in sample_colorscale("Viridis", CONTINUOUS_BINS)] + [MISSING]


def colouring(values: np.ndarray, categorical: bool, title: str) -> Colouring:
    """Codes for a categorical (labels, clusters) or continuous (latents, errors) colouring, vectorised."""
    from latentlab.ui.figures import category_order

    values = np.asarray(values)
    if categorical:
        inverse, uniques = pd.factorize(values.ravel(), use_na_sentinel=False)
        names = [str(u) for u in np.asarray(uniques).tolist()]
        if len(names) > 65536:
            raise LatentLabError(f"Cannot colour by '{title}': it has {len(names):,} categories; pick a colouring with "
                                 "at most 65,536.", param="color_by", value=title)
        order = [names.index(name) for name in category_order(names)]  # "2" before "10"
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        codes = rank[inverse].astype(np.uint8 if len(names) <= 256 else np.uint16)
        palette = _palette()
        return Colouring(codes, [palette[k % len(palette)] for k in range(len(names))],
                         {"kind": "categorical", "title": title, "names": [names[k] for k in order]})
    v = values.astype(np.float64, copy=False)
    finite = np.isfinite(v)
    lo, hi = (float(v[finite].min()), float(v[finite].max())) if finite.any() else (0.0, 1.0)
    span = hi - lo if hi > lo else 1.0
    codes = np.full(len(v), CONTINUOUS_BINS, np.uint8)
    codes[finite] = np.minimum(((v[finite] - lo) / span * CONTINUOUS_BINS).astype(np.int64), CONTINUOUS_BINS - 1)
    legend = {"kind": "continuous", "title": title, "min": f"{lo:.3g}", "max": f"{hi:.3g}", "lo": lo, "hi": lo + span}
    return Colouring(codes, _ramp(), legend)


def default_colour(source) -> str | None:
    """What a new map is coloured by: the labels when there are some, else nothing (one colour)."""
    if source.columns is not None and "label" in source.columns:
        return "label"
    return "label" if source.dataset.labels is not None else None


def colour_for(source, by: str | None, seed: int = 0) -> Colouring:
    """The colouring ``by`` names for ``source`` (a ``MapSource``), or one sentence saying it names nothing."""
    n = len(source)
    if by is None or by == "":
        return Colouring(np.zeros(n, np.uint8), [_palette()[0]], None)
    if not isinstance(by, str):
        raise LatentLabError(f"`color_by` is a name (a column, a latent such as 'z0', or 'cluster:kmeans:8'), not a "
                             f"{type(by).__name__}.", param="color_by", value=by)
    if by.startswith("cluster:"):
        clusters = cluster_labels(source, by, seed)
        names = np.array([str(k) for k in range(int(clusters.max(initial=0)) + 1)] + ["noise"], dtype=object)
        return _with_clusters(colouring(names[clusters], True, by), clusters)
    if source.columns is not None and by in source.columns:
        column = source.columns[by]
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        return colouring(column.to_numpy(), not numeric, by)
    from latentlab import lab

    latent = by.removeprefix("latent:")
    name = f"z{latent}" if latent != by and latent.isdigit() else by
    try:
        values, categorical = lab.colour_values(source.dataset, source.embedding, name)
    except LatentLabError:
        options = ", ".join(lab.colour_options(source.dataset, source.embedding)[:6])
        raise LatentLabError(f"`color_by` '{by}' names no column, latent or clustering of this map; try one of "
                             f"{options}, or 'cluster:kmeans:8'.", param="color_by", value=by) from None
    return colouring(values, categorical, by)


def _with_clusters(c: Colouring, clusters: np.ndarray) -> Colouring:
    return Colouring(c.codes, c.palette, c.legend, clusters)


def cluster_labels(source, spec: str, seed: int = 0) -> np.ndarray:
    """The clusters of ``"cluster:METHOD[:K]"`` on the source's latent means (cached as the facade caches them),
    noise as -1."""
    from latentlab import lab

    parts = spec.split(":")
    method = parts[1] if len(parts) > 1 else ""
    if method not in lab.CLUSTERERS or len(parts) > 3 or (len(parts) == 3 and not parts[2].isdigit()):
        raise LatentLabError(f"`color_by` '{spec}' names no clustering; write 'cluster:METHOD' or 'cluster:METHOD:K' "
                             f"with a method among {', '.join(sorted(lab.CLUSTERERS))}.", param="color_by", value=spec)
    params = {"k": int(parts[2])} if len(parts) == 3 else {}
    result = lab.cluster_embedding(source.embedding, source.dataset, method, "latent", seed, **params)
    return np.asarray(result.labels, dtype=np.int64)
