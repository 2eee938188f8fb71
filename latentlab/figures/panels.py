"""Traversal grids, metric matrices, two maps side by side and a map with its cluster rules, drawn from results
(arrays and the engine's result types); ``latentlab.figures.api`` computes those results for a checkpoint."""

from __future__ import annotations

import textwrap

import numpy as np

from latentlab.figures.style import DEFAULT_DPI, DEFAULT_WIDTH_MM, new_figure, styled


def _canvas(fig, style: str):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig._latentlab_style = style
    return fig


def _image(item: np.ndarray) -> np.ndarray:
    """(C, H, W) or (H, W) in [0, 1] as an image matplotlib shows: (H, W) grey or (H, W, 3)."""
    a = np.asarray(item, dtype=np.float32)
    if a.ndim == 3:
        a = a[0] if a.shape[0] == 1 else np.moveaxis(a[:3], 0, -1)
    return np.clip(a, 0, 1)


def traversal_figure(items: np.ndarray, values: np.ndarray, row_names: list[str], kind: str = "image",
                     texts: list[list[str]] | None = None, title: str = "", style: str = "paper",
                     width_mm: float = DEFAULT_WIDTH_MM, dpi: int = DEFAULT_DPI):
    """A traversal grid: one row per latent (named in ``row_names``), the latent's value over each column.
    ``kind``: "image" draws the decoded items, "text" the nearest texts (``texts`` (R, C)), anything else small
    multiples of curves (signals, table rows)."""
    rows, cols = values.shape
    cell = width_mm / (cols + 1.6)
    height = cell * rows * (0.55 if kind == "text" else 1.0) + 14
    with styled(style):
        fig = _canvas(new_figure(width_mm, height, dpi), style)
        grid = fig.add_gridspec(rows, cols, left=0.16, right=0.99, top=1 - 9 / height, bottom=5 / height,
                                wspace=0.06, hspace=0.12 if kind != "text" else 0.0)
        for r in range(rows):
            for c in range(cols):
                ax = fig.add_subplot(grid[r, c])
                ax.set_xticks([])
                ax.set_yticks([])
                if kind == "image":
                    img = _image(items[r, c])
                    ax.imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
                elif kind == "text":
                    ax.text(0.5, 0.5, "\n".join(textwrap.wrap(texts[r][c], 18)[:3]), ha="center", va="center",
                            fontsize=4.5, transform=ax.transAxes)
                else:
                    curve = np.asarray(items[r, c], dtype=np.float64).reshape(-1, np.shape(items)[-1])
                    for line in curve[:4]:
                        ax.plot(line, linewidth=0.6)
                    for side in ax.spines.values():
                        side.set_linewidth(0.3)
                if c == 0:
                    ax.set_ylabel(row_names[r], rotation=0, ha="right", va="center", fontsize=6)
                if r == rows - 1:
                    ax.set_xlabel(f"{values[r, c]:+.2g}", fontsize=5.5)
                elif kind == "text" or not np.allclose(values[r], values[-1]):
                    ax.set_title(f"{values[r, c]:+.2g}", fontsize=5, pad=1)
        if title:
            fig.suptitle(title, x=0.01, ha="left", fontsize=8)
    return fig


def _heatmap(ax, matrix: np.ndarray, rows: list[str], cols: list[str], cmap: str = "viridis", fmt: str = "{:.2f}"):
    image = ax.imshow(matrix, cmap=cmap, aspect="auto", vmin=0, vmax=max(float(np.nanmax(matrix)), 1e-9))
    ax.set_xticks(range(len(cols)), cols, rotation=90 if len(cols) > 8 else 0)
    ax.set_yticks(range(len(rows)), rows)
    if matrix.size <= 400:
        top = float(np.nanmax(matrix)) or 1.0
        for (i, j), v in np.ndenumerate(matrix):
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=4.5,
                    color="black" if v > 0.6 * top else "white")
    return image


