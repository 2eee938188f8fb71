"""Clusters described by rules: IMM's threshold tree and greedy polyhedral descriptions on data whose answer is
known, the command line's --explain --json, the Clusters page's rules and the map selection a rule makes, and bad
input refused in one sentence."""

import json
import re

import numpy as np
import pytest

from latentlab.analysis.clustering.cluster_rules import explain_clustering
from latentlab.analysis.clustering.polyhedra import describe_clusters
from latentlab.analysis.clustering.threshold_tree import imm_tree, kmeans_cost
from latentlab.cli import main
from latentlab.core.errors import LatentLabError

NAMES = ["a", "b", "c", "d", "e"]


def axis_blobs(seed=0, n=150):
    """Four tight blobs in 5-D whose centres differ along features a and c only."""
    rng = np.random.default_rng(seed)
    centres = np.zeros((4, 5))
    centres[:, 0] = [0, 6, 0, 6]
    centres[:, 2] = [0, 0, 6, 6]
    X = np.concatenate([c + 0.6 * rng.normal(size=(n, 5)) for c in centres])
    return X, np.repeat(np.arange(4), n)


def lattice(angle_deg, seed=0):
    """A 4 x 4 lattice of round blobs, turned by ``angle_deg``, and its k-means clustering (the blobs)."""
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(seed)
    grid = 3.0 * np.array([(i, j) for i in range(4) for j in range(4)], float)
    X = np.concatenate([c + rng.normal(size=(120, 2)) for c in grid])
    a = np.deg2rad(angle_deg)
    X = X @ np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]).T
    return X, KMeans(16, n_init=4, random_state=0).fit(X).labels_


def test_blobs_apart_along_single_axes_give_an_exact_tree_naming_those_axes():
    X, y = axis_blobs()
    exp = explain_clustering(X, y, NAMES)
    assert exp.accuracy == 1.0 and exp.cost_ratio == pytest.approx(1.0, abs=1e-12)
    assert len(exp.rules) == 4 and len(exp.tree.clusters) == 4
    for rule in exp.rules:
        named = {w for w in rule.tree_rule.replace("<", " ").replace(">", " ").split() if w in NAMES}
        assert named == {"a", "c"}, rule.tree_rule
        assert rule.tree_precision == rule.tree_recall == 1.0
    # cluster 3 sits high on both a and c: its rule says so with thresholds between the blobs
    assert exp.rules[3].tree_rule in ("a > 3 and c > 3", "c > 3 and a > 3") or all(
        f"{f} > " in exp.rules[3].tree_rule for f in "ac")


def test_each_point_meets_the_path_of_its_leaf():
    X, y = axis_blobs(seed=1)
    rng = np.random.default_rng(2)
    X += rng.normal(scale=1.5, size=X.shape)  # overlapping clusters: the tree makes mistakes
    tree = imm_tree(X, y, feature_names=NAMES)
    leaf = tree.predict(X)
    for cluster, path in tree.paths().items():
        inside = np.ones(len(X), bool)
        for cond in path:
            inside &= cond.holds(X)
        assert np.array_equal(inside, leaf == cluster)
    assert (leaf != y).any()


def test_a_turned_lattice_shows_the_price_of_axis_aligned_cuts():
    """IMM's cost can exceed the clustering's (the paper's O(k^2) bound, Omega(log k) for some data): the same
    blobs turned by 45 degrees cannot be cut along the axes without cutting through blobs."""
    straight = explain_clustering(*lattice(0))
    turned = explain_clustering(*lattice(45))
    assert straight.cost_ratio < 1.02 and straight.accuracy > 0.97
    assert turned.cost_ratio > 1.2 and turned.accuracy < 0.9
    assert turned.cost_ratio > straight.cost_ratio + 0.2


def test_kmeans_cost_is_the_squared_distance_to_the_part_means():
    X = np.array([[0.0, 0], [2, 0], [10, 10], [10, 12]])
    assert kmeans_cost(X, np.array([0, 0, 1, 1])) == pytest.approx(2 + 2)
    assert kmeans_cost(X, np.array([0, 0, 1, -1])) == pytest.approx(2)  # noise is left out


