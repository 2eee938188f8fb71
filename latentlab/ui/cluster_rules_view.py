"""The Clusters page's rules: each cluster's rule beside it (the threshold tree's path and a short polyhedral
description, with precision and recall), the tree drawn, and a click on a rule that selects the items it covers on
the map (this page's and the Map page's, through the shared map selection)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from latentlab import lab
from latentlab.ui.figures import PALETTE
from latentlab.ui.map_settings import map_settings, selection_map_key, share_selection
from latentlab.ui.scatter import content_key

TABLE_KEY = "cl-rules"
BY_KEY = "cl-rules-by"
BY = {"description": "its description", "tree": "its tree path"}
_STASH = "ll_cluster_rules"  # the last explanation shown, so the next run can map a clicked row to its rows


@st.cache_data(max_entries=8, show_spinner="Describing the clusters by rules...")
def _explain(space_key: str, _emb, _ds, labels_key: str, _labels, space: str, max_halfspaces: int, oblique: bool,
             seed: int, xy_key: str, _xy, map_method: str):
    """``space_key``, ``labels_key`` and ``xy_key`` stand for the arrays in the cache key."""
    return lab.explain_embedding_clusters(_emb, _ds, _labels, space, max_halfspaces, oblique, seed, xy=_xy,
                                          projection={"method": map_method})


def clicked_rows(labels: np.ndarray) -> np.ndarray | None:
    """The rows the rule clicked in the rules table covers (None when no rule is clicked, or the clustering has
    changed since the table was drawn); read before the map is drawn, so the map shows them."""
    state = st.session_state.get(TABLE_KEY) or {}
    try:
        rows = list(state["selection"]["rows"])
    except (KeyError, TypeError):
        rows = []
    stash = st.session_state.get(_STASH)
    if not rows or stash is None or not np.array_equal(stash["labels"], labels):
        return None
    exp = stash["exp"]
    if not 0 <= rows[0] < len(exp.rules):
        return None
    return exp.covered(exp.rules[rows[0]].cluster, st.session_state.get(BY_KEY, "description"))


def share_click(ctx, emb, rows: np.ndarray | None) -> None:
    """A newly clicked rule's rows become the map selection the Map page shows too."""
    if rows is None:
        st.session_state.pop("ll_cluster_rules_shared", None)
        return
    key = content_key(rows)
    if st.session_state.get("ll_cluster_rules_shared") != key:  # once per click: a later lasso on the Map page stays
        cfg = map_settings()
        share_selection(selection_map_key(ctx.checkpoint_name, ctx.dataset_name, cfg["method"], cfg["params"],
                                          cfg["seed"]), rows,
                        lab.projection_key(emb, cfg["method"], cfg["dims"], cfg["seed"], **cfg["params"]))
        st.session_state["ll_cluster_rules_shared"] = key


def rules_panel(emb, ds, labels: np.ndarray, xy: np.ndarray | None, seed: int) -> None:
    """Settings, the rules table (a click selects a rule's items on the map) and the drawn tree."""
    st.subheader("Rules")
    spaces = {"latent": "latent means"}
    if np.ndim(ds.x) == 2:
        spaces["features"] = "the dataset's features"
    if xy is not None and xy.shape[1] == 2:
        spaces["map"] = "the map's axes"
    a, b, c = st.columns([2, 1, 1])
    space = a.radio("Rules over", list(spaces), format_func=spaces.get, horizontal=True, key="cl-rules-space")
    max_halfspaces = int(b.number_input("Half-spaces per cluster", 1, 12, lab.DEFAULT_HALFSPACES, key="cl-rules-max"))
    oblique = c.checkbox("Two-latent half-spaces", key="cl-rules-oblique",
                         help="descriptions may also cut along a direction in the plane of two features")
    if not (labels >= 0).any() or len(set(labels[labels >= 0].tolist())) < 2:
        st.info("Rules describe two or more clusters; this clustering has fewer.")
        return
    method = map_settings()["method"]
    use_xy = xy if space == "map" else None
    exp = _explain(emb.key, emb, ds, content_key(labels), labels, space, max_halfspaces, oblique, seed,
                   "" if use_xy is None else content_key(use_xy), use_xy, method)
    st.session_state[_STASH] = {"labels": labels, "exp": exp}
    st.caption(f"A threshold tree with one leaf per cluster (IMM, Dasgupta et al. 2020) agrees with the clustering "
               f"on {exp.accuracy:.1%} of the items; its k-means cost is {exp.cost_ratio:.3f} times the "
               f"clustering's (1 = the rules lose nothing). Each description is at most {max_halfspaces} half-spaces, "
               "chosen greedily for F1. Click a row to select the items its rule covers on the map.")
    st.radio("A click selects the items of", list(BY), format_func=BY.get, horizontal=True, key=BY_KEY)
    st.dataframe(exp.table(), width="stretch", hide_index=True, on_select="rerun", selection_mode="single-row",
                 key=TABLE_KEY, column_config={k: st.column_config.NumberColumn(format="%.2f") for k in
                                               ("tree precision", "tree recall", "precision", "recall")})
    st.plotly_chart(tree_figure(exp), width="stretch", key="cl-rules-tree")


def tree_figure(exp) -> go.Figure:
    """The threshold tree drawn top down: each inner node's cut (``<=`` to the left), each leaf its cluster in the
    cluster's map colour, with its size."""
    names, nodes, edges = exp.feature_names, [], []
    order = {c: i for i, c in enumerate(sorted(exp.tree.clusters))}
    leaves = iter(range(len(exp.tree.clusters)))

    def place(node, depth: int) -> float:
        if node.is_leaf:
            x = float(next(leaves))
            nodes.append((x, -depth, f"cluster {node.cluster}<br>{node.n:,} items", PALETTE[order[node.cluster] % len(PALETTE)]))
            return x
        xl, xr = place(node.left, depth + 1), place(node.right, depth + 1)
        x = 0.5 * (xl + xr)
        edges.extend([((x, -depth), (xl, -depth - 1)), ((x, -depth), (xr, -depth - 1))])
        nodes.append((x, -depth, f"{names[node.feature]} <= {node.threshold:.3g}<br>{node.mistakes:,} cut off",
                      "#ffffff"))
        return x

    place(exp.tree.root, 0)
    fig = go.Figure()
    ex = [v for (p, q) in edges for v in (p[0], q[0], None)]
    ey = [v for (p, q) in edges for v in (p[1], q[1], None)]
    fig.add_trace(go.Scatter(x=ex, y=ey, mode="lines", line=dict(color="#999999", width=1), hoverinfo="skip"))
    x, y, text, colour = zip(*nodes)
    fig.add_trace(go.Scatter(x=x, y=y, mode="markers+text", text=text, textposition="bottom center",
                             marker=dict(size=14, color=colour, line=dict(color="#444444", width=1)),
                             hoverinfo="text", textfont=dict(size=11)))
    depth = -min(y)
    fig.update_layout(title="Threshold tree (left: <=, right: >)", showlegend=False, height=140 + 110 * depth,
                      margin=dict(l=20, r=20, t=40, b=40), plot_bgcolor="white",
                      xaxis=dict(visible=False, range=[-0.7, len(exp.tree.clusters) - 0.3]),
                      yaxis=dict(visible=False, range=[-depth - 0.6, 0.4]))
    return fig
