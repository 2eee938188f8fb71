"""Models trained on a text embedding show texts where they would show images: a feature's top-activating items,
a cluster's decoded centroid, traversals, samples and decoded codes read as their nearest texts."""

import numpy as np
import pandas as pd
import pytest

import latentlab as ll
from latentlab.core.errors import LatentLabError
from latentlab.data.registry import import_text_dataset
from latentlab.training.trainer import TrainConfig
from latentlab.ui.text_view import snippet
from tests.apptest import start_dashboard
from tests.real_text import docstring_corpus


@pytest.fixture(scope="module")
def corpus():
    texts, labels = docstring_corpus(per_package=30, packages=("email", "json", "logging"))
    return list(texts), np.asarray(labels).astype(str).tolist()


@pytest.fixture(scope="module")
def trained(tmp_path_factory, corpus):
    """A workspace with a text dataset 'docs' (TF-IDF) and a VAE ('docs-vae') and a TopK SAE ('docs-sae') trained
    on it, made once for this module's tests."""
    folder = tmp_path_factory.mktemp("text-models")
    texts, labels = corpus
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LATENTLAB_HOME", str(folder / "home"))
        pd.DataFrame({"doc": texts, "package": labels}).to_csv(folder / "docs.csv", index=False)
        import_text_dataset(folder / "docs.csv", "docs", text="doc", labels="package", encoder="tfidf")
        ll.train("docs", "vae", {"latent_dim": 3}, TrainConfig(steps=60, batch_size=32), name="docs-vae")
        ll.train("docs", "topk-sae", {"k": 3, "latent_dim": 24}, TrainConfig(steps=60, batch_size=32), name="docs-sae")
    return folder / "home"


@pytest.fixture
def docs(trained, monkeypatch):
    from latentlab.data import load_dataset
    from latentlab.ui.loaders import clear_listings

    monkeypatch.setenv("LATENTLAB_HOME", str(trained))
    clear_listings()
    return load_dataset("docs")


def _texts_frames(at) -> list[pd.DataFrame]:
    return [f.value for f in at.dataframe if "text" in f.value.columns]


def test_a_decoded_vector_reads_as_its_nearest_texts(docs):
    hits = ll.nearest_texts(docs, docs.x[[4, 9]] * 3.0, k=3)  # cosine: the scale does not matter
    assert [h[0].index for h in hits] == [4, 9]
    assert hits[0][0].similarity == pytest.approx(1.0, abs=1e-5) and hits[0][0].text == docs.texts[4]
    assert hits[0][0].label == docs.labels[4]
    assert all(h[0].similarity >= h[1].similarity >= h[2].similarity for h in hits)
    with pytest.raises(LatentLabError, match="cannot be compared"):
        ll.nearest_texts(docs, np.zeros((1, 5)), k=1)


def test_codes_of_a_text_dataset_read_as_the_texts_they_were_made_from(docs):
    codes = ll.save_codes_dataset(ll.load_checkpoint("docs-vae"), docs, name="docs-codes")
    hits = ll.nearest_texts(codes, codes.x[[7]], k=1)
    assert hits[0][0].index == 7 and hits[0][0].text == docs.texts[7]


def test_nearest_texts_refuses_a_dataset_without_texts(tiny_table):
    with pytest.raises(LatentLabError, match="has no texts"):
        ll.nearest_texts(tiny_table, tiny_table.x[:1], k=1)


def test_the_features_page_lists_a_features_top_activating_texts(docs, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/features.py", ll_dataset="docs", ll_checkpoint="docs-sae")
    top = next(f for f in _texts_frames(at) if "activation" in f.columns)
    assert len(top) and top["activation"].is_monotonic_decreasing and (top["activation"] > 0).all()
    assert top["text"].tolist() == [snippet(docs.texts[i]) for i in top["index"]]
    assert top["package"].tolist() == [docs.labels[i] for i in top["index"]]
    alone = next(f for f in _texts_frames(at) if "decoded" in f.columns)  # the feature alone, decoded, as texts
    assert alone["decoded"].str.endswith(" alone").all() and len(alone) == 5
    assert set(alone["text"]) <= {snippet(t) for t in docs.texts}


def test_the_traverse_page_reads_decoded_codes_as_texts(docs, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/traverse.py", ll_dataset="docs", ll_checkpoint="docs-vae")
    frames = [f for f in _texts_frames(at) if "decoded" in f.columns]
    by_name = {tuple(f["decoded"].unique()): f for f in frames}
    sliders = by_name[("decoded from the sliders",)]
    assert len(sliders) == 5 and sliders["similarity"].is_monotonic_decreasing
    grid = next(f for f in frames if f["decoded"].str.startswith("z").all())  # the traversal grid: one text a step
    assert len(grid) == 3 * 9 and "rank" not in grid.columns
    assert grid["text"].tolist() == [snippet(docs.texts[i]) for i in grid["index"]]
    steps = next(f for f in frames if f["decoded"].str.startswith("step").all())  # the interpolation
    assert len(steps) == 8
    samples = next(f for f in frames if f["decoded"].str.startswith("sample").all())
    assert len(samples) == 16


def test_the_clusters_page_reads_a_decoded_centroid_as_texts(docs, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/clusters.py", ll_dataset="docs", ll_checkpoint="docs-vae",
                         ll_space="latent means", **{"cl-method": "kmeans"})
    centroid = next(f for f in _texts_frames(at) if "decoded" in f.columns)
    assert (centroid["decoded"] == "centroid").all() and len(centroid) == 5
    assert set(centroid["text"]) <= {snippet(t) for t in docs.texts}
