"""The Traverse page's direction picker: centroid to centroid, a principal component, or a linear probe."""

from __future__ import annotations

import numpy as np
import streamlit as st

from latentlab import lab
from latentlab.lab import Direction

KINDS = {"centroid to centroid": "centroid", "principal component": "pca", "linear probe": "probe"}


@st.cache_data(max_entries=32, show_spinner=False)
def _fit(checkpoint_name: str, fingerprint: str, dataset_name: str, spec: str, groups: np.ndarray | None) -> Direction:
    """A fitted direction; ``fingerprint`` keys the cache to the checkpoint's weights, not only its name."""
    from latentlab.ui import loaders

    return lab.direction(loaders.checkpoint(checkpoint_name), spec, loaders.dataset(dataset_name), groups=groups)


def direction_picker(ctx, ds, ck) -> Direction:
    """Widgets for a direction, in one row; returns the fitted ``Direction`` (errors are ``LatentLabError``)."""
    clusters = st.session_state.get("ll_clusters", {}).get((ctx.checkpoint_name, ctx.dataset_name))
    c1, c2, c3, c4 = st.columns([2, 2, 2, 2])
    kind = KINDS[c1.selectbox("Direction", list(KINDS), key="dir-kind",
                              help="From one group's mean code to another's, along a principal component of the "
                                   "codes, or along what a linear probe of a label or factor reads.")]
    groups = None
    if kind == "centroid":
        sources = (["labels"] if ds.labels is not None else []) + (["clusters"] if clusters is not None else [])
        if not sources:
            st.info("This dataset has no labels; cluster it on the Clusters page to walk between cluster centroids.")
            st.stop()
        source = c2.selectbox("Between", sources, key="dir-groups",
                              help="The dataset's label classes, or the clusters last made on the Clusters page.")
        values = np.asarray(ds.labels) if source == "labels" else np.asarray(clusters)
        groups = None if source == "labels" else values
        names = sorted({str(v) for v in np.unique(values) if str(v) != "-1"}, key=lambda v: (len(v), v))
        a = c3.selectbox("From", names, index=0, key=f"dir-from-{source}")
        b = c4.selectbox("To", names, index=min(1, len(names) - 1), key=f"dir-to-{source}")
        spec = f"centroid:{a}-{b}"
    elif kind == "pca":
        k = int(c2.number_input("Component", 0, ck.latent_dim - 1, 0, key="dir-pc"))
        spec = f"pca:{k}"
    else:
        targets = ([f"{ds.label_name} = {v}" for v in sorted({str(v) for v in np.unique(np.asarray(ds.labels))})]
                   if ds.labels is not None else [])
        targets += [] if ds.factors is None else [f"factor {c}" for c in ds.factors.columns]
        if not targets:
            st.info("A probe needs labels or ground-truth factors, and this dataset has neither.")
            st.stop()
        target = c2.selectbox("Probe for", targets, key="dir-probe")
        spec = f"probe:{target[len('factor '):]}" if target.startswith("factor ") else \
            f"probe:{ds.label_name}={target.split(' = ', 1)[1]}"
    along = _fit(ctx.checkpoint_name, ck.fingerprint, ctx.dataset_name, spec, groups)
    st.caption(f"Along {along.description}" + ("; travel 0 is the first centroid, 1 the second." if along.ends is not None
                                               else f"; one unit of travel is {along.scale:.3g} in latent space "
                                                    "(a standard deviation of the codes along it)."))
    return along
