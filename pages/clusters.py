"""Clusters: cluster the latent means or the projection, score and explain the clusters."""

import numpy as np
import pandas as pd
import streamlit as st

from latentlab import lab
from latentlab.ui import capabilities, figures, forms, item_route, model_clusters, panels, scatter, text_view
from latentlab.ui import cluster_rules_view
from latentlab.ui.jobs import run_or_submit_clustering, run_or_submit_projection
from latentlab.ui.map_settings import map_settings, projection_of_map
from latentlab.ui.sidebar import start_page, user_errors

ctx = start_page("Clusters", vectors_ok=True)

with user_errors():
    ds, ck, emb = ctx.dataset(), ctx.checkpoint(), ctx.embedding()
    map_cfg = map_settings()
    on = "latent" if ctx.space == "latent means" else "projection"

    method = st.selectbox("Algorithm", model_clusters.method_options(ck), format_func=model_clusters.method_format(ck),
                          key="cl-method")
    with st.form("cluster-form"):
        params = forms.params_form(model_clusters.method_params(method), f"cl-{method}")
        default_k = len(set(np.asarray(ds.labels).tolist())) if ds.labels is not None else 8
        seed = int(st.number_input("seed", value=0, step=1, key="cl-seed"))
        st.form_submit_button("Recluster", type="primary")
    space_text = "latent means" if on == "latent" else f"the {map_cfg['method'].upper()} projection"
    st.caption(f"Clustering {len(ds):,} points in {space_text} (change the space in the sidebar). "
               f"Suggested k for this dataset: {default_k}.")

    projection = projection_of_map() if on == "projection" else None
    result = run_or_submit_clustering(ctx, emb, ds, method, on, seed, projection, params)
    if result is None:
        st.stop()
    labels = result.labels
    st.session_state.setdefault("ll_clusters", {})[(ctx.checkpoint_name, ctx.dataset_name)] = labels

    scores = result.scores
    cols = st.columns(6)
    for col, key in zip(cols, ["n_clusters", "silhouette", "davies_bouldin", "calinski_harabasz", "ari", "nmi"]):
        if key in scores:
            col.metric(key.replace("_", " "), f"{scores[key]:.3g}")
    if "matched_accuracy" in scores:
        st.caption(f"Matched accuracy against {ds.label_name}: {scores['matched_accuracy']:.1%} · "
                   f"noise fraction: {scores['noise_fraction']:.1%}")

    xy = run_or_submit_projection(ctx, emb, map_cfg["method"], map_cfg["dims"], map_cfg["params"], map_cfg["seed"])
    if xy is not None:
        colour = model_clusters.map_colour(emb)
        values, categorical = lab.colour_values(ds, emb, colour, labels)
        if xy.shape[1] == 2:
            ruled = cluster_rules_view.clicked_rows(labels)  # the items of the rule clicked below, on both maps
            cluster_rules_view.share_click(ctx, emb, ruled)
            hover = {"base": item_route.base_url(ctx.dataset_name, ds), "image": ds.is_image}
            scatter.scatter_map("cl-map", xy, scatter.colouring(values, categorical, colour), items=hover, height=480,
                                selectable=False, labels=text_view.map_labels(ds, xy, labels, result.keywords),
                                selected=np.zeros(0, np.int64) if ruled is None else ruled)
        else:  # a 3-D map setting from the Map page: plotly, on a fixed sample above its point cap
            rows = figures.drawn_rows(len(xy))
            texts = figures.hover_texts(ds, emb, colour, values, rows=rows)
            st.plotly_chart(figures.map_figure(xy, values, categorical, texts, colour, height=480, rows=rows),
                            width="stretch", key="cl-map-3d")
            if len(rows) < len(xy):
                st.caption(f"The map draws a fixed sample of {len(rows):,} of the {len(xy):,} points.")

    if model_clusters.clusters_itself(ck):
        model_clusters.comparison_panel(ctx, emb, ds, ck, seed)

    st.subheader("Clusters")
    st.dataframe(result.table, width="stretch", hide_index=True)
    st.download_button("Export cluster labels (CSV)",
                       text_view.cluster_labels_csv(labels, result.keywords),
                       file_name="clusters.csv", mime="text/csv")
    cluster_rules_view.rules_panel(emb, ds, labels, xy, seed)

    ids = sorted(set(labels.tolist()))
    chosen = st.selectbox("Inspect cluster", ids, format_func=lambda c: "noise" if c < 0 else f"cluster {c}", key="cl-chosen")
    members = np.flatnonzero(labels == chosen)
    a, b = st.columns([2, 1])
    with a:
        st.markdown(f"**{len(members):,} members** ({len(members) / len(labels):.1%})")
        if ds.labels is not None:
            mix = pd.Series(np.asarray(ds.labels)[members].astype(str)).value_counts()
            st.plotly_chart(figures.mix_bar(mix.index.tolist(), mix.tolist(), f"{ds.label_name} composition"),
                            width="stretch", key="cl-mix")
        dims = lab.distinguishing_dims(emb.mean, labels, chosen, top=5)
        if dims:
            st.markdown("**What sets it apart:** " + ", ".join(f"z{d} ({v:+.2f} sd)" for d, v in dims))
    with b:
        if chosen >= 0 and ck is not None and not capabilities.unavailable(ck, "reconstructions"):
            centre = lab.centroids(emb.mean, labels)[chosen]
            decoded = lab.decode_latents(ck.model, centre)
            if ds.is_image:
                panels.gallery(decoded, 1, "decoded centroid")
            elif text_view.has_texts(ds):
                text_view.show_nearest(ds, decoded, ["centroid"], "The decoded centroid reads like these texts",
                                       key="cl-centroid-texts")
            else:
                st.plotly_chart(figures.feature_bars(decoded[0].reshape(-1), ds.feature_names, "decoded centroid"),
                                width="stretch", key="cl-centroid")
    rng = np.random.default_rng(0)
    sample = np.sort(rng.choice(members, size=min(len(members), panels.MAX_GALLERY), replace=False))
    if ds.is_image:
        panels.gallery(ds.as_float(sample), 8, "members (random sample)")
    elif text_view.has_texts(ds):
        st.caption("Members (random sample)")
        text_view.show_texts(ds, sample, key="cl-texts")
    else:
        st.dataframe(pd.DataFrame(ds.x[sample], columns=ds.feature_names or None, index=sample), width="stretch")
