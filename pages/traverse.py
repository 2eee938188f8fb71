"""Traverse: move one slider per latent and watch the decoded output; grids,
GIFs and interpolations between two points."""

import numpy as np
import streamlit as st

from latentlab import lab
from latentlab.ui import (capabilities, figure_downloads, figures, item_route, panels, signal_view, traversal_downloads,
                          traverse_sliders)
from latentlab.ui.directions import direction_picker
from latentlab.ui.samples_view import component_picker, samples_section
from latentlab.ui import param_labels
from latentlab.ui.sidebar import start_page, user_errors
from latentlab.ui.text_view import has_texts, show_nearest

ctx = start_page("Traverse")


def show_decoded(items: np.ndarray, ds, caption: str, reference: np.ndarray | None = None) -> None:
    if ds.is_image:
        st.image(lab.single_image(items[0], scale=max(1, 192 // ds.item_shape[-1])), caption=caption, output_format="PNG")
    elif ds.is_signal:  # redrawn on every slider move: the fragment reruns this alone
        st.plotly_chart(signal_view.curve_figure(ds, items[0], caption, reference), width="stretch")
    elif has_texts(ds):  # a vector in a text embedding's space reads like its nearest texts
        show_nearest(ds, items[:1], [caption], f"{caption}: the texts nearest to it")
    else:
        st.plotly_chart(figures.feature_bars(items[0].reshape(-1), ds.feature_names, caption), width="stretch")


with user_errors(param_labels.TRAVERSE):
    ds, ck, emb = ctx.dataset(), ctx.checkpoint(), ctx.embedding()
    if capabilities.unavailable(ck, "traversals"):  # an encoder brought without a decoder
        st.stop()
    center, scale = lab.latent_frame(ck, emb)
    codebook = ck.model.codebook_values()  # (D, V) for a quantized model: its sliders step through these values
    order = lab.activity_order(emb)
    passive = set(lab.passive_dims(emb))
    activity = emb.activity()

    # ---- base point
    st.subheader("Base point")
    c1, c2 = st.columns([2, 3])
    selection = np.asarray(st.session_state.get("ll_selection", []), dtype=np.int64)
    centre = ("prior mean" if ck.model.prior_frame() is not None  # a model without a prior starts from its codes
              else "central item's code" if codebook is not None else "codes' mean")
    sources = ["index", "map selection", "random", centre]
    if ck.model.prior_components() is not None:  # a mixture prior: its components' means are base points too
        sources.append("a component's mean")
    source = c1.radio("Start from", sources, horizontal=True, key="trav-source")
    index = component = None
    if source == "a component's mean":
        component = component_picker(c2, ck, emb, "trav-component")
    elif source == "index":
        index = int(c2.number_input("Item index", 0, len(ds) - 1, value=0, step=1, key="trav-index"))
    elif source == "map selection":
        if len(selection):
            shown = selection[:1000].tolist()  # a long selection offers its first thousand rows
            index = int(c2.selectbox("Selected point", shown, key="trav-selected",
                                     help=None if len(selection) <= 1000 else f"The first 1,000 of {len(selection):,} selected."))
        else:
            c2.info("Nothing is selected on the Map page; showing item 0.")
            index = 0
    elif source == "random":
        if c2.button("Pick another", key="trav-reroll") or "trav-random" not in st.session_state:
            st.session_state["trav-random"] = int(np.random.default_rng().integers(len(ds)))
        index = st.session_state["trav-random"]
        c2.write(f"Item #{index}")
    base = lab.base_latent(ck, emb, index, component=component)
    if codebook is None:
        units = "prior units" if ck.model.prior_frame() is not None else "standard deviations of the codes"
        span = st.slider(f"Slider and grid range ({units})", 1.0, 6.0, 3.0, 0.5, key="trav-span")
    else:
        span = 3.0  # unused: a quantized latent's range is its codebook
    base_id = f"{ctx.checkpoint_name}-{ctx.dataset_name}-{source}-{index}-{component}"


@st.fragment
def sliders() -> None:
    """Sliders for a model whose output is not a picture (a curve, texts, a table): only this fragment reruns while
    one moves, one decode and nothing else."""
    left, right = st.columns([3, 2])
    z = base.copy()
    with left:
        if st.button("Reset sliders", key="trav-reset"):
            st.session_state["trav-gen"] = st.session_state.get("trav-gen", 0) + 1
        gen = st.session_state.get("trav-gen", 0)
        for row in traverse_sliders.latent_rows(order, activity, passive, base, center, scale, span, codebook):
            d = row["d"]
            key = f"slider-{base_id}-{d}-{gen}"
            if "values" in row:
                start = row["values"][int(np.abs(np.asarray(row["values"]) - base[d]).argmin())]
                z[d] = st.select_slider(row["label"], row["values"], value=start, format_func=lambda v: f"{v:+.3f}",
                                        key=key)
            else:
                z[d] = st.slider(row["label"], row["min"], row["max"], float(base[d]), step=row["step"], key=key)
    with right:
        if index is not None and ds.is_signal:  # the input beneath the decoded curve
            show_decoded(lab.decode_latents(ck.model, z), ds, f"decoded from the sliders (input #{index} beneath)",
                         ds.as_float([index])[0])
        else:
            show_decoded(lab.decode_latents(ck.model, z), ds, "decoded from the sliders")


@st.fragment
def direction_slider() -> None:
    """One slider along the chosen direction, and the item decoded there."""
    left, right = st.columns([3, 2])
    ends = along.ends is not None
    lo, hi = (0.0, 1.0) if ends else (-span, span)
    travel = left.slider("Travel along the direction" + (" (0: first centroid, 1: second)" if ends else " (units)"),
                         lo, hi, 0.0, step=(hi - lo) / 100, key=f"dir-travel-{along.name}-{base_id}")
    codes, _ = along.path(base, 2, span)
    z = codes[0] + (codes[1] - codes[0]) * travel if ends else base + travel * along.scale * along.vector
    with right:
        show_decoded(lab.decode_latents(ck.model, z.astype(np.float32)), ds, "decoded along the direction")


with user_errors(param_labels.TRAVERSE):
    st.subheader("Latent sliders")
    if emb.kl is not None:
        st.caption(f"Ordered by activity (mean KL to the prior); passive dimensions (KL < {lab.PASSIVE_KL} nats) "
                   "are marked.")
    else:
        st.caption("Ordered by activity (the variance of each latent's codes over the dataset).")
    if codebook is not None:
        st.caption(f"This model is quantized: each slider steps through its latent's {codebook.shape[1]} codebook "
                   "values, the only values the decoder saw in training; the base point's values are its own codes.")
    along = None
    if st.radio("Move along", ["latent axes", "a direction"], horizontal=True, key="trav-mode") == "a direction":
        along = direction_picker(ctx, ds, ck)
        direction_slider()
    elif ds.is_image:  # each move fetches its picture from the server: the page is not rerun
        latents = traverse_sliders.latent_rows(order, activity, passive, base, center, scale, span, codebook)
        shown = (item_route.base_url(ctx.dataset_name, ds) + f"/{index}.png", f"input #{index}") if index is not None else None
        traverse_sliders.picture_sliders(ck, latents, base, key=f"{base_id}-{span}",
                                         size=max(1, 192 // ds.item_shape[-1]) * ds.item_shape[-1], input_picture=shown)
    else:
        sliders()

    st.subheader("Traversal grid")
    base_text = (f"from item #{index}" if index is not None else f"from the {centre}" if component is None
                 else f"from component {component}'s mean")  # the downloaded figures' titles say where they start
    if along is not None:
        steps = st.slider("Steps", 3, 15, 9, key="trav-dir-steps")
        codes, travel = along.path(base, steps, span)
        row = lab.decode_latents(ck.model, codes)[None]
        if ds.is_image:
            picture = lab.image_grid(row)
            ends = "first centroid … second centroid" if along.ends is not None else f"-{span:g} … +{span:g} units"
            st.image(picture, caption=f"along {along.description}; columns: {ends}", output_format="PNG")
            traversal_downloads.direction_downloads(row, along.name, travel, ctx.checkpoint_name, along.description
                                                    if along.ends is not None else f"{base_text}; along {along.description}")
        elif ds.is_signal:
            signal_view.show_traversal(ds, row, [along.name], travel[None], [along.name], [f"{t:+.2f}" for t in travel],
                                       f"along {along.description}", "direction", "dl-dir-grid", row_name="direction")
        elif has_texts(ds):
            show_nearest(ds, row[0], [f"{t:+.2f}" for t in travel], f"along {along.description}: the text nearest to "
                         "each step (what this direction reads like)", k=1, key="trav-dir-texts")
        else:
            table = lab.Traversal(row, [], travel[None], base, along).to_table(ds.feature_names)
            st.dataframe(table, width="stretch")
            st.download_button("Download table (CSV)", table.to_csv(index=False).encode(), "direction.csv", "text/csv")
    else:  # one row per latent axis
        default_dims = [d for d in order if d not in passive][:8] or order[:8]
        g1, g2 = st.columns([3, 1])
        dims = g1.multiselect("Dimensions (rows)", order, default=default_dims, format_func=lambda d: f"z{d}", key="trav-dims")
        steps = g2.slider("Steps", 3, 15, 9, key="trav-steps") if codebook is None else codebook.shape[1]
        if codebook is not None:
            g2.caption(f"Columns: the {steps} codebook values of each latent, lowest first.")
        if dims:
            values = lab.grid_values(ck, emb, dims, steps, span)
            grid = lab.traversal_grid(ck.model, base, dims, values)
            if not has_texts(ds):  # a paper figure of the grid (PDF, SVG, PNG)
                figure_downloads.traversal_download(ds, emb, grid, dims, values, f"{ctx.checkpoint_name} · {base_text}")
            if ds.is_image:
                picture = lab.image_grid(grid)
                columns = "each latent's codebook values, lowest first" if codebook is not None else f"-{span:g} … +{span:g}"
                st.image(picture, caption="rows: " + ", ".join(f"z{d}" for d in dims) + f"; columns: {columns}", output_format="PNG")
                traversal_downloads.grid_downloads(grid, dims, values, emb, ctx.checkpoint_name,
                                                   f"{base_text}; columns: the latent's value")
            elif ds.is_signal:
                columns = ("lowest … highest codebook value" if codebook is not None else f"-{span:g} … +{span:g}")
                signal_view.show_traversal(ds, grid, dims, values, [f"z{d}" for d in dims],
                                           [f"{k + 1}" for k in range(grid.shape[1])],
                                           "rows: " + ", ".join(f"z{d}" for d in dims) + f"; columns: {columns}",
                                           "traversal", "dl-grid")
            elif has_texts(ds):
                names = [f"z{d} = {v:+.2f}" for d, vs in zip(dims, values) for v in vs]
                show_nearest(ds, grid.reshape(len(names), -1), names, "Each latent moved across its range: the text "
                             "nearest to each decoded step", k=1, key="trav-grid-texts")
            else:
                table = lab.Traversal(grid, dims, values, base).to_table(ds.feature_names)
                st.dataframe(table, width="stretch")
                st.download_button("Download table (CSV)", table.to_csv(index=False).encode(), "traversal.csv", "text/csv")

    samples_section(ck, ds, emb)

    st.subheader("Interpolation")
    i1, i2, i3, i4 = st.columns(4)
    default_to = selection[1] if len(selection) > 1 else min(1, len(ds) - 1)
    start = int(i1.number_input("From item", 0, len(ds) - 1, value=index or 0, key="interp-from"))
    end = int(i2.number_input("To item", 0, len(ds) - 1, value=int(default_to), key="interp-to"))
    n_steps = i3.slider("Steps", 3, 16, 8, key="interp-steps")
    spherical = i4.radio("Path", ["linear", "spherical"], horizontal=True, key="interp-kind") == "spherical"
    path = lab.interpolation(ck.model, emb.mean[start], emb.mean[end], n_steps, spherical)
    if ds.is_image:
        strip = lab.image_grid(path[None])
        st.image(strip, caption=f"#{start} → #{end}, {'slerp' if spherical else 'linear'}", output_format="PNG")
        panels.download_png(strip, "Download strip (PNG)", "lab.interpolation.png", "dl-interp")
    elif ds.is_signal:
        signal_view.show_traversal(ds, path[None], ["path"], np.linspace(0, 1, n_steps)[None], ["path"],
                                   [f"{i}" for i in range(n_steps)],
                                   f"#{start} → #{end}, {'slerp' if spherical else 'linear'}", "interpolation",
                                   "dl-interp", row_name="interpolation")
    elif has_texts(ds):
        show_nearest(ds, path, [f"step {i}" for i in range(n_steps)], f"#{start} → #{end}: the text nearest to each "
                     "decoded step", k=1, key="interp-texts")
    else:
        import pandas as pd

        st.dataframe(pd.DataFrame(path.reshape(n_steps, -1), columns=ds.feature_names), width="stretch")
