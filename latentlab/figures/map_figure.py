"""A map (a 2-D projection) as a paper figure: the points rasterised inside the vector file, the cluster names,
legend or colour bar, axes and title kept as editable text."""

from __future__ import annotations

import numpy as np

from latentlab.figures.labels import MAX_LABELS, PlacedLabel, place_labels
from latentlab.figures.style import (DEFAULT_DPI, DEFAULT_WIDTH_MM, MISSING_COLOUR, categorical_palette, halo_colour,
                                     new_figure, styled, text_colour)

LEGEND_MAX = 30  # more classes than this get no legend (their names would fill the page)
LABEL_SIZE = 6.5  # points
_MARGIN = 0.16  # of the data's extent on each side: room for names drawn away from their clusters
_SHUFFLE_SEED = 0x9E3779B9


def category_codes(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Codes 0..K-1 and the K names in natural order ("2" before "10"), for a categorical colouring."""
    import pandas as pd

    inverse, uniques = pd.factorize(np.asarray(values).ravel(), use_na_sentinel=False)
    names = [str(u) for u in np.asarray(uniques).tolist()]
    order = sorted(range(len(names)), key=lambda k: (len(names[k]), names[k]))
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return rank[inverse], [names[k] for k in order]


def draw_order(n: int) -> np.ndarray:
    """One fixed shuffled order of the points: rows are often sorted by class, and the last would hide the rest."""
    return np.random.default_rng(_SHUFFLE_SEED).permutation(n)


def marker_area(n: int, width_mm: float) -> float:
    """Points' marker area in pt²: a few thousand points stay visible dots, a million still show density."""
    side_pt = width_mm / 25.4 * 72 * 0.7
    return float(np.clip(side_pt ** 2 * 0.25 / max(n, 1), 0.04, 12.0))


def _frame(xy: np.ndarray, aspect: float) -> tuple[float, float, float, float]:
    """The axes' limits: the data's box grown by the margin, widened to the axes' aspect (height / width)."""
    finite = xy[np.isfinite(xy).all(1)]
    lo, hi = (finite.min(0), finite.max(0)) if len(finite) else (np.zeros(2), np.ones(2))
    span = np.maximum(hi - lo, 1e-9) * (1 + 2 * _MARGIN)
    centre = (lo + hi) / 2
    if span[1] / span[0] < aspect:
        span[1] = span[0] * aspect
    else:
        span[0] = span[1] / aspect
    return (centre[0] - span[0] / 2, centre[1] - span[1] / 2, centre[0] + span[0] / 2, centre[1] + span[1] / 2)


def draw_points(ax, xy: np.ndarray, values, categorical: bool, width_mm: float, palette=None):
    """The points, as one raster image inside the figure; returns what a legend or colour bar needs."""
    from matplotlib.colors import ListedColormap

    order = draw_order(len(xy))
    size = marker_area(len(xy), width_mm)
    common = dict(s=size, linewidths=0, rasterized=True, marker="o", edgecolors="none")
    if values is None:
        ax.scatter(xy[order, 0], xy[order, 1], c=categorical_palette(1)[0], **common)
        return None
    if categorical:
        codes, names = category_codes(values)
        colours = palette or categorical_palette(len(names))
        cmap = ListedColormap(colours[: max(len(names), 1)])
        ax.scatter(xy[order, 0], xy[order, 1], c=codes[order], cmap=cmap, vmin=-0.5, vmax=len(names) - 0.5, **common)
        return ("categorical", names, colours)
    v = np.asarray(values, dtype=np.float64)
    missing = ~np.isfinite(v)
    if missing.any():
        ax.scatter(xy[missing, 0], xy[missing, 1], c=MISSING_COLOUR, **common)
    keep = order[~missing[order]]
    return ("continuous", ax.scatter(xy[keep, 0], xy[keep, 1], c=v[keep], cmap="viridis", **common))


def draw_legend(fig, ax, key, title: str) -> None:
    from matplotlib.lines import Line2D

    if key is None:
        return
    if key[0] == "continuous":
        bar = fig.colorbar(key[1], ax=ax, fraction=0.04, pad=0.02, shrink=0.7)
        bar.set_label(title)
        bar.outline.set_linewidth(0.4)
        return
    _, names, colours = key
    if len(names) > LEGEND_MAX:
        ax.text(1.01, 1.0, f"{title}: {len(names)} classes", transform=ax.transAxes, va="top", fontsize=6)
        return
    handles = [Line2D([], [], marker="o", linestyle="", markersize=4, markerfacecolor=colours[k], markeredgewidth=0,
                      label=name) for k, name in enumerate(names)]
    ax.legend(handles=handles, title=title, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              ncols=1 if len(names) <= 16 else 2, handletextpad=0.3, columnspacing=0.8, borderaxespad=0)


def draw_labels(ax, xy: np.ndarray, anchors: dict[int, int], texts: dict[int, str], style: str,
                top: int = MAX_LABELS) -> list[PlacedLabel]:
    """Cluster names placed by ``place_labels`` with each text's measured size; returns where they went."""
    renderer = ax.figure.canvas.get_renderer()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    box = ax.get_window_extent(renderer)
    per_px = ((x1 - x0) / box.width, (y1 - y0) / box.height)
    pad_px = 0.25 * LABEL_SIZE * ax.figure.dpi / 72  # the box drawn behind each name

    def size_of(text: str) -> tuple[float, float]:
        probe = ax.text(0, 0, text, fontsize=LABEL_SIZE, fontweight="bold")
        ext = probe.get_window_extent(renderer)
        probe.remove()
        return (ext.width + 2 * pad_px) * per_px[0], (ext.height + 2 * pad_px) * per_px[1]

    placed = place_labels(xy, anchors, texts, size_of, frame=(x0, y0, x1, y1), top=top)
    ink, halo = text_colour(style), halo_colour(style)
    for p in placed:
        if p.leader:
            ax_pt = xy[p.anchor]
            ex = np.clip(ax_pt[0], p.x - p.width / 2, p.x + p.width / 2)
            ey = np.clip(ax_pt[1], p.y - p.height / 2, p.y + p.height / 2)
            ax.plot([ax_pt[0], ex], [ax_pt[1], ey], color=ink, linewidth=0.4, alpha=0.8, zorder=3)
            ax.plot([ax_pt[0]], [ax_pt[1]], marker="o", markersize=1.5, color=ink, zorder=3)
        ax.text(p.x, p.y, p.text, fontsize=LABEL_SIZE, fontweight="bold", color=ink, ha="center", va="center",
                zorder=4, bbox=dict(boxstyle="round,pad=0.25", facecolor=halo, edgecolor="none", alpha=0.72))
    return placed


def map_figure(xy: np.ndarray, values=None, categorical: bool = True, colour: str = "", title: str = "",
               axes: tuple[str, str] = ("", ""), anchors: dict[int, int] | None = None,
               texts: dict[int, str] | None = None, style: str = "paper", width_mm: float = DEFAULT_WIDTH_MM,
               dpi: int = DEFAULT_DPI, ax=None):
    """Draw a map from arrays. ``xy`` (N, 2); ``values`` (N,) to colour by, categorical or continuous;
    ``anchors`` and ``texts`` name clusters (``labels.cluster_texts``, ``label_anchors``). Returns the Figure (with
    ``fig.latentlab_labels``: the placed names); draws into ``ax`` when given (a panel of a larger figure)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    xy = np.asarray(xy, dtype=np.float64)[:, :2]
    with styled(style):
        fig = ax.figure if ax is not None else new_figure(width_mm, width_mm * 0.72, dpi)
        if ax is None:
            FigureCanvasAgg(fig)
            ax = fig.add_axes((0.02, 0.04, 0.72, 0.9))
        fig._latentlab_style = style
        bbox = ax.get_position()
        fw, fh = fig.get_size_inches()
        x0, y0, x1, y1 = _frame(xy, (bbox.height * fh) / (bbox.width * fw))
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(axes[0])
        ax.set_ylabel(axes[1])
        for side in ax.spines.values():
            side.set_linewidth(0.4)
        if title:
            ax.set_title(title, loc="left")
        key = draw_points(ax, xy, values, categorical, width_mm)
        draw_legend(fig, ax, key, colour)
        placed = draw_labels(ax, xy, anchors, texts, style) if anchors and texts else []
        fig.latentlab_labels = placed
    return fig
