"""Reusable page sections: image galleries, the selection panel, neighbours."""

from __future__ import annotations

import numpy as np
import streamlit as st
from PIL import Image

from latentlab import lab
from latentlab.core.render import image_grid, png_bytes
from latentlab.ui import capabilities, figures, text_view
from latentlab.ui.legend_colours import label_colours

MAX_GALLERY = 24
MAX_CURVES = 12  # signals drawn as small multiples of curves: more cells than this stop being readable
MAX_TEXTS = 1_000  # a selection's texts listed on the page (the CSV export holds them all)
MAX_LATENT_BARS = 32  # a chart of more bars than this is unreadable: the largest are drawn


def grid_shape(n: int, columns: int) -> tuple[int, int]:
    """Rows and columns for ``n`` pictures at most ``columns`` wide: the fewest rows, then the columns spread
    evenly over them (9 pictures at most 8 wide: 2 rows of 5, not 8 and 1)."""
    rows = int(np.ceil(n / max(1, columns)))
    return rows, int(np.ceil(n / rows))


def gallery_image(items: np.ndarray, columns: int = 8):
    """(n, *item_shape) images as one grid picture; the cells past the last picture are left blank (white),
    not drawn as empty frames."""
    n = len(items)
    rows, columns = grid_shape(n, columns)
    padded = np.concatenate([items, np.zeros((rows * columns - n, *items.shape[1:]), items.dtype)]) if rows * columns > n else items
    picture = image_grid(padded.reshape(rows, columns, *items.shape[1:]))
    empty = rows * columns - n
    if empty:
        pixels = np.array(picture)
        cell_w = pixels.shape[1] // columns
        top = (rows - 1) * (pixels.shape[0] // rows)
        pixels[top:, pixels.shape[1] - empty * cell_w:] = 255
        picture = Image.fromarray(pixels)
    return picture


def gallery(items: np.ndarray, columns: int = 8, caption: str | None = None) -> None:
    """Show (n, *item_shape) images as a grid at most ``columns`` wide."""
    if len(items) == 0:
        return
    st.image(gallery_image(items, columns), caption=caption, output_format="PNG")


def _curves_key(rows: np.ndarray) -> str:
    """Widget keys of a panel of curves, one per set of rows (the selection and neighbour panels share a page)."""
    import hashlib

    return "curves-" + hashlib.sha1(np.asarray(rows, np.int64).tobytes()).hexdigest()[:10]


def inputs_and_reconstructions(ctx, index: np.ndarray) -> None:
    ds, ck = ctx.dataset(), ctx.checkpoint()
    shown = np.asarray(index)[:MAX_GALLERY]
    if ck is None and text_view.has_texts(ds):  # the texts read better than their vectors
        return
    if ck is None:  # precomputed vectors: no model to reconstruct with
        import pandas as pd

        st.dataframe(pd.DataFrame(np.asarray(ds.x[np.sort(shown)]), columns=ds.feature_names or None,
                                  index=[f"#{i}" for i in np.sort(shown)]), width="stretch")
        return
    if capabilities.missing(ck, "reconstructions"):
        capabilities.unavailable(ck, "reconstructions")
        if ds.is_image:
            gallery(ds.as_float(shown), min(len(shown), 8), f"inputs (first {len(shown)})")
        elif ds.is_signal:
            from latentlab.ui.signal_view import show_inputs_and_reconstructions

            show_inputs_and_reconstructions(ds, shown[:MAX_CURVES], None, key=_curves_key(shown))
        return
    recon = lab.reconstruct(ck.model, ds, shown)
    if ds.is_signal:
        from latentlab.ui.signal_view import show_inputs_and_reconstructions

        show_inputs_and_reconstructions(ds, shown[:MAX_CURVES], recon[:MAX_CURVES], key=_curves_key(shown))
    elif ds.is_image:
        cols = min(len(shown), 8)
        left, right = st.columns(2)
        with left:
            gallery(ds.as_float(shown), cols, f"inputs (first {len(shown)})")
        with right:
            gallery(recon, cols, "reconstructions")
    else:
        import pandas as pd

        frame = pd.DataFrame(ds.x[shown], columns=ds.feature_names, index=[f"#{i}" for i in shown])
        rec = pd.DataFrame(recon.reshape(len(shown), -1), columns=ds.feature_names, index=[f"#{i} recon" for i in shown])
        st.dataframe(pd.concat([frame, rec]).sort_index(), width="stretch")


def selection_panel(ctx, index: np.ndarray, clusters: np.ndarray | None = None) -> None:
    ds, emb = ctx.dataset(), ctx.embedding()
    summary = lab.summarise_selection(ds, emb, index)
    st.subheader(f"Selection: {summary.count:,} points")
    c1, c2 = st.columns(2)
    with c1:
        if len(summary.label_mix):
            names = summary.label_mix["label"].tolist()
            st.plotly_chart(figures.mix_bar(names, summary.label_mix["count"].tolist(), f"{ds.label_name} mix",
                                            colours=label_colours(ds, names)), width="stretch", key="sel-mix")
        if emb.has_reconstructions:
            st.caption(f"Mean reconstruction error {summary.mean_recon_error:.4g}")
    with c2:
        if ctx.checkpoint_name is not None:  # a model's latents; a dataset's own vectors have no named latents
            dims = mean_latent_dims(summary.mean_latent)
            title = "mean latent" if len(dims) == len(summary.mean_latent) else \
                f"mean latent: the {len(dims)} largest of {len(summary.mean_latent)}"
            st.plotly_chart(figures.latent_bar(summary.mean_latent[dims], title, dims), width="stretch",
                            key="sel-latent")
    if text_view.has_texts(ds):
        listed = np.asarray(index)[:MAX_TEXTS]
        if len(listed) < len(index):
            st.caption(f"The first {len(listed):,} of the {len(index):,} selected texts; the CSV export holds them all.")
        text_view.show_texts(ds, listed, key="sel-texts")
    inputs_and_reconstructions(ctx, index)
    frame = lab.selection_frame(ds, emb, index, clusters)
    st.download_button("Export selection as CSV", frame.to_csv(index=False).encode(), file_name="selection.csv",
                       mime="text/csv", key="sel-csv")


def mean_latent_dims(mean: np.ndarray, most: int = MAX_LATENT_BARS) -> list[int]:
    """The latents a selection's mean-latent chart draws: all of them up to ``most``, else the ``most`` largest in
    magnitude, in latent order."""
    if len(mean) <= most:
        return list(range(len(mean)))
    return sorted(int(d) for d in np.argsort(-np.abs(mean), kind="stable")[:most])


def neighbours_panel(ctx, index: int, space: np.ndarray, k: int = 8) -> np.ndarray:
    ds = ctx.dataset()
    nearest, dist = lab.nearest_neighbours(space, index, k)
    label = "" if ds.labels is None else f" ({ds.label_name} {np.asarray(ds.labels)[index]})"
    st.subheader(f"Point #{index}{label} and its {len(nearest)} nearest neighbours")
    st.caption(f"Distances in {ctx.space_label}: " + ", ".join(f"#{i} {d:.2f}" for i, d in zip(nearest, dist)))
    if text_view.has_texts(ds):
        text_view.show_texts(ds, np.concatenate([[index], nearest]), {"distance": np.round([0.0, *dist], 4)},
                             key="nn-texts")
    inputs_and_reconstructions(ctx, np.concatenate([[index], nearest]))
    return nearest


def download_png(image, label: str, file_name: str, key: str) -> None:
    st.download_button(label, png_bytes(image), file_name=file_name, mime="image/png", key=key)
