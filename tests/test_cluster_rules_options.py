"""The rules' options through every face: two-feature (oblique) half-spaces from the command line and Python, rules
over the map's axes, and on the Clusters page a click that selects a rule's tree path (not its one-half-space
description) over the map's axes."""

import json

import numpy as np
import pytest

from latentlab.cli import main
from tests.test_cluster_rules import _map_data, blobs  # noqa: F401 (a fixture)


@pytest.fixture
def diagonal(workspace):
    """Two round blobs at (1, -1) and (-1, 1) (sd 0.5) with a third feature of noise: the line x0 = x1 parts them,
    and no single axis does."""
    from latentlab.data import import_dataset

    workspace.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    X = np.concatenate([c + 0.5 * rng.normal(size=(400, 3)) for c in ([1, -1, 0], [-1, 1, 0])])
    np.savez(workspace / "diag.npz", x=X.astype(np.float32), labels=np.repeat(["p", "q"], 400))
    return import_dataset(workspace / "diag.npz", "diag", labels="labels", kind="embedding")


def f1(c: dict) -> float:
    return 2 * c["precision"] * c["recall"] / (c["precision"] + c["recall"])


def test_oblique_half_spaces_cut_along_the_diagonal_from_the_command_line(diagonal, tmp_path, capsys):
    def explain(*flags):
        code = main(["cluster", "--dataset", "diag", "--k", "2", "--explain", "--max-halfspaces", "1", *flags,
                     "--json", "--out", str(tmp_path / "c.csv")])
        assert code == 0
        return json.loads(capsys.readouterr().out)["explanation"]["clusters"]

    axis, oblique = explain(), explain("--oblique")
    assert all(len(c["halfspaces"]) == 1 and len(c["halfspaces"][0]["features"]) == 1 for c in axis)
    for a, o in zip(axis, oblique):
        (h,) = o["halfspaces"]
        assert sorted(h["features"]) == ["z0", "z1"] and h["weights"][0] * h["weights"][1] < 0  # along x0 - x1
        assert f1(o) > f1(a) and f1(o) > 0.99
        assert "z0" in o["description"] and "z1" in o["description"]


def test_the_rules_read_as_text_without_json(blobs, tmp_path, capsys):  # noqa: F811
    assert main(["cluster", "--dataset", "blobs", "--k", "4", "--explain", "--out", str(tmp_path / "c.csv")]) == 0
    text = capsys.readouterr().out
    assert "threshold tree over latent (4 leaves): accuracy 1.000, k-means cost 1.000 x the clustering's" in text
    assert text.count("described by ") == 4 and text.count("[precision 1.00, recall 1.00]") == 8


def test_python_rules_over_the_map_name_its_axes(blobs):  # noqa: F811
    import latentlab as ll

    exp = ll.explain_clusters(dataset="blobs", k=4, space="map", projection={"method": "pca"}, oblique=True)
    assert exp.space == "map" and exp.feature_names == ["pca_1", "pca_2"]
    assert len(exp.rules) == 4 and exp.accuracy > 0.7
    used = {name for r in exp.rules for h in r.description.halfspaces for name in np.array(exp.feature_names)[list(h.features)]}
    assert used <= {"pca_1", "pca_2"}
    assert all(set(r.tree_rule.replace("<", " ").replace(">", " ").split()) & {"pca_1", "pca_2"} for r in exp.rules)


def test_a_click_on_a_tree_path_over_the_map_selects_that_leaf(blobs, monkeypatch):  # noqa: F811
    from latentlab.ui import cluster_rules_view
    from latentlab.ui.scatter import decode_selection
    from tests.apptest import no_exception, start_dashboard

    state = {"ll_dataset": "blobs", "ll_space": "latent means", "cl-method": "kmeans", "cl-kmeans-k": 4,
             "ll_map": {"method": "pca", "dims": 2, "params": {}, "seed": 0},
             "cl-rules-space": "map", cluster_rules_view.BY_KEY: "tree", "cl-rules-max": 1}
    at = start_dashboard(monkeypatch, "pages/clusters.py", **state)
    rules = next(df.value for df in at.dataframe if "tree rule" in df.value.columns)
    assert all(set(r.replace("<", " ").replace(">", " ").split()) & {"pca_1", "pca_2"} for r in rules["tree rule"])
    tree = next(c for c in at.get("plotly_chart") if "Threshold tree" in c.proto.spec)
    assert "pca_" in tree.proto.spec

    at.session_state[cluster_rules_view.TABLE_KEY] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    no_exception(at.run())
    exp = at.session_state["ll_cluster_rules"]["exp"]
    leaf = np.flatnonzero(exp.tree_labels == rules["cluster"][1])
    assert not np.array_equal(exp.covered(rules["cluster"][1]), leaf)  # one half-space cannot isolate a corner blob
    assert leaf.size == 60 and np.array_equal(decode_selection(_map_data(at, "cl-map")["selected"]), leaf)
    assert np.array_equal(at.session_state["ll_map_selection"]["rows"], leaf)
