"""Signals on the pages: inputs over their reconstructions, traversals as small multiples of curves, the
curve the sliders decode, and their exports (PNG pictures drawn by ``latentlab.core.curve_render``, CSV
tables of the values by ``latentlab.analysis.decoding.curves``).

Every figure draws a channel in the same colour in every cell; a reconstruction (or any decoded curve with
an input beside it) is dashed over its input, and the cells of one figure share their y-axis so their
curves compare.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from latentlab.lab import channel_names, curves_frame, signal_times, traversal_curves
from latentlab.core.curve_render import CHANNEL_COLOURS, curve_grid, value_range
from latentlab.core.render import labelled_grid, png_bytes

MAX_CELLS = 60  # a figure of more cells than this gets unreadable (and slow); the exports hold them all
GRID_COLUMNS = 4
ROW_GAP_PX = 64  # between rows of small multiples: the row above's time ticks and the cell titles below them


def _colour(c: int) -> str:
    r, g, b = CHANNEL_COLOURS[c % len(CHANNEL_COLOURS)]
    return f"rgb({r},{g},{b})"


def _add_curves(fig: go.Figure, item: np.ndarray, ds, row: int, col: int, label: str, dash: str | None = None,
                legend: bool = False, opacity: float = 1.0) -> None:
    """One signal (C, T) into cell (row, col): a line per channel."""
    item = np.asarray(item)
    t = signal_times(ds, item.shape[-1])
    for c, name in enumerate(channel_names(ds, item.shape[0])):
        fig.add_trace(go.Scatter(x=t, y=item[c], mode="lines", name=f"{name} {label}".strip(), legendgroup=f"{name}{label}",
                                 showlegend=legend, opacity=opacity, line=dict(color=_colour(c), width=1.5, dash=dash),
                                 hovertemplate=f"{name} {label}<br>t %{{x:.3g}}: %{{y:.3g}}<extra></extra>"),
                      row=row, col=col)


def _height(rows: int, height_per_row: int, gap: int = 0) -> int:
    return max(220, 40 + rows * height_per_row + (rows - 1) * gap)


def _layout(fig: go.Figure, rows: int, title: str | None, lo: float, hi: float, height_per_row: int = 150,
            gap: int = 0) -> go.Figure:
    height, top = _height(rows, height_per_row, gap), 40 if title else 20
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=top, b=10), title=title,  # the legend below the time ticks
                      legend=dict(orientation="h", yanchor="top", y=-44 / (height - top - 10)))
    fig.update_yaxes(range=[lo, hi], tickfont=dict(size=9))
    fig.update_xaxes(tickfont=dict(size=9))
    return fig


def overlay_figure(ds, inputs: np.ndarray, recon: np.ndarray | None, titles: list[str],
                   columns: int = GRID_COLUMNS) -> go.Figure:
    """Small multiples, one cell per item: its input (solid) with its reconstruction (dashed) on top."""
    n = len(inputs)
    cols = min(columns, n)
    rows = int(np.ceil(n / cols))
    height = _height(rows, 150, ROW_GAP_PX)
    fig = make_subplots(rows, cols, subplot_titles=titles, shared_yaxes=True,
                        vertical_spacing=min(ROW_GAP_PX / (height - 30), 0.9 / max(rows - 1, 1)))
    for i in range(n):
        r, c = i // cols + 1, i % cols + 1
        # items alone (a preview, samples) are named by their channel only; beside reconstructions, "input"
        _add_curves(fig, inputs[i], ds, r, c, "input" if recon is not None else "", legend=i == 0,
                    opacity=0.55 if recon is not None else 1.0)
        if recon is not None:
            _add_curves(fig, recon[i], ds, r, c, "reconstruction", dash="dash", legend=i == 0)
    lo, hi = value_range(inputs if recon is None else np.stack([inputs, recon]))
    fig.update_annotations(font_size=11)
    fig.update_yaxes(showticklabels=True)  # every cell its own scale: the cells stand apart
    return _layout(fig, rows, None, lo, hi, gap=ROW_GAP_PX)


def traversal_figure(ds, grid: np.ndarray, row_titles: list[str], column_titles: list[str],
                     title: str | None = None) -> go.Figure:
    """Small multiples of a traversal (R, K, C, T): a row per latent (or direction), a column per step."""
    R, K = grid.shape[:2]
    fig = make_subplots(R, K, shared_yaxes=True, shared_xaxes=True, row_titles=row_titles, column_titles=column_titles,
                        horizontal_spacing=0.01, vertical_spacing=0.04 if R > 1 else 0.0)
    for r in range(R):
        for k in range(K):
            _add_curves(fig, grid[r, k], ds, r + 1, k + 1, "", legend=r == 0 and k == 0)
    lo, hi = value_range(grid)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    for r in range(R):  # one scale per row, at its left: the cells touch, so labels inside would cover curves
        fig.update_yaxes(showticklabels=True, row=r + 1, col=1)
    fig.update_annotations(font_size=10)
    return _layout(fig, R, title, lo, hi, height_per_row=110)


def curve_figure(ds, item: np.ndarray, title: str, reference: np.ndarray | None = None,
                 reference_label: str = "input") -> go.Figure:
    """One decoded signal (C, T), with ``reference`` (an input) beneath it for comparison."""
    fig = make_subplots(1, 1)
    if reference is not None:
        _add_curves(fig, reference, ds, 1, 1, reference_label, legend=True, opacity=0.45)
    _add_curves(fig, item, ds, 1, 1, "decoded", dash="dash" if reference is not None else None, legend=True)
    lo, hi = value_range(item if reference is None else np.stack([item, reference]))
    fig.update_xaxes(title="time" if getattr(ds, "times", None) is not None else "sample")
    return _layout(fig, 1, title, lo, hi, height_per_row=260)


def downloads(picture, frame, stem: str, key: str) -> None:
    """A PNG of the curves and a CSV of their values, side by side; ``picture`` may be a function that draws it
    when the button is clicked (a figure not drawn on every rerun)."""
    a, b = st.columns(2)
    png = (lambda: png_bytes(picture())) if callable(picture) else png_bytes(picture)
    a.download_button("Download curves (PNG)", png, file_name=f"{stem}.png", mime="image/png", key=f"{key}-png")
    b.download_button("Download values (CSV)", frame.to_csv(index=False).encode(), file_name=f"{stem}.csv",
                      mime="text/csv", key=f"{key}-csv")


def show_inputs_and_reconstructions(ds, index: np.ndarray, recon: np.ndarray | None, key: str = "sel") -> None:
    """The chosen items' curves, each with its reconstruction dashed on top (inputs only without a model)."""
    index = np.asarray(index)
    inputs = ds.as_float(index)  # (n, C, T)
    what = "inputs (solid) and reconstructions (dashed)" if recon is not None else "inputs"
    st.caption(f"{len(index)} {what}; each channel in its own colour, all on one y-axis.")
    st.plotly_chart(overlay_figure(ds, inputs, recon, [f"#{i}" for i in index]), width="stretch", key=f"{key}-curves")
    ids = {"index": np.repeat(index, 2 if recon is not None else 1)}
    items = inputs
    if recon is not None:
        ids["curve"] = np.tile(["input", "reconstruction"], len(index))
        items = np.stack([inputs, recon], axis=1).reshape(-1, *inputs.shape[1:])
    cols = min(GRID_COLUMNS, len(index))
    rows = int(np.ceil(len(index) / cols))
    padded = np.full((rows * cols, *inputs.shape[1:]), np.nan, np.float32)  # empty cells draw nothing
    padded[: len(index)] = recon if recon is not None else inputs
    under = None
    if recon is not None:
        under = np.full_like(padded, np.nan)
        under[: len(index)] = inputs
        under = under.reshape(rows, cols, *inputs.shape[1:])
    picture = curve_grid(padded.reshape(rows, cols, *inputs.shape[1:]), reference=under)
    downloads(picture, curves_frame(items, ds, ids), "selection-curves", key)


