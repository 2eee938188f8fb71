"""Pieces of the Features page: cached feature statistics, the density and activation histograms, the
ranked table, and a feature's top-activating items (a picture grid for images, rows for tables)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from latentlab import lab
from latentlab.ui.panels import gallery

TABLE_ROWS = 200  # rows of the ranked table shown (the rest is one download away)


@st.cache_data(max_entries=8, show_spinner="Counting how often each feature fires...")
def stats(emb_key: str, _codes: np.ndarray) -> lab.FeatureStats:
    """``lab.feature_stats`` of an embedding's codes; ``emb_key`` stands for them in the cache key."""
    return lab.feature_stats(_codes)


@st.cache_data(max_entries=16, show_spinner="Splitting the labels by feature...")
def split(emb_key: str, labels_name: str, _codes: np.ndarray, _labels: np.ndarray,
          _stats: lab.FeatureStats) -> lab.LabelSplit:
    return lab.label_split(_codes, _labels, _stats)


def label_choices(ds) -> dict[str, np.ndarray]:
    """What a label split can split: the labels and each ground-truth factor, by name."""
    choices = {}
    if ds.labels is not None:
        choices[ds.label_name] = np.asarray(ds.labels)
    if ds.factors is not None:
        for column in ds.factors.columns:
            choices[f"factor: {column}"] = ds.factors[column].to_numpy()
    return choices


def density_histogram(stats: lab.FeatureStats) -> go.Figure:
    """The features' firing frequencies on a log10 axis, dead features counted in the title."""
    dead = int(stats.dead.sum())
    fig = go.Figure(go.Histogram(x=stats.log10_density(), nbinsx=50, marker_color="#636efa",
                                 hovertemplate="log10 density %{x}: %{y} features<extra></extra>"))
    fig.update_layout(title=f"Feature density: log10 of the share of items each feature fires on · {dead:,} dead",
                      height=280, margin=dict(l=10, r=10, t=40, b=10), xaxis_title="log10 density",
                      yaxis_title="features", bargap=0.05)
    return fig


def activation_histogram(counts: np.ndarray, edges: np.ndarray, title: str) -> go.Figure:
    centres = (edges[:-1] + edges[1:]) / 2 if len(counts) else np.zeros(0)
    fig = go.Figure(go.Bar(x=centres, y=counts, width=np.diff(edges) if len(counts) else None, marker_color="#00a98f",
                           hovertemplate="activation %{x:.3g}: %{y} items<extra></extra>"))
    fig.update_layout(title=title, height=280, margin=dict(l=10, r=10, t=40, b=10), xaxis_title="activation",
                      yaxis_title="items", bargap=0.0)
    return fig


def ranked_table(table: pd.DataFrame) -> None:
    shown = table.head(TABLE_ROWS).copy()
    shown.insert(0, "name", [f"z{d}" for d in shown["feature"]])
    st.dataframe(shown.drop(columns=["feature"]), hide_index=True, width="stretch", height=300, key="feat-table",
                 column_config={"density": st.column_config.NumberColumn(format="%.4f"),
                                "log10 density": st.column_config.NumberColumn(format="%.2f")})
    if len(table) > TABLE_ROWS:
        st.caption(f"The first {TABLE_ROWS} of {len(table):,} features in this order.")
    st.download_button("Download the feature table as CSV", table.to_csv(index=False).encode(), file_name="sae_features.csv",
                       mime="text/csv", key="feat-csv")


def top_items(items_ds, rows: np.ndarray, values: np.ndarray, feature: int) -> None:
    """The items at ``rows`` (largest activation first): pictures for images, texts for documents, rows for
    tables and vectors."""
    if not len(rows):
        st.info(f"z{feature} fires on none of these items.")
        return
    labels = None if items_ds.labels is None else np.asarray(items_ds.labels)[rows]
    if items_ds.is_image:
        caption = f"top-activating items of z{feature} from {items_ds.name}"
        if labels is not None:
            caption += f" · {items_ds.label_name}: " + " ".join(str(v) for v in labels)
        gallery(items_ds.as_float(rows), columns=8, caption=caption)
        return
    if getattr(items_ds, "texts", None) is not None:  # documents: their texts, as data (never markup)
        from latentlab.ui.text_view import show_texts

        show_texts(items_ds, rows, {"activation": np.round(values, 4)}, key="feat-top-texts")
        st.caption(f"Top-activating texts of z{feature} from {items_ds.name}, largest first.")
        return
    frame = pd.DataFrame(np.asarray(items_ds.x[np.asarray(rows)]).reshape(len(rows), -1),
                         columns=items_ds.feature_names or None)
    frame.insert(0, "activation", values)
    if labels is not None:
        frame.insert(1, items_ds.label_name, labels)
    frame.index = [f"#{r}" for r in rows]
    st.dataframe(frame, width="stretch", key="feat-top-rows")
    st.caption(f"Top-activating items of z{feature} from {items_ds.name}, largest first.")