def test_a_box_cluster_is_recovered_by_four_half_spaces():
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, size=(4000, 4))
    box = (X[:, 1] > -0.5) & (X[:, 1] <= 1.0) & (X[:, 3] > -1.0) & (X[:, 3] <= 0.5)
    desc = describe_clusters(X, box.astype(int), max_halfspaces=4)[1]
    assert desc.precision == 1.0 and desc.recall == 1.0
    assert sorted(h.features[0] for h in desc.halfspaces) == [1, 1, 3, 3]
    bounds = {(h.features[0], h.above): h.threshold for h in desc.halfspaces}
    assert bounds == pytest.approx({(1, True): -0.5, (1, False): 1.0, (3, True): -1.0, (3, False): 0.5}, abs=0.05)
    assert np.array_equal(desc.holds(X), box)


def test_an_oblique_half_space_describes_a_diagonal_cut_that_axes_cannot():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 3))
    member = (X[:, 0] + X[:, 1] > 0.5).astype(int)
    axis = describe_clusters(X, member, max_halfspaces=1)[1]
    oblique = describe_clusters(X, member, max_halfspaces=1, oblique=True)[1]
    assert min(axis.precision, axis.recall) < 0.85
    assert min(oblique.precision, oblique.recall) > 0.97
    (h,) = oblique.halfspaces
    assert h.features == (0, 1) and h.weights[0] == pytest.approx(h.weights[1], rel=0.1) and h.above
    assert re.fullmatch(r"(0\.\d+ )?a \+ (0\.\d+ )?b > 0\.[45]\d*", h.text(NAMES)), h.text(NAMES)


def test_a_recall_floor_keeps_that_share_of_the_cluster():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(2000, 2))
    y = (np.hypot(X[:, 0], X[:, 1]) < 1).astype(int)  # a disc: any polygon trades precision against recall
    desc = describe_clusters(X, y, max_halfspaces=2, recall_floor=0.98)[1]
    assert desc.recall >= 0.98


@pytest.mark.parametrize("labels, message", [
    (np.zeros(40, int), "at least two clusters"),
    (-np.ones(40, int), "no clustering to explain"),
])
def test_too_few_clusters_are_refused_in_one_sentence(labels, message):
    X = np.random.default_rng(0).normal(size=(40, 3))
    with pytest.raises(LatentLabError, match=message) as err:
        explain_clustering(X, labels)
    assert str(err.value).count(". ") == 0 and str(err.value).endswith(".")


def test_zero_half_spaces_are_refused():
    X, y = axis_blobs()
    with pytest.raises(LatentLabError, match="`max_halfspaces` must be at least 1"):
        explain_clustering(X, y, max_halfspaces=0)


# ---------------------------------------------------------------- the faces: Python, command line


@pytest.fixture
def blobs(workspace):
    """A dataset of vectors 'blobs': the axis blobs above, labelled."""
    from latentlab.data import import_dataset

    workspace.mkdir(parents=True, exist_ok=True)
    X, y = axis_blobs(n=60)
    np.savez(workspace / "blobs.npz", x=X.astype(np.float32), labels=np.array(list("pqrs"))[y])
    return import_dataset(workspace / "blobs.npz", "blobs", labels="labels", kind="embedding")


