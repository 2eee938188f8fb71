"""Text datasets in the dashboard: search by meaning on the Map page, texts in hovers and panels, cluster
keywords, and importing a text column on the Data page; every text shown as data, never as markup."""

import json

import numpy as np
import pandas as pd
import pytest

from latentlab.data.registry import import_text_dataset
from tests.apptest import start_dashboard
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


def _map_data(at, key="map-scatter") -> dict:
    """The data the page sent the map component (its JSON part)."""
    node = next(n for n in at.main if getattr(n, "type", None) == "bidi_component" and n.proto.id.endswith(key))
    return json.loads(node.proto.mixed.json)


def test_the_map_page_searches_by_meaning_and_lists_hits_as_text(docs, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/map.py", ll_dataset="docs", **{"map-method": "pca"})
    box = next(t for t in at.text_input if t.label == "Search by meaning")
    query = docs.texts[5]
    box.set_value(query).run()
    assert not at.exception, [e.value for e in at.exception]
    hits = next(f for f in _frames(at) if "similarity" in f.columns)
    assert hits["index"].iloc[0] == 5 and hits["similarity"].iloc[0] > 0.99
    assert list(hits["similarity"]) == sorted(hits["similarity"], reverse=True)
    assert hits["text"].iloc[0] == docs.texts[5][:300] or hits["text"].iloc[0].startswith(docs.texts[5][:299].rstrip())
    assert len(hits) == 20
    assert _map_data(at)["highlight"] == hits["index"].tolist()  # the hits are ringed on the map


def test_a_blank_search_lists_nothing_and_rings_nothing(docs, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/map.py", ll_dataset="docs", **{"map-method": "pca"})
    next(t for t in at.text_input if t.label == "Search by meaning").set_value("   ").run()
    assert not at.exception and not at.error
    assert not any("similarity" in f.columns for f in _frames(at))
    assert _map_data(at)["highlight"] == []


def test_a_dataset_without_texts_has_no_search_box(workspace, monkeypatch):
    from latentlab.data import import_dataset
    from latentlab.ui.loaders import clear_listings

    workspace.mkdir(parents=True, exist_ok=True)
    np.save(workspace / "v.npy", np.random.default_rng(0).normal(size=(50, 6)).astype(np.float32))
    import_dataset(workspace / "v.npy", "vectors", kind="embedding")
    clear_listings()
    at = start_dashboard(monkeypatch, "pages/map.py", ll_dataset="vectors", **{"map-method": "pca"})
    assert not any(t.label == "Search by meaning" for t in at.text_input)
    assert _map_data(at)["highlight"] == []  # the map is drawn, without a search
