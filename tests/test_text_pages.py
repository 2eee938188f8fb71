"""Text datasets in the dashboard: search by meaning on the Map page, texts in hovers and panels, cluster
keywords, and importing a text column on the Data page; every text shown as data, never as markup."""

import json

import numpy as np
import pandas as pd
import pytest

from latentlab.data.registry import import_text_dataset
from latentlab.ui.text_view import snippet
from tests.apptest import map_json, select_on_map, start_dashboard
from tests.real_text import docstring_corpus

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def corpus():
    texts, labels = docstring_corpus(per_package=15, packages=("email", "json", "logging"))
    return [HOSTILE, *texts], ["x", *np.asarray(labels).astype(str).tolist()]


@pytest.fixture
def docs(workspace, tmp_path, corpus):
    """A text dataset 'docs' (TF-IDF, no weights) whose row 0 is a hostile text."""
    from latentlab.ui.loaders import clear_listings

    texts, labels = corpus
    pd.DataFrame({"doc": texts, "package": labels}).to_csv(tmp_path / "docs.csv", index=False)
    ds = import_text_dataset(tmp_path / "docs.csv", "docs", text="doc", labels="package", encoder="tfidf")
    clear_listings()
    return ds


def _frames(at):
    return [df.value for df in at.dataframe]


