"""The Clusters page: k starts at the suggested k and the caption says what ran, settings run only when Recluster
is pressed (the last clustering stays shown until then), every table shows human column names, a clicked rule
says how many items it selects, and the threshold tree is drawn with no edge across a label."""

import json

import numpy as np
import pytest

from latentlab.ui import clusters_tree
from tests.apptest import metric, no_exception, start_dashboard

STATE = {"ll_space": "latent means", "ll_map": {"method": "pca", "dims": 2, "params": {}, "seed": 0}}


def _blobs(n_blobs: int, labelled: bool = True, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=8.0, size=(n_blobs, 6))
    x = np.concatenate([c + rng.normal(size=(40, 6)) for c in centres]).astype(np.float32)
    out = {"x": x}
    if labelled:
        out["labels"] = np.repeat(np.array(list("abcdefgh"))[:n_blobs], 40)
    return out


@pytest.fixture
def vectors(workspace):
    """Three vector sets: 'three' (3 labels), 'five' (5 labels) and 'bare' (4 blobs, no labels)."""
    from latentlab.data import import_dataset

    workspace.mkdir(parents=True, exist_ok=True)
    for name, arrays in {"three": _blobs(3), "five": _blobs(5, seed=1), "bare": _blobs(4, labelled=False)}.items():
        np.savez(workspace / f"{name}.npz", **arrays)
        import_dataset(workspace / f"{name}.npz", name, labels="labels" if "labels" in arrays else None,
                       kind="embedding")


def _page(monkeypatch, dataset: str, **state):
    return start_dashboard(monkeypatch, "pages/clusters.py", ll_dataset=dataset, **STATE, **state)


