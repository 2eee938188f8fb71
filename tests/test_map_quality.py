"""The default map on real data nobody here made, beside umap-learn in the same run, and the figures that
judge it (``latentlab.analysis.projection.quality``)."""

import warnings

import numpy as np
import pytest

from latentlab.analysis.projection import make_projector
from latentlab.analysis.projection.quality import extent_ratio, knn_recall, map_quality
from tests.real_text import docstring_corpus, tfidf_vectors

# the standard library's own documentation: real prose, present wherever Python is, quick to import
STDLIB = ("email", "asyncio", "unittest", "xml", "http", "logging", "json", "concurrent", "importlib",
          "multiprocessing", "urllib", "collections", "ctypes", "sqlite3", "xmlrpc", "html", "wsgiref",
          "argparse", "pathlib", "typing", "decimal", "zipfile", "tarfile", "subprocess", "threading", "socket",
          "ssl", "shutil", "statistics", "fractions", "datetime")
TOLERANCE = {"trustworthiness": 0.01, "knn_recall": 0.02, "label_accuracy": 0.02}


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.data.astype(np.float32), d.target


@pytest.fixture(scope="module")
def stdlib_text():
    texts, labels = docstring_corpus(per_package=300, packages=STDLIB)
    return tfidf_vectors(texts), labels


def with_near_duplicates(X: np.ndarray, groups: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """X with ``groups`` groups of 16-39 copies of one of its rows plus noise of 0.001 (boilerplate items);
    returns the rows and each added row's group (-1 for the original rows)."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(X), groups, replace=False)
    sizes = rng.integers(16, 40, groups)
    extra = [X[p] + rng.normal(scale=1e-3, size=(s, X.shape[1])) for p, s in zip(picks, sizes)]
    group = np.concatenate([np.full(len(X), -1), np.repeat(np.arange(groups), sizes)])
    return np.concatenate([X, *extra]).astype(np.float32), group


def reference_map(X: np.ndarray, metric: str) -> np.ndarray:
    umap = pytest.importorskip("umap")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return umap.UMAP(n_neighbors=15, min_dist=0.1, metric=metric, random_state=0).fit_transform(X)


def test_extent_ratio_sees_a_group_flung_far_from_the_rest():
    body = np.random.default_rng(0).uniform(size=(5000, 2))
    assert extent_ratio(body) == pytest.approx(0.98, abs=0.01)
    flung = np.concatenate([body, body[:20] + 100.0])  # 0.4% of the points, far away
    assert extent_ratio(flung) < 0.02


def test_knn_recall_is_one_for_the_input_itself_and_low_for_noise():
    X = np.random.default_rng(0).normal(size=(600, 5)).astype(np.float32)
    rows = np.arange(0, 600, 3)
    assert knn_recall(X, X, rows) == 1.0
    assert knn_recall(X, np.random.default_rng(1).normal(size=(600, 2)), rows) < 0.1


def test_map_quality_of_a_perfect_and_a_scrambled_map():
    X = np.random.default_rng(0).normal(size=(500, 2)).astype(np.float32)
    labels = (X[:, 0] > 0).astype(int)
    good = map_quality(X, X * 3.0 + 1.0, labels)
    assert good.trustworthiness == pytest.approx(1.0) and good.knn_recall == 1.0 and good.label_accuracy > 0.95
    bad = map_quality(X, np.random.default_rng(1).permutation(X), labels)
    assert bad.trustworthiness < 0.7 and bad.knn_recall < 0.1 and bad.label_accuracy < 0.7
    assert set(good.as_dict()) == {"trustworthiness", "knn_recall", "label_accuracy", "extent_ratio"}


@pytest.mark.parametrize("data", ["digits", "stdlib_text"])
def test_groups_of_near_duplicates_stay_in_the_main_view(data, request):
    """Boilerplate items form tight groups whose neighbours are all each other; summed over an epoch, their
    pulls and pushes once flung them tens of units from the rest, leaving the body a dot in the view."""
    X, _ = request.getfixturevalue(data)
    metric = "cosine" if data == "stdlib_text" else "euclidean"
    Z, group = with_near_duplicates(X / np.abs(X).max(), groups=12)
    Y = make_projector("umap", metric=metric).fit_transform(Z)
    assert extent_ratio(Y) >= 0.5
    body = Y[group < 0]
    lo, hi = body.min(axis=0), body.max(axis=0)
    margin = 0.25 * (hi - lo)
    centres = np.array([np.median(Y[group == g], axis=0) for g in range(12)])
    assert ((centres >= lo - margin) & (centres <= hi + margin)).all()  # every group beside the body


@pytest.mark.slow
@pytest.mark.parametrize("data", ["digits", "stdlib_text"])
def test_default_map_is_as_faithful_as_umap_learn(data, request):
    X, labels = request.getfixturevalue(data)
    metric = "cosine" if data == "stdlib_text" else "euclidean"
    ours = map_quality(X, make_projector("umap", metric=metric).fit_transform(X), labels, metric)
    ref = map_quality(X, reference_map(X, metric), labels, metric)
    for name, tolerance in TOLERANCE.items():
        assert getattr(ours, name) >= getattr(ref, name) - tolerance, (name, ours, ref)
    assert ours.extent_ratio >= 0.5


class _FakeCumlUMAP:
    """Stands in for ``cuml.manifold.UMAP`` where RAPIDS is not installed: records its settings."""

    made: list = []

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        _FakeCumlUMAP.made.append(kwargs)

    def fit_transform(self, X):
        return np.asarray(X)[:, : self.kwargs["n_components"]] * 2.0


@pytest.fixture
def fake_cuml(monkeypatch):
    import sys
    import types

    import torch

    cuml = types.ModuleType("cuml")
    cuml.__spec__ = types.SimpleNamespace(name="cuml")
    manifold = types.ModuleType("cuml.manifold")
    manifold.UMAP = _FakeCumlUMAP
    cuml.manifold = manifold
    monkeypatch.setitem(sys.modules, "cuml", cuml)
    monkeypatch.setitem(sys.modules, "cuml.manifold", manifold)
    monkeypatch.setattr("latentlab.analysis.projection.methods._cuml_installed", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    _FakeCumlUMAP.made.clear()
    return _FakeCumlUMAP


def test_a_cuda_machine_with_cuml_maps_with_cuml(fake_cuml):
    X = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
    proj = make_projector("umap", metric="cosine", n_neighbors=10, random_state=3)
    Y = proj.fit_transform(X)
    assert proj.backend_ == "cuml" and proj.device_ == "cuda"
    assert np.allclose(Y, X[:, :2] * 2.0) and Y.dtype == np.float32
    (settings,) = fake_cuml.made
    assert settings == {"n_components": 2, "n_neighbors": 10, "min_dist": 0.1, "metric": "cosine",
                        "random_state": 3, "init": "spectral"}


def test_without_cuml_the_map_uses_torch_and_asking_for_cuml_says_how_to_get_it(monkeypatch):
    from latentlab.core.errors import LatentLabError

    monkeypatch.setattr("latentlab.analysis.projection.methods._cuml_installed", lambda: False)
    X = np.random.default_rng(0).normal(size=(60, 4)).astype(np.float32)
    proj = make_projector("umap")
    proj.fit_transform(X)
    assert proj.backend_ == "torch"
    with pytest.raises(LatentLabError, match=r"latentlab\[gpu\]"):
        make_projector("umap", backend="cuml").fit_transform(X)
