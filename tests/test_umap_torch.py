"""The torch UMAP: neighbours, quality against umap-learn, progress, cancelling, CUDA."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits, make_blobs
from sklearn.manifold import trustworthiness
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from latentlab.analysis.projection import make_projector
from latentlab.analysis.projection.knn import METRICS, brute_knn, knn_graph, prepare, tree_knn
from latentlab.analysis.projection.umap_torch import (_negative_ring, _sample_stride, _samples, find_ab, fuzzy_graph,
                                                     umap)


class Cancelled(Exception):
    pass


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return d.data.astype(np.float32), d.target


def _map_accuracy(Y, y):
    """How well a point's 2-D neighbours predict its label."""
    return cross_val_score(KNeighborsClassifier(10), Y, y, cv=3).mean()


def _reference_knn(X, k, metric):
    from scipy.spatial.distance import cdist

    names = {"euclidean": "euclidean", "cosine": "cosine", "manhattan": "cityblock", "correlation": "correlation"}
    D = cdist(X.astype(np.float64), X.astype(np.float64), names[metric])
    np.fill_diagonal(D, -1.0)  # self first
    idx = np.argsort(D, axis=1, kind="stable")[:, :k]
    return idx, np.take_along_axis(D.clip(0), idx, axis=1)


@pytest.mark.parametrize("metric", METRICS)
def test_chunked_knn_equals_brute_force(metric):
    X = np.random.default_rng(0).normal(size=(300, 12)).astype(np.float32)
    ref_idx, ref_d = _reference_knn(X, 10, metric)
    Z, manhattan = prepare(X, metric)
    idx, _ = brute_knn(Z, 10, manhattan, chunk=37)  # several blocks, a ragged last one
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    idx, d = knn_graph(X, 10, metric)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    np.testing.assert_allclose(d.numpy(), ref_d, atol=1e-4)
    tidx, _ = tree_knn(Z.numpy(), 10, manhattan, chunk=101)
    np.testing.assert_array_equal(tidx, ref_idx)


def test_high_dimensional_rows_on_a_cpu_use_descent_with_high_recall(monkeypatch):
    from latentlab.analysis.projection import knn

    rng = np.random.default_rng(1)  # embeddings: few intrinsic dimensions in many
    X = (rng.normal(size=(3000, 6)) @ rng.normal(size=(6, 48)) + 0.05 * rng.normal(size=(3000, 48))).astype(np.float32)
    ref_idx, _ = _reference_knn(X, 10, "euclidean")
    monkeypatch.setattr(knn, "CPU_DESCENT_MIN", 1000)
    used = []
    real = knn.descent_knn
    monkeypatch.setattr(knn, "descent_knn", lambda *a, **k: (used.append(1), real(*a, **k))[1])
    idx, d = knn_graph(X, 10)
    assert used and (idx[:, 0].numpy() == np.arange(3000)).all()
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(idx.numpy(), ref_idx)])
    assert recall > 0.9
    assert (np.diff(d.numpy(), axis=1) >= -1e-5).all()


def test_knn_puts_duplicates_after_self():
    X = np.repeat(np.arange(12, dtype=np.float32)[:, None], 3, axis=0)  # every row three times
    for idx, _ in (knn_graph(X, 4), map(torch.as_tensor, tree_knn(X, 4))):
        np.testing.assert_array_equal(idx[:, 0].numpy(), np.arange(len(X)))


def test_fuzzy_graph_is_symmetric_with_unit_nearest_weights(digits):
    X, _ = digits
    head, tail, w = fuzzy_graph(*knn_graph(X[:500], 15))
    W = np.zeros((500, 500))
    W[head.numpy(), tail.numpy()] = w.numpy()
    np.testing.assert_allclose(W, W.T, atol=1e-6)
    assert w.max() <= 1.0 + 1e-6 and (w > 0).all()
    assert (W.max(axis=1) > 0.999).all()  # each point's nearest neighbour has membership 1


def test_ab_matches_umap_learn_defaults():
    a, b = find_ab(0.1)
    assert a == pytest.approx(1.577, abs=0.01) and b == pytest.approx(0.895, abs=0.01)


def test_separated_blobs_stay_separated():
    X, y = make_blobs(n_samples=800, centers=5, n_features=10, cluster_std=1.0, random_state=3)
    Y = make_projector("umap", random_state=0).fit_transform(X.astype(np.float32))
    assert Y.shape == (800, 2) and Y.dtype == np.float32
    assert _map_accuracy(Y, y) > 0.9


def test_torch_cpu_quality_agrees_with_umap_learn(digits):
    """The torch backend, on CPU tensors, keeps neighbourhoods as well as umap-learn on the same data."""
    X, y = digits
    ours = make_projector("umap", random_state=0, backend="torch").fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = make_projector("umap", random_state=0, backend="umap-learn").fit_transform(X)
    t_ours, t_ref = trustworthiness(X, ours, n_neighbors=15), trustworthiness(X, ref, n_neighbors=15)
    assert t_ours > t_ref - 0.02, (t_ours, t_ref)
    assert _map_accuracy(ours, y) > 0.9


def test_seeded_runs_are_deterministic_and_seeds_differ(digits):
    X = digits[0][:400]
    a = umap(X, random_state=5, n_epochs=50)
    np.testing.assert_array_equal(a, umap(X, random_state=5, n_epochs=50))
    assert not np.array_equal(a, umap(X, random_state=6, n_epochs=50))


def test_a_seeded_layout_is_the_same_on_one_thread_and_on_two():
    X, _ = make_blobs(n_samples=17_000, centers=6, n_features=5, random_state=0)
    layouts = []
    before = torch.get_num_threads()
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            layouts.append(umap(X.astype(np.float32), n_epochs=10, random_state=3))
    finally:
        torch.set_num_threads(before)
    assert np.array_equal(layouts[0], layouts[1])