def _shown(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Showing"))


def _recluster(at):
    return no_exception(next(b for b in at.button if b.label == "Recluster").click().run())


def test_k_starts_at_the_number_of_labels_and_the_caption_says_what_ran(vectors, monkeypatch):
    at = _page(monkeypatch, "three")
    assert at.number_input(key="cl-kmeans-k").value == 3
    assert metric(at, "Clusters") == "3"
    assert "kmeans**, k = 3, seed 0" in _shown(at) and "k = 3 is the suggestion: the number of labels" in _shown(at)

    at.number_input(key="cl-kmeans-k").set_value(4)
    _recluster(at)
    assert metric(at, "Clusters") == "4"
    assert "k = 4, seed 0" in _shown(at) and "Suggested k: 3 (the number of labels)" in _shown(at)

    next(s for s in at.sidebar.selectbox if s.label == "Dataset").set_value("five").run()  # another dataset
    no_exception(at)
    assert at.number_input(key="cl-kmeans-k").value == 5 and metric(at, "Clusters") == "5"
    assert "k = 5 is the suggestion" in _shown(at)


def test_without_labels_k_starts_at_the_methods_default(vectors, monkeypatch):
    at = _page(monkeypatch, "bare")
    assert at.number_input(key="cl-kmeans-k").value == 10 and metric(at, "Clusters") == "10"
    assert "k = 10 is the suggestion: the method's default (the dataset has no labels)" in _shown(at)


def test_choosing_an_algorithm_runs_nothing_until_recluster_is_pressed(vectors, monkeypatch):
    at = _page(monkeypatch, "three")
    before = np.asarray(at.session_state["ll_clusters"][(None, "three")]).copy()
    at.selectbox(key="cl-method").set_value("gmm").run()
    no_exception(at)
    assert at.number_input(key="cl-gmm-k").value == 3  # the new method's k starts at the suggestion too
    at.number_input(key="cl-gmm-k").set_value(5).run()
    assert np.array_equal(at.session_state["ll_clusters"][(None, "three")], before)  # the last clustering stays
    assert metric(at, "Clusters") == "3" and "kmeans**, k = 3" in _shown(at)
    assert any("Not run yet: **gmm**, k = 5" in c.value and "Recluster" in c.value for c in at.caption)

    _recluster(at)
    assert metric(at, "Clusters") == "5" and "gmm**, k = 5, covariance = full" in _shown(at)
    assert not any("Not run yet" in c.value for c in at.caption)

    at.selectbox(key="cl-method").set_value("hdbscan").run()  # a method without k: still nothing runs
    assert metric(at, "Clusters") == "5"
    _recluster(at)
    assert "The method finds the number of clusters itself." in _shown(at)


def _headers(df) -> list[str]:
    """The column names a table shows: each column's configured label, else its name."""
    config = json.loads(df.proto.columns or "{}")
    return [config.get(str(c), {}).get("label") or str(c) for c in df.value.columns]


def test_every_table_shows_human_column_names(vectors, monkeypatch):
    at = _page(monkeypatch, "three")
    tables = {tuple(df.value.columns): _headers(df) for df in at.dataframe}
    clusters = next(h for cols, h in tables.items() if "top_label" in cols)
    assert clusters == ["Cluster", "Items", "Share", "Most common label", "Purity", "Distinguishing latents"]
    rules = next(h for cols, h in tables.items() if "tree rule" in cols)
    assert set(rules) == {"Cluster", "Items", "Description", "Precision", "Recall", "Tree path", "Path precision",
                          "Path recall"}
    members = next(df for df in at.dataframe if "f0" in df.value.columns)  # the inspected cluster's members
    assert json.loads(members.proto.columns)["_index"]["label"] == "Item" and len(members.value) == 24
    for headers in tables.values():
        assert all("_" not in h and not h.isdigit() for h in headers), headers


def test_a_clicked_rule_says_how_many_items_it_selects_beside_the_map(vectors, monkeypatch):
    at = _page(monkeypatch, "three")
    assert any("Click a row in the Rules tab" in c.value for c in at.caption)
    at.session_state["cl-rules"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    no_exception(at.run())
    exp = at.session_state["ll_cluster_rules"]["exp"]
    rows = exp.covered(exp.rules[1].cluster)
    said = f"**{len(rows):,} items selected** on the map: those cluster {exp.rules[1].cluster}'s description covers."
    assert said in [m.value for m in at.markdown]  # under the rules table
    assert said in [c.value for c in at.caption]  # under the map


def _segments(trace) -> list[tuple[float, float, float, float]]:
    xs, ys = list(trace.x), list(trace.y)
    return [(xs[i], ys[i], xs[i + 1], ys[i + 1]) for i in range(0, len(xs) - 1, 3)]


@pytest.mark.parametrize("k", [4, 9, 16])
def test_the_tree_is_drawn_with_no_edge_across_a_label(k):
    from latentlab.analysis.clustering.cluster_rules import explain_clustering

    rng = np.random.default_rng(k)
    X = rng.normal(size=(40 * k, 5))
    labels = np.argmin(((X[:, None] - rng.normal(size=(k, 5))[None]) ** 2).sum(-1), 1)  # k uneven cells
    exp = explain_clustering(X, labels)
    fig = clusters_tree.tree_figure(exp)
    boxes = fig.layout.annotations
    assert sum(b.text.startswith("cluster ") for b in boxes) == k and len(boxes) == 2 * k - 1
    margin = fig.layout.margin
    levels = fig.layout.yaxis.range[1] - fig.layout.yaxis.range[0]
    per_px = levels / (fig.layout.height - margin.t - margin.b)  # levels per pixel, up and down
    edges = _segments(fig.data[0])
    assert len(edges) == 2 * (k - 1)
    for x0, y0, x1, y1 in edges:
        for b in boxes:  # an edge's span up and down misses every box's, so it cannot cross one
            half = b.height / 2 * per_px
            assert max(y0, y1) < b.y - half or min(y0, y1) > b.y + half, (b.text, (x0, y0, x1, y1))
        assert y0 > y1 and any(abs(b.x - x0) < 1e-9 for b in boxes) and any(abs(b.x - x1) < 1e-9 for b in boxes)
    for a in boxes:  # across, the boxes of a level keep apart by their text's width
        for b in boxes:
            if a is not b and a.y == b.y:
                width = (max(map(len, a.text.split("<br>"))) + max(map(len, b.text.split("<br>")))) / 2
                assert abs(a.x - b.x) >= width + 1
