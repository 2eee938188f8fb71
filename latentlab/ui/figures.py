"""Plotly figure builders for the pages (WebGL scatter for maps)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from latentlab.core.render import text_thumbnail
from latentlab.core.rows import row_sample

HOVER_BUDGET_BYTES = 3_000_000  # hover thumbnails are sent only while the whole map stays under this
MAP_POINT_CAP = 100_000  # plotly sends ~115 bytes of JSON per point; larger maps draw a fixed sample
PALETTE = qualitative.Plotly + qualitative.D3 + qualitative.Alphabet


def category_order(names) -> list:
    """Category names in natural order: shorter first, so "2" comes before "10"."""
    return sorted(names, key=lambda v: (len(str(v)), str(v)))


def selected_ids(state) -> list[int]:
    """The integer ``customdata`` of the points in a plotly selection (event or session state), sorted."""
    selection = (state or {}).get("selection", {}) if state else {}
    out = set()
    for p in selection.get("points", []):
        cd = p.get("customdata")
        if isinstance(cd, dict):  # some plotly versions send arrays as {"0": ...}
            cd = next(iter(cd.values()), None)
        if isinstance(cd, (list, tuple)):
            cd = cd[0] if cd else None
        if cd is not None:
            out.add(int(cd))
    return sorted(out)


def thumbnails_for(ds) -> list[str] | None:
    """Hover pictures for every item, or None when they would not fit the byte budget."""
    if not ds.is_image or len(ds) * thumbnail_bytes(ds) > HOVER_BUDGET_BYTES:
        return None
    return [text_thumbnail(item, size=12) for item in ds.x]


def hover_texts(ds, emb, colour_name: str, values: np.ndarray, thumbnails: list[str] | None = None,
                rows: np.ndarray | None = None) -> list[str]:
    """One hover label per drawn point (``rows``, default all): index, label, colour value, recon error
    and, when given, the item's small picture. ``values`` has one entry per dataset row. Labels and values
    come from users' files and are escaped: plotly reads a subset of HTML in hover text."""
    from html import escape

    rows = np.arange(len(ds)) if rows is None else rows
    labels = None if ds.labels is None else np.asarray(ds.labels)
    texts = []
    for i in rows:
        parts = [f"<b>#{i}</b>"]
        if labels is not None:
            parts.append(escape(f"{ds.label_name}: {labels[i]}"))
        if colour_name not in ("label",):
            v = values[i]
            parts.append(escape(f"{colour_name}: {v:.3g}" if isinstance(v, (float, np.floating)) else f"{colour_name}: {v}"))
        if emb.has_reconstructions:
            parts.append(f"recon error: {emb.recon_error[i]:.3g}")
        if thumbnails is not None:
            parts.append(thumbnails[i])
        texts.append("<br>".join(parts))
    return texts


def drawn_rows(n: int, cap: int = MAP_POINT_CAP, seed: int = 0) -> np.ndarray:
    """The rows a plotly map draws: all of them, or a fixed seeded sample of ``cap`` (ascending)."""
    return row_sample(n, cap, seed)


def thumbnail_bytes(ds) -> int:
    h = min(ds.item_shape[-2], 12)
    return h * h * 2 * 3 + 40