@pytest.mark.parametrize("n, m", [(3, 3), (5, 5), (8, 4), (8, 2), (12, 3), (20, 40), (1_000, 250), (1_000, 1_000)])
def test_each_heads_negative_samples_are_distinct_points(n, m):
    """Sample-major rows read at a stride equal to (or a fraction of) the ring's period would repeat a point."""
    rate = 5
    stride = _sample_stride(m, n, rate)
    ring, offset = _negative_ring(torch.arange(n, dtype=torch.float32)[None], (rate - 1) * stride + m,
                                  torch.Generator().manual_seed(n))
    points = _samples(ring, offset, m, rate, stride)[0]  # (rate, m) point ids
    assert points.shape == (rate, m)
    for head in points.T.tolist():
        assert len(set(head)) == min(rate, n)


@pytest.mark.parametrize("n", [3, 4, 7, 20])
@pytest.mark.parametrize("dims", [2, 3])
def test_tiny_inputs(n, dims):
    X = np.random.default_rng(n).normal(size=(n, 5)).astype(np.float32)
    Y = make_projector("umap", n_components=dims, n_neighbors=50).fit_transform(X)
    assert Y.shape == (n, dims) and np.isfinite(Y).all()


def test_progress_reports_neighbours_then_every_epoch(digits):
    calls = []
    make_projector("umap").fit(digits[0][:300], progress=lambda *c: calls.append(c))
    stages = [c[0] for c in calls]
    assert stages[0] == "UMAP neighbours" and stages[-1] == "UMAP layout"
    knn = [c for c in calls if c[0] == "UMAP neighbours"]
    assert knn[-1][1] == knn[-1][2] == 300 and knn[-1][3] == "points"
    layout = [c for c in calls if c[0] == "UMAP layout"]
    done = [c[1] for c in layout]
    assert done == sorted(done) and done[0] == 0
    assert layout[-1][1] == layout[-1][2] == 500 and layout[-1][3] == "epochs"


@pytest.mark.parametrize("method", ["umap", "pca", "tsne"])
def test_every_projector_reports_a_finished_stage(method):
    X = np.random.default_rng(0).normal(size=(60, 4)).astype(np.float32)
    calls = []
    make_projector(method).fit_transform(X, progress=lambda *c: calls.append(c))
    assert calls and calls[-1][1] == calls[-1][2]


def test_a_raising_progress_stops_the_fit(digits):
    seen = []

    def cancel(stage, done, total, unit):
        seen.append((stage, done))
        if stage == "UMAP layout" and done == 3:
            raise Cancelled

    proj = make_projector("umap")
    with pytest.raises(Cancelled):
        proj.fit(digits[0][:300], progress=cancel)
    assert seen[-1] == ("UMAP layout", 3)
    assert not hasattr(proj, "embedding_")


def test_unknown_backend_is_refused():
    from latentlab.core.errors import LatentLabError

    with pytest.raises(LatentLabError, match="backend"):
        make_projector("umap", backend="gpu").fit_transform(np.zeros((10, 3), np.float32))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_tensors_give_a_good_map(digits):
    X, y = digits
    Y = umap(X, random_state=0, device="cuda")
    assert Y.shape == (len(X), 2) and np.isfinite(Y).all()
    assert trustworthiness(X, Y, n_neighbors=15) > 0.97
    assert _map_accuracy(Y, y) > 0.9
    idx, _ = knn_graph(X, 15, device="cuda")
    np.testing.assert_array_equal(idx.cpu().numpy(), knn_graph(X, 15)[0].numpy())


def test_large_sets_start_from_a_landmark_map(digits, monkeypatch):
    from latentlab.analysis.projection import umap_start
    from latentlab.analysis.projection.knn import nearest_rows

    X = digits[0]
    Z, _ = prepare(X, "euclidean")
    idx, dist = nearest_rows(Z, Z[:100], 3)
    ref = torch.cdist(Z, Z[:100]).topk(3, dim=1, largest=False)
    np.testing.assert_array_equal(idx, ref.indices.numpy())
    np.testing.assert_allclose(dist, ref.values.numpy(), rtol=1e-4, atol=1e-4)
    monkeypatch.setattr(umap_start, "SPECTRAL_MAX", 400)  # digits (1,797) now counts as large
    calls = []
    real = umap_start.landmark_layout
    monkeypatch.setattr(umap_start, "landmark_layout", lambda *a, **k: (calls.append(1), real(*a, **k))[1])
    Y = umap(X, random_state=0)
    assert calls and Y.shape == (len(X), 2)
    assert trustworthiness(X, Y, n_neighbors=15) > 0.95


def test_very_large_sets_map_a_sample_and_place_the_rest(digits, monkeypatch):
    from latentlab.analysis.projection import umap_start

    X, y = digits
    monkeypatch.setattr(umap_start, "FULL_MAX", 1000)  # digits (1,797) now counts as very large
    monkeypatch.setattr(umap_start, "FIT_SAMPLE", 900)
    calls = []
    Y = umap(X, random_state=0, progress=lambda *a: calls.append(a))
    assert Y.shape == (len(X), 2) and np.isfinite(Y).all()
    assert calls[-1] == ("placing points", len(X), len(X), "points")
    assert any(c[0] == "UMAP layout" for c in calls)
    assert trustworthiness(X, Y, n_neighbors=15) > 0.93 and _map_accuracy(Y, y) > 0.9
    np.testing.assert_array_equal(Y, umap(X, random_state=0))
