"""The Map page's clusters to colour by: the Clusters page's, or a default k-means made here when that page has
not run."""

from __future__ import annotations

import numpy as np
import streamlit as st

from latentlab.ui.clusters_settings import suggested_k

DEFAULT_METHOD = "kmeans"


def stored_clusters(ctx) -> np.ndarray | None:
    """The clustering the Clusters page made for this checkpoint and dataset, if any."""
    return st.session_state.get("ll_clusters", {}).get((ctx.checkpoint_name, ctx.dataset_name))


def map_clusters(ctx, ds, emb) -> tuple[np.ndarray | None, str]:
    """Clusters to colour the map by, and a caption saying what they are: the Clusters page's clustering, or
    k-means with the suggested k on the latent means (a background job on a large set: None until it is done)."""
    from latentlab.ui.jobs import run_or_submit_clustering

    stored = stored_clusters(ctx)
    if stored is not None and len(stored) == len(ds):
        return stored, "Clusters from the Clusters page."
    k, why = suggested_k(ds, DEFAULT_METHOD)  # the Clusters page's starting k
    result = run_or_submit_clustering(ctx, emb, ds, DEFAULT_METHOD, "latent", 0, None, {"k": k})
    space = "vectors" if ctx.vectors else "latent means"
    caption = f"k-means with k = {k} ({why}) on the {space}; choose another clustering on the Clusters page."
    return (None if result is None else result.labels), caption
