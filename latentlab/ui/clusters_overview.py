"""The Clusters page's overview: the scores in one row, the map coloured by cluster (with the items of a clicked
rule selected), the per-cluster table and one cluster inspected (its label mix, what sets it apart, its decoded
centroid and some members)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from latentlab import lab
from latentlab.ui import capabilities, cluster_rules_view, figures, item_route, model_clusters, panels, scatter
from latentlab.ui import text_view

SCORES = {  # key: (label, help)
    "n_clusters": ("Clusters", "clusters found, noise left out"),
    "silhouette": ("Silhouette", "how much closer items are to their own cluster than to the next (-1 to 1, "
                                 "higher is better)"),
    "davies_bouldin": ("Davies–Bouldin", "Davies–Bouldin index: each cluster's spread against its distance to "
                                         "the most similar one (0 and up, lower is better)"),
    "calinski_harabasz": ("Calinski–Harabasz", "Calinski–Harabasz index: spread between clusters over spread "
                                               "within them (higher is better)"),
    "ari": ("ARI", "adjusted Rand index against the dataset's labels (1: the same partition, 0: chance)"),
    "nmi": ("NMI", "normalised mutual information with the dataset's labels (1: the same partition, 0: none)"),
}
MAP_HEIGHT = 480


def score_metrics(scores: dict, ds) -> None:
    cols = st.columns(len(SCORES))
    for col, (key, (label, help_text)) in zip(cols, SCORES.items()):
        if key in scores:
            col.metric(label, f"{scores[key]:.3g}", help=help_text)
    notes = []
    if "matched_accuracy" in scores:
        notes.append(f"Matched accuracy against {ds.label_name}: {scores['matched_accuracy']:.1%}")
    if scores.get("noise_fraction", 0) > 0:
        notes.append(f"noise (no cluster): {scores['noise_fraction']:.1%}")
    if notes:
        st.caption(" · ".join(notes))


def cluster_map(ctx, emb, ds, xy: np.ndarray, labels: np.ndarray, keywords: dict) -> None:
    """The map coloured by cluster; a 2-D map shows the items of the rule clicked in the Rules tab selected."""
    colour = model_clusters.map_colour(emb)
    values, categorical = lab.colour_values(ds, emb, colour, labels)
    if xy.shape[1] == 2:
        clicked = cluster_rules_view.clicked_rule(labels)  # the items of the rule clicked, on both maps
        ruled = None if clicked is None else clicked.rows
        cluster_rules_view.share_click(ctx, emb, ruled)
        hover = {"base": item_route.base_url(ctx.dataset_name, ds), "image": ds.is_image}
        scatter.scatter_map("cl-map", xy, scatter.colouring(values, categorical, colour), items=hover,
                            height=MAP_HEIGHT, selectable=False,
                            labels=text_view.map_labels(ds, xy, labels, keywords),
                            selected=np.zeros(0, np.int64) if ruled is None else ruled)
        st.caption(clicked.text() if clicked is not None else
                   "Click a row in the Rules tab to select the items its rule covers on this map.")
    else:  # a 3-D map setting from the Map page: plotly, on a fixed sample above its point cap
        rows = figures.drawn_rows(len(xy))
        texts = figures.hover_texts(ds, emb, colour, values, rows=rows)
        st.plotly_chart(figures.map_figure(xy, values, categorical, texts, colour, height=MAP_HEIGHT, rows=rows),
                        width="stretch", key="cl-map-3d")
        if len(rows) < len(xy):
            st.caption(f"The map draws a fixed sample of {len(rows):,} of the {len(xy):,} points.")


def table_columns(ds) -> dict:
    """How the per-cluster table's columns are shown."""
    col = st.column_config
    return {"cluster": col.NumberColumn("Cluster", help="-1 is noise: items in no cluster", format="%d"),
            "size": col.NumberColumn("Items", format="%d"),
            "share": col.NumberColumn("Share", help="of all items", format="%.1f%%"),
            "top_label": col.TextColumn(f"Most common {ds.label_name}"),
            "purity": col.NumberColumn("Purity", format="%.1f%%",
                                       help=f"the share of the cluster's items with its most common {ds.label_name}"),
            "distinguishing_dims": col.TextColumn(
                "Distinguishing latents", help="the latents whose mean differs most from the other items', in pooled "
                                               "standard deviations (Cohen's d)"),
            "keywords": col.TextColumn("Keywords", help="the words that set the cluster's texts apart (c-TF-IDF)")}


def clusters_table(result, ds) -> None:
    shown = result.table.copy()
    for name in ("share", "purity"):  # shown as percentages with one decimal
        if name in shown:
            shown[name] = 100 * shown[name]
    st.dataframe(shown, width="stretch", hide_index=True, key="cl-table", column_config=table_columns(ds))
    st.download_button("Export cluster labels (CSV)", text_view.cluster_labels_csv(result.labels, result.keywords),
                       file_name="clusters.csv", mime="text/csv")


def inspect_panel(emb, ds, ck, labels: np.ndarray) -> None:
    """One cluster: its size, label mix, distinguishing latents, decoded centroid and a sample of its members."""
    ids = sorted(set(labels.tolist()))
    chosen = st.selectbox("Inspect cluster", ids, format_func=lambda c: "noise" if c < 0 else f"cluster {c}",
                          key="cl-chosen")
    members = np.flatnonzero(labels == chosen)
    a, b = st.columns([2, 1])
    with a:
        st.markdown(f"**{len(members):,} members** ({len(members) / len(labels):.1%})")
        dims = lab.distinguishing_dims(emb.mean, labels, chosen, top=5)
        if dims:
            st.markdown("**What sets it apart:** " + ", ".join(f"z{d} ({v:+.2f} sd)" for d, v in dims))
        if ds.labels is not None:
            mix = pd.Series(np.asarray(ds.labels)[members].astype(str)).value_counts()
            st.plotly_chart(figures.mix_bar(mix.index.tolist(), mix.tolist(), f"{ds.label_name} composition"),
                            width="stretch", key="cl-mix")
    with b:
        _decoded_centroid(emb, ds, ck, labels, chosen)
    rng = np.random.default_rng(0)
    sample = np.sort(rng.choice(members, size=min(len(members), panels.MAX_GALLERY), replace=False))
    if ds.is_image:
        panels.gallery(ds.as_float(sample), 8, "members (random sample)")
    elif text_view.has_texts(ds):
        st.caption("Members (random sample)")
        text_view.show_texts(ds, sample, key="cl-texts")
    else:
        names = ds.feature_names if len(ds.feature_names or []) == np.shape(ds.x)[1] else \
            [f"x{j}" for j in range(np.shape(ds.x)[1])]  # the names the rules over features use
        st.dataframe(pd.DataFrame(ds.x[sample], columns=names, index=sample), width="stretch",
                     column_config={"_index": st.column_config.NumberColumn("Item", format="%d")})


def _decoded_centroid(emb, ds, ck, labels: np.ndarray, chosen: int) -> None:
    if chosen < 0 or ck is None or capabilities.unavailable(ck, "reconstructions"):
        return
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