def map_figure(xy: np.ndarray, values: np.ndarray, categorical: bool, texts: list[str] | None,
               colour_name: str, height: int = 620, highlight: np.ndarray | None = None,
               rows: np.ndarray | None = None) -> go.Figure:
    """A 2-D (WebGL) or 3-D scatter of ``rows`` (default all; ``texts`` has one entry per drawn row);
    each point's ``customdata`` is its dataset row."""
    three_d = xy.shape[1] == 3
    rows = np.arange(len(xy)) if rows is None else np.asarray(rows)
    pts, values = xy[rows], np.asarray(values)[rows]
    fig = go.Figure()
    marker_size = 4 if three_d else (6 if len(pts) < 3000 else 4)

    def trace(mask, **marker):
        common = dict(
            customdata=rows[mask], text=None if texts is None else [texts[i] for i in np.flatnonzero(mask)],
            hovertemplate="%{text}<extra></extra>" if texts is not None else "#%{customdata}<extra></extra>",
            mode="markers",
        )
        if three_d:
            return go.Scatter3d(x=pts[mask, 0], y=pts[mask, 1], z=pts[mask, 2], marker=dict(size=marker_size - 1, **marker), **common)
        return go.Scattergl(x=pts[mask, 0], y=pts[mask, 1], marker=dict(size=marker_size, **marker), **common)

    if categorical:
        cats = category_order(set(values.tolist()))
        for k, cat in enumerate(cats):
            t = trace(values == cat, color=PALETTE[k % len(PALETTE)], opacity=0.85)
            t.name = str(cat)
            fig.add_trace(t)
        fig.update_layout(legend=dict(title=colour_name, itemsizing="constant"))
    else:
        vals = np.asarray(values, dtype=float)
        t = trace(np.ones(len(pts), bool), color=vals, colorscale="Viridis", opacity=0.85, showscale=True,
                  colorbar=dict(title=colour_name, thickness=12))
        t.showlegend = False
        fig.add_trace(t)
    if highlight is not None and len(highlight) and not three_d:
        fig.add_trace(go.Scattergl(x=xy[highlight, 0], y=xy[highlight, 1], mode="markers", name="neighbours",
                                   marker=dict(size=12, color="rgba(0,0,0,0)", line=dict(color="#ff2b2b", width=2)),
                                   hoverinfo="skip", customdata=highlight))
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=30, b=10), dragmode="lasso" if not three_d else "orbit",
        hoverlabel=dict(font=dict(family="DejaVu Sans Mono, Menlo, monospace", size=11)),
        uirevision="map",  # keep zoom and pan across reruns
    )
    if not three_d:
        fig.update_xaxes(showticklabels=False, title=None)
        fig.update_yaxes(showticklabels=False, title=None, scaleanchor="x", scaleratio=1)
    return fig


def kl_bar(kl: np.ndarray, passive: list[int], title: str = "KL per latent dimension (nats)") -> go.Figure:
    colours = ["#bbbbbb" if d in passive else "#1f77b4" for d in range(len(kl))]
    fig = go.Figure(go.Bar(x=[f"z{d}" for d in range(len(kl))], y=kl, marker_color=colours,
                           hovertemplate="%{x}: %{y:.3f} nats<extra></extra>"))
    fig.update_layout(title=title, height=260, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def latent_bar(values: np.ndarray, title: str, dims: list[int] | None = None) -> go.Figure:
    """One bar per latent (``dims``: which latents the values are, default all in order)."""
    dims = list(range(len(values))) if dims is None else dims
    fig = go.Figure(go.Bar(x=[f"z{d}" for d in dims], y=values, marker_color="#636efa"))
    fig.update_layout(title=title, height=220, margin=dict(l=10, r=10, t=40, b=10), xaxis_type="category")
    return fig


def mix_bar(labels: list, counts: list, title: str, colours: list[str] | None = None) -> go.Figure:
    """Counts per label; ``colours``: one per label (the map's legend colours), else one colour for all."""
    fig = go.Figure(go.Bar(x=[str(v) for v in labels], y=counts, marker_color=colours or "#00a98f"))
    fig.update_layout(title=title, height=220, margin=dict(l=10, r=10, t=40, b=10), xaxis_type="category")
    return fig


def feature_bars(values: np.ndarray, names: list[str], title: str) -> go.Figure:
    fig = go.Figure(go.Bar(x=names, y=values, marker_color="#ef553b"))
    fig.update_layout(title=title, height=300, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def heatmap(matrix: np.ndarray, x: list[str], y: list[str], title: str, colorscale: str = "Blues") -> go.Figure:
    fig = go.Figure(go.Heatmap(z=matrix, x=x, y=y, colorscale=colorscale, hovertemplate="%{y} × %{x}: %{z:.3f}<extra></extra>"))
    fig.update_layout(title=title, height=max(260, 28 * len(y) + 80), margin=dict(l=10, r=10, t=40, b=10))
    return fig