def show_traversal(ds, grid: np.ndarray, dims: list, values: np.ndarray, row_titles: list[str],
                   column_titles: list[str], caption: str, stem: str, key: str, row_name: str = "dim") -> None:
    """A traversal grid (R, K, C, T) as small multiples of curves, with its PNG and CSV."""
    shown = grid[: max(1, MAX_CELLS // grid.shape[1])]
    if len(shown) < len(grid):
        st.caption(f"The first {len(shown)} of {len(grid)} rows are drawn; the exports hold them all.")
    st.plotly_chart(traversal_figure(ds, shown, row_titles[: len(shown)], column_titles), width="stretch", key=f"{key}-fig")
    st.caption(caption)
    # the PNG reads on its own: each row named, the values on the columns, the caption as its title
    cell, pad = (120, 72), 3
    picture = lambda: labelled_grid(curve_grid(grid, cell, pad), cell, pad, list(row_titles), values, caption)  # noqa: E731
    downloads(picture, traversal_curves(grid, ds, dims, values, row_name), stem, key)


def show_samples(ds, items: np.ndarray, caption: str, key: str) -> None:
    """Decoded samples (n, C, T) as small multiples, with their PNG and CSV."""
    n = len(items)
    st.plotly_chart(overlay_figure(ds, items, None, [f"sample {i}" for i in range(n)]), width="stretch", key=f"{key}-fig")
    st.caption(caption)
    cols = min(GRID_COLUMNS, n)
    rows = int(np.ceil(n / cols))
    padded = np.full((rows * cols, *items.shape[1:]), np.nan, np.float32)
    padded[:n] = items
    downloads(curve_grid(padded.reshape(rows, cols, *items.shape[1:])), curves_frame(items, ds, {"sample": np.arange(n)}),
              "samples", key)
