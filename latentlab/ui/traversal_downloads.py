"""The Traverse page's downloads of an image traversal: the grid as a labelled figure (PNG) and one row as a
GIF large enough to watch, each frame saying which latent is at which value (``core.render``'s
``labelled_traversal`` and ``labelled_gif``, which ``latentlab traverse --labels`` writes too).

Both are drawn when the button is clicked (a deferred download), not on every rerun of the page: a figure and a
GIF take 0.1 to 0.5 s to draw, the bare grid on the page 15 ms.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from latentlab import lab
from latentlab.core.render import labelled_gif, labelled_traversal, latent_labels, png_bytes, value_text


def row_labels(emb, dims: list[int]) -> tuple[list[list[str]], set[int]]:
    """Each row's label (the latent, its KL or the variance of its codes, passive ones marked) and the rows of
    passive latents."""
    passive = set(lab.passive_dims(emb))
    labels = latent_labels(dims, emb.activity(), "KL" if emb.kl is not None else "var", passive)
    return labels, {r for r, d in enumerate(dims) if d in passive}


def grid_downloads(grid: np.ndarray, dims: list[int], values: np.ndarray, emb, model: str, subtitle: str) -> None:
    """The labelled grid (PNG, titled ``model · subtitle``) and a labelled GIF of the row picked beside it."""
    labels, faint = row_labels(emb, dims)
    title = f"{model} · {subtitle}"
    d1, d2, d3 = st.columns(3)
    d1.download_button("Download grid (PNG)", lambda: png_bytes(labelled_traversal(grid, labels, values, title, faint)),
                       file_name="traversal.png", mime="image/png", key="dl-grid")
    gif_dim = d2.selectbox("GIF of", dims, format_func=lambda d: f"z{d}", key="trav-gif-dim")
    r = dims.index(gif_dim)
    captions = [f"z{gif_dim} = {value_text(v)}" for v in values[r]]
    d3.download_button("Download GIF", lambda: labelled_gif(grid[r], captions, " · ".join([model, *labels[r]])),
                       file_name=f"traversal-z{gif_dim}.gif", mime="image/gif", key="dl-gif")


def direction_downloads(row: np.ndarray, name: str, travel: np.ndarray, model: str, subtitle: str) -> None:
    """The row along direction ``name`` as a labelled strip (PNG) and a labelled GIF."""
    title = f"{model} · {subtitle}"
    d1, d2 = st.columns(2)
    d1.download_button("Download row (PNG)", lambda: png_bytes(labelled_traversal(row, [name], travel[None], title)),
                       file_name="direction.png", mime="image/png", key="dl-dir-grid")
    captions = [f"{name} {value_text(t)}" for t in travel]
    d2.download_button("Download GIF", lambda: labelled_gif(row[0], captions, f"{model} · {name}"),
                       file_name="direction.gif", mime="image/gif", key="dl-dir-gif")