def metrics_figure(matrix: np.ndarray, factors: list[str], what: str, scores: dict[str, float], title: str = "",
                   style: str = "paper", width_mm: float = DEFAULT_WIDTH_MM, dpi: int = DEFAULT_DPI):
    """The factor x latent matrix (``matrix`` (K, D): mutual information or importance) as an annotated heatmap,
    with the scores beside it."""
    k, d = matrix.shape
    height = max(40.0, 8 + 5.5 * k)
    with styled(style):
        fig = _canvas(new_figure(width_mm, height, dpi), style)
        ax = fig.add_axes((0.1, 0.22, 0.62, 0.68))
        image = _heatmap(ax, matrix, factors, [f"z{j}" for j in range(d)])
        ax.set_xlabel("latent")
        ax.set_ylabel("factor")
        bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
        bar.set_label(what)
        bar.outline.set_linewidth(0.4)
        side = fig.add_axes((0.8, 0.22, 0.19, 0.68))
        side.axis("off")
        lines = [f"{name}: {value:.3f}" for name, value in scores.items()]
        side.text(0, 1, "Scores", fontweight="bold", va="top", transform=side.transAxes)
        side.text(0, 0.9, "\n".join(lines), va="top", transform=side.transAxes, linespacing=1.5)
        if title:
            fig.suptitle(title, x=0.01, ha="left", fontsize=8)
    return fig


def compare_figure(xy_a: np.ndarray, xy_b: np.ndarray, values, categorical: bool, colour: str,
                   names: tuple[str, str], scores: dict[str, float], style: str = "paper",
                   width_mm: float = DEFAULT_WIDTH_MM, dpi: int = DEFAULT_DPI):
    """Two maps of the same items (B aligned to A), coloured alike, with the similarity scores beneath."""
    from latentlab.figures.map_figure import draw_legend, draw_points

    with styled(style):
        fig = _canvas(new_figure(width_mm, width_mm * 0.5, dpi), style)
        key = None
        for k, (xy, name) in enumerate(zip((xy_a, xy_b), names)):
            ax = fig.add_axes((0.01 + 0.41 * k, 0.14, 0.39, 0.78))
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_aspect("equal", adjustable="datalim")
            ax.set_title(name, loc="left")
            key = draw_points(ax, np.asarray(xy, np.float64), values, categorical, width_mm / 2)
        draw_legend(fig, ax, key, colour)
        words = "    ".join(f"{n}: {v:.3f}" for n, v in scores.items())
        fig.text(0.01, 0.03, words, fontsize=6.5)
    return fig


def clusters_figure(xy: np.ndarray, clusters: np.ndarray, anchors: dict[int, int], texts: dict[int, str],
                    rules: list[tuple[str, str]], title: str = "", style: str = "paper",
                    width_mm: float = DEFAULT_WIDTH_MM, dpi: int = DEFAULT_DPI):
    """The map coloured and named by cluster, with each cluster's rule (``rules``: (name, rule) pairs) beside it."""
    from latentlab.figures.map_figure import map_figure

    with styled(style):
        fig = _canvas(new_figure(width_mm, width_mm * 0.55, dpi), style)
        ax = fig.add_axes((0.01, 0.03, 0.5, 0.88))
        map_figure(xy, np.asarray(clusters), True, "cluster", title, anchors=anchors, texts=texts, style=style,
                   width_mm=width_mm * 0.5, dpi=dpi, ax=ax)
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        side = fig.add_axes((0.55, 0.03, 0.44, 0.88))
        side.axis("off")
        side.text(0, 1, "Cluster rules (threshold tree)", fontweight="bold", va="top", transform=side.transAxes)
        shown = rules[:24]
        step = min(0.9 / max(len(shown), 1), 0.09)
        for i, (name, rule) in enumerate(shown):
            side.text(0, 0.93 - i * step, f"{name}: " + "\n  ".join(textwrap.wrap(rule, 60)[:2]), va="top",
                      fontsize=5.5, transform=side.transAxes)
    return fig
