"""Map: the latent space projected with UMAP, PCA or t-SNE."""

import numpy as np
import streamlit as st

from latentlab import lab
from latentlab.ui import loaders, figures, forms, item_route, panels, scatter, text_view
from latentlab.ui import figure_downloads
from latentlab.ui.map_colours import map_clusters, stored_clusters
from latentlab.ui.jobs import run_or_submit_projection
from latentlab.ui.map_settings import kept_selection, remember_map_settings, selection_map_key
from latentlab.ui.sidebar import start_page, user_errors

MAP_KEY = "map-scatter"

ctx = start_page("Map", vectors_ok=True)

with user_errors():
    ds, ck, emb = ctx.dataset(), ctx.checkpoint(), ctx.embedding()

    top = st.columns([1, 1, 2, 2])
    method = top[0].selectbox("Projection", list(lab.PROJECTORS), key="map-method")
    dims = top[1].radio("Dimensions", [2, 3], horizontal=True, key="map-dims")
    # "cluster" is always offered: the Clusters page's clustering, else a default k-means made when chosen.
    options = lab.colour_options(ds, emb, has_clusters=True)
    colour = top[2].selectbox("Colour by", options, key="map-colour")
    clusters, clusters_caption = map_clusters(ctx, ds, emb) if colour == "cluster" else (stored_clusters(ctx), None)
    if clusters_caption:
        st.caption(clusters_caption)
    metric = lab.suggested_metric(method, emb.mean)
    if metric:
        st.caption(f"These vectors all have unit norm, as many encoders' embeddings do, so the metric starts at "
                   f"{metric}, which compares their directions (Projection parameters).")
    # Widgets keep their value under one key, so vectors of unit norm get keys of their own: each starts at its default.
    form_key = f"map-{method}" + ("-unit-norm" if metric else "")
    with st.expander("Projection parameters"):
        with st.form("map-params"):
            params = forms.params_form(lab.PROJECTORS[method].PARAMS, form_key, defaults={"metric": metric})
            seed = int(st.number_input("seed", value=0, step=1, key="map-seed"))
            st.form_submit_button("Recompute")
    remember_map_settings(method, dims, params, seed)
    hits = text_view.search_box(ds) if text_view.has_texts(ds) else None
    found = None if hits is None else text_view.hit_rows(hits)

    xy = run_or_submit_projection(ctx, emb, method, dims, params, seed)
    if xy is None:
        st.stop()
    if colour == "cluster" and clusters is None:  # a large set's default clustering still runs as a job
        colour = options[0] if options[0] != "cluster" else options[1]
    values, categorical = lab.colour_values(ds, emb, colour, clusters)
    about = f"{ck.model_name}, {ck.latent_dim} latent dimensions" if ck else f"{emb.latent_dim}-D vectors, no model"
    top[3].metric("Points", f"{len(ds):,}", help=about)
    space = emb.mean if ctx.space == "latent means" else xy

    if dims == 2:
        # The selection lives with the map it was made on; a new projection starts with none.
        this_map = selection_map_key(ctx.checkpoint_name, ctx.dataset_name, method, params, seed)
        sent = scatter.pending_selection(MAP_KEY)
        if sent is not None:
            st.session_state["ll_map_selection"] = {"map": this_map, "rows": sent}
        picked = kept_selection(this_map, lab.projection_key(emb, method, dims, seed, **params))
        nearest = lab.nearest_neighbours(space, int(picked[0]))[0] if len(picked) == 1 else None
        hover = {"base": item_route.base_url(ctx.dataset_name, ds), "image": item_route.has_picture(ds)}
        ringed = found if found is not None else nearest  # a search's hits, else a clicked point's neighbours
        focus = int(picked[0]) if found is None and len(picked) == 1 else None
        named = figure_downloads.placed_labels(ds, xy, clusters, text_view.map_labels(ds, xy, clusters))
        scatter.scatter_map(MAP_KEY, xy, scatter.colouring(values, categorical, colour), highlight=ringed, items=hover,
                            labels=named, selected=picked, focus=focus)
        figure_downloads.map_downloads("map-fig", ds, xy, values, categorical, colour, clusters, named,
                                       f"{ctx.checkpoint_name or ctx.dataset_name}: {method.upper()}",
                                       (f"{method.upper()} 1", f"{method.upper()} 2"))
    else:
        # 3-D stays on plotly, which draws a fixed sample above figures.MAP_POINT_CAP points.
        rows = figures.drawn_rows(len(xy))
        texts = figures.hover_texts(ds, emb, colour, values, loaders.thumbnails(ctx.dataset_name), rows=rows)
        picked = np.asarray(figures.selected_ids(st.session_state.get("map-chart")), np.int64)
        fig = figures.map_figure(xy, values, categorical, texts, colour, rows=rows)
        if len(rows) < len(xy):
            st.caption(f"The 3-D map draws a fixed sample of {len(rows):,} of the {len(xy):,} points; selections, "
                       "neighbours and exports use the whole set.")
        st.plotly_chart(fig, key="map-chart", on_select="rerun", selection_mode=("points", "box", "lasso"),
                        width="stretch", config={"displaylogo": False})

    st.session_state["ll_selection"] = picked  # sorted rows; the Traverse page starts from one
    if hits is not None:
        text_view.show_search_hits(ds, hits)
    if len(picked) == 1:
        panels.neighbours_panel(ctx, int(picked[0]), space)
    elif len(picked) > 1:
        panels.selection_panel(ctx, picked, clusters)
    else:
        what = ("compare inputs with reconstructions" if ck is not None and emb.has_reconstructions
                else "read their texts" if text_view.has_texts(ds) else "see their labels and values")
        st.caption(f"Lasso or box-select points to {what}; click a point for its nearest neighbours (ringed on the "
                   "map). The wheel zooms; Pan mode drags the view; Escape clears the selection.")