def test_explain_clusters_in_python_clusters_then_explains(blobs):
    import latentlab as ll

    exp = ll.explain_clusters(dataset="blobs", k=4, max_halfspaces=2)
    assert exp.accuracy == 1.0 and exp.cost_ratio == pytest.approx(1.0)
    assert all(len(r.description.halfspaces) <= 2 for r in exp.rules)
    assert all(r.description.precision == r.description.recall == 1.0 for r in exp.rules)
    assert exp.feature_names[:3] == ["z0", "z1", "z2"]
    for r in exp.rules:
        assert np.array_equal(exp.covered(r.cluster, "tree"), np.flatnonzero(exp.labels == r.cluster))
    with pytest.raises(LatentLabError, match="one per item"):
        ll.explain_clusters(dataset="blobs", labels=np.zeros(5, int))


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cluster_explain_json_holds_the_tree_and_the_rules(blobs, tmp_path, capsys):
    import pandas as pd

    out = tmp_path / "c.csv"
    code, text, _ = run(capsys, "cluster", "--dataset", "blobs", "--k", "4", "--explain", "--explain-on", "features",
                        "--max-halfspaces", "2", "--json", "--out", str(out))
    assert code == 0
    info = json.loads(text)["explanation"]
    assert info["space"] == "features" and info["tree"]["leaves"] == 4
    assert info["tree"]["accuracy"] == 1.0 and info["tree"]["cost_ratio"] == pytest.approx(1.0)
    assert info["tree"]["root"]["feature"] in ("f0", "f2") and {"left", "right"} <= set(info["tree"]["root"])
    for c in info["clusters"]:
        assert {"cluster", "size", "rule", "description", "halfspaces", "precision", "recall", "tree_precision",
                "tree_recall"} <= set(c)
        assert c["precision"] == c["recall"] == 1.0 and 1 <= len(c["halfspaces"]) <= 2
        assert set(c["rule"].replace("<", " ").replace(">", " ").split()) & {"f0", "f2"}
    frame = pd.read_csv(out)
    assert (frame["tree_cluster"] == frame["cluster"]).all()


@pytest.mark.parametrize("argv, message", [
    (["--k", "1", "--explain"], "k = 1 is outside its range 2..100"),
    (["--k", "3", "--explain", "--max-halfspaces", "0"], "--max-halfspaces must be at least 1"),
    (["--k", "3", "--oblique"], "add --explain"),
])
def test_bad_explain_flags_exit_2_with_one_line(blobs, tmp_path, capsys, argv, message):
    code, _, err = run(capsys, "cluster", "--dataset", "blobs", *argv, "--out", str(tmp_path / "c.csv"))
    assert code == 2 and message in err and err.count("\n") == 1
    assert not (tmp_path / "c.csv").exists()


# ---------------------------------------------------------------- the Clusters page


def _map_data(at, key: str) -> dict:
    """The data the page sent the map component ``key`` (its JSON part)."""
    node = next(n for n in at.main if getattr(n, "type", None) == "bidi_component" and n.proto.id.endswith(key))
    return json.loads(node.proto.mixed.json)


def test_the_clusters_page_shows_the_rules_and_a_click_selects_their_items(blobs, monkeypatch):
    from latentlab.ui.map_settings import selection_map_key
    from latentlab.ui.scatter import decode_selection
    from tests.apptest import no_exception, start_dashboard

    state = {"ll_dataset": "blobs", "ll_space": "latent means", "cl-method": "kmeans", "cl-kmeans-k": 4,
             "ll_map": {"method": "pca", "dims": 2, "params": {}, "seed": 0}}
    at = start_dashboard(monkeypatch, "pages/clusters.py", **state)
    rules = next(df.value for df in at.dataframe if "tree rule" in df.value.columns)
    assert len(rules) == 4 and (rules["precision"] == 1.0).all() and (rules["recall"] == 1.0).all()
    assert all(set(r.replace("<", " ").replace(">", " ").split()) & {"z0", "z2"} for r in rules["tree rule"])
    assert any("agrees with the clustering on 100.0%" in c.value for c in at.caption)
    tree = next(c for c in at.get("plotly_chart") if "Threshold tree" in c.proto.spec)
    assert all(f"cluster {c}" in tree.proto.spec for c in rules["cluster"])
    assert decode_selection(_map_data(at, "cl-map")["selected"]).size == 0  # nothing clicked yet

    at.session_state["cl-rules"] = {"selection": {"rows": [2], "columns": [], "cells": []}}
    no_exception(at.run())
    labels = np.asarray(at.session_state["ll_clusters"][(None, "blobs")])
    members = np.flatnonzero(labels == rules["cluster"][2])
    assert np.array_equal(decode_selection(_map_data(at, "cl-map")["selected"]), members)
    shared = at.session_state["ll_map_selection"]
    assert shared["map"] == selection_map_key(None, "blobs", "pca", {}, 0)
    assert np.array_equal(shared["rows"], members)

    at.switch_page("pages/map.py")
    at.session_state["map-method"] = "pca"
    no_exception(at.run())
    assert np.array_equal(decode_selection(_map_data(at, "map-scatter")["selected"]), members)  # the Map page's too

