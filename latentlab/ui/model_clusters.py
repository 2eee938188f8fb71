"""The Clusters page's parts for a model that clusters its codes (``LatentModel.n_clusters`` > 0, such as
dec): its own clustering as a method, the assignment confidence as a colouring, and its clusters beside
k-means with the same k on the same codes."""

from __future__ import annotations

import streamlit as st

from latentlab.lab import CLUSTERERS, MODEL_METHOD
from latentlab.lab import BesideKMeans
from latentlab.lab import CONFIDENCE
from latentlab.ui import figures
from latentlab.ui.jobs import run_or_submit_clustering


def clusters_itself(ck) -> bool:
    return ck is not None and ck.model.n_clusters > 0


def method_options(ck) -> list[str]:
    """The registered clustering methods; those that read a model's own clusters only when it has them."""
    return [name for name, cls in CLUSTERERS.items() if clusters_itself(ck) or not cls.READS_MODEL]


def method_label(method: str, model_name: str | None) -> str:
    """How a method is shown: one that reads a model's own clusters names the model's family, e.g. "model (dec)"."""
    return f"{method} ({model_name})" if model_name and CLUSTERERS.lookup(method).READS_MODEL else method


def method_format(ck):
    model_name = ck.model_name if ck is not None else None
    return lambda method: method_label(method, model_name)


def method_params(method: str) -> tuple:
    """What the form asks for: the method's declared parameters (the model's own clusters take none)."""
    return CLUSTERERS.entry(method).params


def map_colour(emb) -> str:
    """Colour the map by the clusters, or (for a model that clusters) by how sure the model is of each item."""
    if emb.assign is None:
        return "cluster"
    return st.radio("Colour the map by", ["cluster", CONFIDENCE], horizontal=True, key="cl-colour",
                    help="assignment confidence: each item's largest soft assignment under the model (1: sure, "
                         f"1/K: no idea; K = {emb.assign.shape[1]})")


def comparison_panel(ctx, emb, ds, ck, seed: int) -> None:
    """The model's clusters and k-means with the same k, both on the latent means: their scores side by side,
    how far they agree, and which clusters share items."""
    K = ck.model.n_clusters
    name = method_label(MODEL_METHOD, ck.model_name)
    st.subheader(f"{name} beside k-means")
    st.caption(f"Both on the {len(ds):,} latent means: the model's {K} clusters (each item's most likely one) and "
               f"k-means with k = {K}, seed {seed}.")
    ours = run_or_submit_clustering(ctx, emb, ds, MODEL_METHOD, "latent", seed, None, {})
    kmeans = run_or_submit_clustering(ctx, emb, ds, "kmeans", "latent", seed, None, {"k": K})
    if ours is None or kmeans is None:
        return
    both = BesideKMeans.of(ours, kmeans)
    left, right = st.columns([3, 1])
    left.dataframe(both.scores(name), hide_index=True, width="stretch", key="cl-compare-scores",
                   column_config={"score": st.column_config.TextColumn("Score")})
    right.metric("agreement (ARI)", f"{both.ari:.3f}", help="adjusted Rand index between the two clusterings")
    right.metric("agreement (NMI)", f"{both.nmi:.3f}", help="normalised mutual information between them")
    rows, cols, counts = both.shared()
    st.plotly_chart(figures.heatmap(counts, [f"k{c}" for c in cols], [f"m{r}" for r in rows],
                                    "items shared: model (rows) × k-means (columns)"),
                    width="stretch", key="cl-compare-shared")
    st.caption(f"The same comparison: `latentlab cluster {ck.name} --method model --beside-kmeans --seed {seed} "
               "--out clusters.csv`, or `ll.beside_kmeans` in Python.")
