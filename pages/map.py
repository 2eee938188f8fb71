"""Map: the latent space projected with UMAP, PCA or t-SNE."""

import numpy as np
import streamlit as st

from latentlab import explore
from latentlab.projection import PROJECTORS
from latentlab.ui import cache, figures, forms, panels
from latentlab.ui.jobs import run_or_submit_projection
from latentlab.ui.sidebar import start_page, user_errors


ctx = start_page("Map", vectors_ok=True)

with user_errors():
    ds, ck, emb = ctx.dataset(), ctx.checkpoint(), ctx.embedding()

    top = st.columns([1, 1, 2, 2])
    method = top[0].selectbox("Projection", list(PROJECTORS), key="map-method")
    dims = top[1].radio("Dimensions", [2, 3], horizontal=True, key="map-dims")
    clusters = st.session_state.get("ll_clusters", {}).get((ctx.checkpoint_name, ctx.dataset_name))
    options = explore.colour_options(ds, emb, has_clusters=clusters is not None)
    colour = top[2].selectbox("Colour by", options, key="map-colour")
    with st.expander("Projection parameters"):
        with st.form("map-params"):
            params = forms.params_form(PROJECTORS[method].PARAMS, f"map-{method}")
            seed = int(st.number_input("seed", value=0, step=1, key="map-seed"))
            st.form_submit_button("Recompute")
    st.session_state["ll_map"] = {"method": method, "dims": dims, "params": params, "seed": seed}

    xy = run_or_submit_projection(ctx, emb, method, dims, params, seed)
    if xy is None:
        st.stop()
    values, categorical = explore.colour_values(ds, emb, colour, clusters)
    rows = figures.drawn_rows(len(xy))
    texts = figures.hover_texts(ds, emb, colour, values, cache.thumbnails(ctx.dataset_name), rows=rows)
    about = f"{ck.model_name}, {ck.latent_dim} latent dimensions" if ck else f"{emb.latent_dim}-D vectors, no model"
    top[3].metric("Points", f"{len(ds):,}", help=about)

    # The chart's selection from the last interaction is in session state before the chart is drawn,
    # so a clicked point's neighbours can be ringed on the same run.
    picked = figures.selected_ids(st.session_state.get("map-chart"))
    space = emb.mean if ctx.space == "latent means" else xy
    nearest = explore.nearest_neighbours(space, picked[0])[0] if len(picked) == 1 else None
    fig = figures.map_figure(xy, values, categorical, texts, colour, highlight=nearest, rows=rows)
    if len(rows) < len(xy):
        st.caption(f"The map draws a fixed sample of {len(rows):,} of the {len(xy):,} points; selections, "
                   "neighbours and exports use the whole set.")
    st.plotly_chart(fig, key="map-chart", on_select="rerun", selection_mode=("points", "box", "lasso"),
                    width="stretch", config={"displaylogo": False})

    st.session_state["ll_selection"] = picked
    if len(picked) == 1:
        panels.neighbours_panel(ctx, picked[0], space)
    elif len(picked) > 1:
        panels.selection_panel(ctx, np.asarray(picked), clusters)
    else:
        st.caption("Lasso or box-select points to compare inputs with reconstructions; click a point for its nearest neighbours.")
