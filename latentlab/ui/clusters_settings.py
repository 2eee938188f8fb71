"""The Clusters page's settings bar: the algorithm, its parameters and the seed are chosen, then run with one
press of Recluster. Until then the page keeps showing the last clustering, and says which settings made it.

The number of clusters starts at a suggestion: the number of labels when the dataset has labels, else the
method's own default; another dataset or checkpoint starts at its own suggestion again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from latentlab.ui import forms, model_clusters

RUNS = "ll_cluster_runs"  # per (checkpoint, dataset): the settings of the clustering the page shows
CONTEXT = "cl-context"  # the (checkpoint, dataset) of the last run, to notice a change
METHOD_KEY, SEED_KEY, RUN_KEY = "cl-method", "cl-seed", "cl-run"


@dataclass(frozen=True)
class ClusterRun:
    """What a clustering is run with: a registered method, its parameters and the seed."""

    method: str
    params: dict = field(default_factory=dict)
    seed: int = 0

    def text(self, format_method) -> str:
        values = "".join(f", {name.replace('_', ' ')} = {v}" for name, v in self.params.items())
        return f"**{format_method(self.method)}**{values}, seed {self.seed}"


def suggested_k(ds, method: str) -> tuple[int | None, str]:
    """The k the form starts at for ``method`` on ``ds`` and why (None when the method takes no k)."""
    declared = next((p for p in model_clusters.method_params(method) if p.name == "k"), None)
    if declared is None:
        return None, ""
    high = int(min(declared.high, max(len(ds) - 1, 2)))
    n_labels = len(np.unique(np.asarray(ds.labels).astype(str))) if ds.labels is not None else 0
    if n_labels >= 2:
        k = int(min(n_labels, high))
        kind = "labels" if ds.label_name == "label" else f"{ds.label_name} labels"
        why = f"the number of {kind}" if k == n_labels else f"the most the form allows ({n_labels:,} {kind})"
        return k, why
    return int(min(declared.default, high)), "the method's default (the dataset has no labels)"


def _param_widgets(method: str, k: int | None) -> list:
    """The method's parameters, k starting at the suggestion."""
    return [dataclasses.replace(p, default=k) if p.name == "k" and k is not None else p
            for p in model_clusters.method_params(method)]


def settings_bar(ctx, ds, ck, space_text: str) -> ClusterRun:
    """The settings bar; returns the settings of the clustering to show (those last run with Recluster, or on a
    first visit to this dataset and checkpoint, the bar's starting values)."""
    context = (ctx.checkpoint_name, ctx.dataset_name)
    if st.session_state.get(CONTEXT, context) != context:  # another dataset or checkpoint: k starts afresh
        for key in [k for k in st.session_state if isinstance(k, str) and k.startswith("cl-") and k.endswith("-k")]:
            del st.session_state[key]
    st.session_state[CONTEXT] = context
    _bar(context, ds, ck, space_text)
    return st.session_state[RUNS][context]


@st.fragment
def _bar(context, ds, ck, space_text: str) -> None:
    """A fragment: choosing an algorithm or typing a value reruns only the bar, not the page's clustering."""
    fmt = model_clusters.method_format(ck)
    options = model_clusters.method_options(ck)
    if st.session_state.get(METHOD_KEY, options[0]) not in options:  # e.g. a model's own clusters, another model
        del st.session_state[METHOD_KEY]
    # read before the selectbox is drawn, to lay out one column per parameter; a rerun has its new value already
    current = st.session_state.get(METHOD_KEY, options[0])
    params = _param_widgets(current, suggested_k(ds, current)[0])
    n = len(params)
    with st.container(border=True):
        cols = st.columns([2.2] + [1.2] * n + [1, 1.1], vertical_alignment="bottom")
        method = cols[0].selectbox("Algorithm", options, format_func=fmt, key=METHOD_KEY)
        values = {}
        for col, p in zip(cols[1:1 + n], params):
            with col:
                values.update(forms.params_form((p,), f"cl-{method}"))
        seed = int(cols[-2].number_input("Seed", value=0, step=1, key=SEED_KEY,
                                         help="the seed of the method's random starts: the same seed, the same "
                                              "clusters"))
        chosen = ClusterRun(method, values, seed)
        runs = st.session_state.setdefault(RUNS, {})
        runs.setdefault(context, chosen)
        if cols[-1].button("Recluster", type="primary", key=RUN_KEY, width="stretch",
                           help="cluster with these settings (the page keeps the last clustering until then)"):
            runs[context] = chosen
            st.rerun()
        shown = runs[context]
        st.caption(run_caption(shown, ds, fmt, space_text))
        if chosen != shown:
            st.caption(f":orange[Not run yet: {chosen.text(fmt)}. Press **Recluster** to run it.]")


def run_caption(run: ClusterRun, ds, fmt, space_text: str) -> str:
    """What the page shows: the settings that made it, and the suggested k when it ran with another."""
    text = f"Showing {run.text(fmt)} on {len(ds):,} points in {space_text} (change the space in the sidebar)."
    k, why = suggested_k(ds, run.method)
    if k is None:
        return text + " The method finds the number of clusters itself."
    if run.params.get("k") == k:
        return text + f" k = {k} is the suggestion: {why}."
    return text + f" Suggested k: {k} ({why})."