def test_the_map_page_searches_by_meaning_and_lists_hits_as_text(docs, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/map.py", ll_dataset="docs", **{"map-method": "pca"})
    box = next(t for t in at.text_input if t.label == "Search by meaning")
    query = docs.texts[5]
    box.set_value(query).run()
    assert not at.exception, [e.value for e in at.exception]
    hits = next(f for f in _frames(at) if "similarity" in f.columns)
    assert hits["index"].iloc[0] == 5 and hits["similarity"].iloc[0] > 0.99
    assert list(hits["similarity"]) == sorted(hits["similarity"], reverse=True)
    assert hits["text"].iloc[0] == snippet(docs.texts[5])
    assert len(hits) == 20
    assert map_json(at)["highlight"] == hits["index"].tolist()  # the hits are ringed on the map


def test_a_blank_search_lists_nothing_and_rings_nothing(docs, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/map.py", ll_dataset="docs", **{"map-method": "pca"})
    next(t for t in at.text_input if t.label == "Search by meaning").set_value("   ").run()
    assert not at.exception and not at.error
    assert not any("similarity" in f.columns for f in _frames(at))
    assert map_json(at)["highlight"] == []


def test_a_dataset_without_texts_has_no_search_box(workspace, monkeypatch):
    from latentlab.data import import_dataset
    from latentlab.ui.loaders import clear_listings

    workspace.mkdir(parents=True, exist_ok=True)
    np.save(workspace / "v.npy", np.random.default_rng(0).normal(size=(50, 6)).astype(np.float32))
    import_dataset(workspace / "v.npy", "vectors", kind="embedding")
    clear_listings()
    at = start_dashboard(monkeypatch, "pages/map.py", ll_dataset="vectors", **{"map-method": "pca"})
    assert not any(t.label == "Search by meaning" for t in at.text_input)
    assert map_json(at)["highlight"] == []  # the map is drawn, without a search


def test_the_selection_panel_lists_the_selected_texts_verbatim(docs, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/map.py", ll_dataset="docs", **{"map-method": "pca"})
    select_on_map(at, dataset="docs", checkpoint=None, rows=[0, 3, 7])
    listed = next(f for f in _frames(at) if "text" in f.columns and "similarity" not in f.columns)
    assert listed["index"].tolist() == [0, 3, 7]
    assert listed["text"].iloc[0] == HOSTILE  # as data, not rendered
    assert listed["text"].tolist()[1:] == [snippet(docs.texts[3]), snippet(docs.texts[7])]
    assert listed["package"].tolist() == [docs.labels[i] for i in (0, 3, 7)]
    assert not any(HOSTILE in m.value for m in at.markdown)  # never passed to Markdown


def test_the_neighbour_panel_shows_the_neighbours_texts(docs, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/map.py", ll_dataset="docs", **{"map-method": "pca"})
    select_on_map(at, dataset="docs", checkpoint=None, rows=[4])
    listed = next(f for f in _frames(at) if "distance" in f.columns)
    assert listed["index"].iloc[0] == 4 and len(listed) == 9
    assert listed["distance"].iloc[0] == 0 and listed["distance"].is_monotonic_increasing
    assert listed["text"].tolist() == [snippet(docs.texts[i]) for i in listed["index"]]
    assert map_json(at)["highlight"] == listed["index"].tolist()[1:]


def test_the_item_route_returns_a_hostile_text_verbatim(docs):
    from starlette.requests import Request

    from latentlab.ui import item_route

    version = item_route.base_url("docs", docs).rsplit("/", 1)[1]
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": [],
                       "path_params": {"name": "docs", "version": version, "row": 0}})
    info = json.loads(item_route.item_json(request).body)
    assert info["text"] == HOSTILE and info["features"][0] == ["text", HOSTILE]
    assert info["label"] == "x" and info["label_name"] == "package"


def test_a_long_text_is_cut_for_the_hover():
    assert snippet("word " * 100).endswith("…") and len(snippet("word " * 100)) <= 301
    assert snippet(HOSTILE) == HOSTILE


def test_the_selection_export_holds_the_whole_texts(docs):
    from latentlab.analysis.embedding import vectors_embedding
    from latentlab.analysis.projection.map_points import selection_frame

    frame = selection_frame(docs, vectors_embedding(docs), [0, 2])
    assert frame["text"].tolist() == [docs.texts[0], docs.texts[2]]


def test_the_clusters_table_names_each_cluster_by_its_keywords(docs, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/clusters.py", ll_dataset="docs", ll_space="latent means",
                         **{"cl-method": "kmeans"})
    table = next(f for f in _frames(at) if "keywords" in f.columns)
    assert len(table) >= 2
    assert all(isinstance(k, str) and k.strip() for k in table["keywords"])
    words = [set(k.split(", ")) for k in table["keywords"]]
    # the packages' own words (which of logging's words leads depends on how k-means splits its docstrings)
    assert any("json" in w for w in words) and any(w & {"logger", "logging", "handler"} for w in words)
    members = next(f for f in _frames(at) if "text" in f.columns)  # the inspected cluster's members, as texts
    assert set(members["text"]) <= {snippet(t) for t in docs.texts}

    # the clusters are named on the map: each label is its cluster's first keywords, at one of its members
    clusters = at.session_state["ll_clusters"][(None, "docs")]
    placed = map_json(at, "cl-map")["labels"]
    assert len(placed) == len(table)
    by_cluster = {int(c): k.split(", ") for c, k in zip(table["cluster"], table["keywords"])}
    for label in placed:
        cluster = int(clusters[label["i"]])
        assert label["text"] == " · ".join(by_cluster[cluster][:3])

    # and the Map page names them too, once they exist
    at.switch_page("pages/map.py").run()
    assert not at.exception, [e.value for e in at.exception]
    on_map = map_json(at)["labels"]  # its own projection: other anchors, the same names on the same clusters
    assert sorted((int(clusters[d["i"]]), d["text"]) for d in on_map) == \
        sorted((int(clusters[d["i"]]), d["text"]) for d in placed)


def test_label_anchors_sit_on_a_member_at_each_clusters_centre():
    from latentlab.analysis.projection.labels import label_anchors
    from latentlab.ui.scatter import keyword_labels

    rng = np.random.default_rng(0)
    xy = np.concatenate([rng.normal(0, 0.1, (30, 2)), rng.normal(5, 0.1, (20, 2)), [[100.0, 100.0]]])
    labels = np.array([0] * 30 + [1] * 20 + [-1])
    anchors = label_anchors(xy, labels)
    assert list(anchors) == [0, 1]  # the largest first; noise gets none
    for c, row in anchors.items():
        members = np.flatnonzero(labels == c)
        assert row in members
        distance = np.linalg.norm(xy[members] - np.median(xy[members], axis=0), axis=1)
        assert np.isclose(np.linalg.norm(xy[row] - np.median(xy[members], axis=0)), distance.min())
    assert label_anchors(xy, labels, top=1) == {0: anchors[0]}
    placed = keyword_labels(xy, labels, {0: ["alpha", "beta", "gamma", "delta"], 1: []})
    assert placed == [{"i": anchors[0], "text": "alpha · beta · gamma"}]  # a cluster without words is not named


def test_the_cluster_export_holds_each_items_keywords():
    from io import StringIO

    from latentlab.ui.text_view import cluster_labels_csv

    frame = pd.read_csv(StringIO(cluster_labels_csv(np.array([1, 0, 1]), {0: ["json", "decode"], 1: ["logger"]}).decode()))
    assert frame["keywords"].tolist() == ["logger", "json decode", "logger"]
    assert "keywords" not in pd.read_csv(StringIO(cluster_labels_csv(np.array([0, 1]), {}).decode())).columns


def test_the_data_page_embeds_a_text_column_in_a_background_job(workspace, corpus, monkeypatch):
    from pathlib import Path

    from latentlab import jobs
    from latentlab.data import load_dataset

    monkeypatch.setenv("LATENTLAB_RUNNER_IDLE_S", "2")
    texts, labels = corpus
    lines = pd.DataFrame({"body": texts, "package": labels, "n": range(len(texts))}).to_json(
        orient="records", lines=True, force_ascii=False)
    at = start_dashboard(monkeypatch, "pages/data.py")
    next(u for u in at.get("file_uploader") if u.label == "Data file").upload(
        "docs.jsonl", lines.encode(), "application/json").run()
    assert not at.exception, [e.value for e in at.exception]
    picker = next(s for s in at.selectbox if s.label == "Text column")
    assert picker.value == "body" and "package" in picker.options and "n" not in picker.options
    next(s for s in at.selectbox if s.label == "Encoder").set_value("tfidf")
    next(s for s in at.selectbox if s.label == "Label column").set_value("package")
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    job = next(j for j in jobs.list_jobs() if j.kind == "import-text")  # the embedding is a background job
    assert job.params["name"] == "docs" and job.params["text"] == "body" and job.params["staged"]
    assert jobs.wait(job.id, timeout=120).state == "succeeded", jobs.get(job.id).error
    assert not Path(job.params["path"]).exists()  # the staged upload goes with its job
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    ds = load_dataset("docs")
    assert ds.texts == texts and ds.labels.tolist() == labels and ds.text_encoder.spec()["name"] == "tfidf"
    assert any("Imported 'docs'" in s.value for s in at.success)


def test_the_3d_maps_hover_escapes_labels_from_users_files():
    from types import SimpleNamespace

    import numpy as np

    from latentlab.ui.figures import hover_texts

    ds = SimpleNamespace(labels=np.array(["<img src=x onerror=alert(1)>", "ok"]), label_name="label", __len__=None)
    emb = SimpleNamespace(recon_error=None, has_reconstructions=False)
    texts = hover_texts(ds, emb, "cluster", np.array(["<b>x</b>", "y"], dtype=object), rows=np.arange(2))
    assert "<img" not in texts[0] and "&lt;img src=x onerror=alert(1)&gt;" in texts[0]
    assert "&lt;b&gt;x&lt;/b&gt;" in texts[0] and texts[0].startswith("<b>#0</b>")
