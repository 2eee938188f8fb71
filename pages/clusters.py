"""Clusters: cluster the latent means or the projection, score and explain the clusters."""

import streamlit as st

from latentlab.ui import cluster_rules_view, clusters_overview, clusters_settings, clusters_tree, model_clusters
from latentlab.ui import figure_downloads
from latentlab.ui.jobs import run_or_submit_clustering, run_or_submit_projection
from latentlab.ui.map_settings import map_settings, projection_of_map
from latentlab.ui.sidebar import start_page, user_errors

ctx = start_page("Clusters", vectors_ok=True)

with user_errors():
    ds, ck, emb = ctx.dataset(), ctx.checkpoint(), ctx.embedding()
    map_cfg = map_settings()
    on = "latent" if ctx.space == "latent means" else "projection"
    space_text = "latent means" if on == "latent" else f"the {map_cfg['method'].upper()} projection"

    run = clusters_settings.settings_bar(ctx, ds, ck, space_text)  # nothing reclusters until Recluster is pressed
    projection = projection_of_map() if on == "projection" else None
    result = run_or_submit_clustering(ctx, emb, ds, run.method, on, run.seed, projection, run.params)
    if result is None:
        st.stop()
    labels = result.labels
    st.session_state.setdefault("ll_clusters", {})[(ctx.checkpoint_name, ctx.dataset_name)] = labels
    clusters_overview.score_metrics(result.scores, ds)

    # the map beside the tabs, so a rule clicked in the Rules tab shows its items next to it
    xy = run_or_submit_projection(ctx, emb, map_cfg["method"], map_cfg["dims"], map_cfg["params"], map_cfg["seed"])
    map_column, tabs_column = st.columns([9, 11], gap="medium")
    with map_column:
        if xy is not None:
            clusters_overview.cluster_map(ctx, emb, ds, xy, labels, result.keywords)
    with tabs_column:
        names = ["Clusters", "Rules", "Rule tree", "Inspect a cluster"]
        if model_clusters.clusters_itself(ck):
            names.append("Model beside k-means")
        tabs = st.tabs(names, key="cl-tab")
        with tabs[0]:
            clusters_overview.clusters_table(result, ds)
        with tabs[1]:
            explanation, rules_space = cluster_rules_view.rules_panel(emb, ds, labels, xy, run.seed)
        with tabs[2]:
            clusters_tree.tree_panel(explanation, rules_space)
        with tabs[3]:
            clusters_overview.inspect_panel(emb, ds, ck, labels)
        if len(tabs) > 4:
            with tabs[4]:
                model_clusters.comparison_panel(ctx, emb, ds, ck, run.seed)
    with map_column:
        figure_downloads.clusters_download(xy, labels, explanation, result.keywords,
                                           f"{ctx.checkpoint_name or ctx.dataset_name}: clusters")
