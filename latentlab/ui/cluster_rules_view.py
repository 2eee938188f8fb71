"""The Clusters page's rules: each cluster's rule beside it (the threshold tree's path and a short polyhedral
description, with precision and recall), and a click on a rule that selects the items it covers on the map (this
page's, beside the table, and the Map page's, through the shared map selection). The tree is drawn by
``clusters_tree``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from latentlab import lab
from latentlab.ui.map_settings import map_settings, selection_map_key, share_selection
from latentlab.ui.scatter import content_key

TABLE_KEY = "cl-rules"
BY_KEY = "cl-rules-by"
BY = {"description": "description", "tree": "tree path"}
_STASH = "ll_cluster_rules"  # the last explanation shown, so the next run can map a clicked row to its rows


@st.cache_data(max_entries=8, show_spinner="Describing the clusters by rules...")
def _explain(space_key: str, _emb, _ds, labels_key: str, _labels, space: str, max_halfspaces: int, oblique: bool,
             seed: int, xy_key: str, _xy, map_method: str):
    """``space_key``, ``labels_key`` and ``xy_key`` stand for the arrays in the cache key."""
    return lab.explain_embedding_clusters(_emb, _ds, _labels, space, max_halfspaces, oblique, seed, xy=_xy,
                                          projection={"method": map_method})


@dataclass(frozen=True)
class ClickedRule:
    """The rule clicked in the rules table: its cluster, whether its description or tree path selects, and the
    rows that selects."""

    cluster: int
    by: str
    rows: np.ndarray

    def text(self) -> str:
        return (f"**{len(self.rows):,} items selected** on the map: those cluster {self.cluster}'s "
                f"{'description' if self.by == 'description' else 'tree path'} covers.")


def clicked_rule(labels: np.ndarray) -> ClickedRule | None:
    """The rule clicked in the rules table (None when no rule is clicked, or the clustering has changed since the
    table was drawn); read before the map is drawn, so the map shows its rows."""
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
    cluster, by = exp.rules[rows[0]].cluster, st.session_state.get(BY_KEY, "description")
    return ClickedRule(int(cluster), by, exp.covered(cluster, by))


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


def rules_panel(emb, ds, labels: np.ndarray, xy: np.ndarray | None, seed: int):
    """Settings, the rules table (a click selects a rule's items on the map beside it) and the count selected;
    returns the explanation (None when there are fewer than two clusters to explain) and its space in words."""
    spaces = {"latent": "latent means"}
    if np.ndim(ds.x) == 2:
        spaces["features"] = "the dataset's features"
    if xy is not None and xy.shape[1] == 2:
        spaces["map"] = "the map's axes"
    a, b, c = st.columns([4, 4, 3], vertical_alignment="bottom")
    space = a.selectbox("Rules over", list(spaces), format_func=spaces.get, key="cl-rules-space")
    b.radio("A click selects the items of its", list(BY), format_func=BY.get, horizontal=True, key=BY_KEY)
    with c.popover("Options", icon=":material/tune:", width="stretch",
                   help="how long a description may be, and which half-spaces it may use"):
        max_halfspaces = int(st.number_input("Half-spaces per description", 1, 12, lab.DEFAULT_HALFSPACES,
                                             key="cl-rules-max"))
        oblique = st.checkbox("Two-latent half-spaces", key="cl-rules-oblique",
                              help="descriptions may also cut along a direction in the plane of two features")
    if not (labels >= 0).any() or len(set(labels[labels >= 0].tolist())) < 2:
        st.info("Rules describe two or more clusters; this clustering has fewer.")
        return None, spaces[space]
    method = map_settings()["method"]
    use_xy = xy if space == "map" else None
    exp = _explain(emb.key, emb, ds, content_key(labels), labels, space, max_halfspaces, oblique, seed,
                   "" if use_xy is None else content_key(use_xy), use_xy, method)
    st.session_state[_STASH] = {"labels": labels, "exp": exp}
    kind = "axis-aligned" if not oblique else "axis-aligned or two-latent"
    st.caption(f"Each description is at most {max_halfspaces} {kind} half-spaces, chosen greedily for F1. The tree "
               f"(IMM, Dasgupta et al. 2020) agrees with the clustering on {exp.accuracy:.1%} of the items at "
               f"{exp.cost_ratio:.3f} times its k-means cost. Click a row to select its items on the map.")
    st.dataframe(exp.table(), width="stretch", hide_index=True, on_select="rerun", selection_mode="single-row",
                 key=TABLE_KEY, column_config=rule_columns(), column_order=_column_order())
    clicked = clicked_rule(labels)
    if clicked is not None:
        st.markdown(clicked.text())
    return exp, spaces[space]


def _column_order() -> list[str]:
    """The columns of what a click selects come first, after the cluster and its size."""
    description, tree = ["description", "precision", "recall"], ["tree rule", "tree precision", "tree recall"]
    first, then = (tree, description) if st.session_state.get(BY_KEY) == "tree" else (description, tree)
    return ["cluster", "size", *first, *then]


def rule_columns() -> dict:
    """How the rules table's columns are shown."""
    col = st.column_config
    share = dict(format="%.2f")
    return {"cluster": col.NumberColumn("Cluster", format="%d"), "size": col.NumberColumn("Items", format="%d"),
            "description": col.TextColumn("Description", help="a short intersection of half-spaces", width="large"),
            "precision": col.NumberColumn("Precision", help="of the items the description covers, the share in the "
                                                            "cluster", **share),
            "recall": col.NumberColumn("Recall", help="of the cluster's items, the share the description covers",
                                       **share),
            "tree rule": col.TextColumn("Tree path", help="the threshold tree's conditions from its root to the "
                                                          "cluster's leaf", width="large"),
            "tree precision": col.NumberColumn("Path precision", help="of the items on the path, the share in the "
                                                                      "cluster", **share),
            "tree recall": col.NumberColumn("Path recall", help="of the cluster's items, the share on its path",
                                            **share)}
