import numpy as np
import pytest

import latentlab as ll
from latentlab.analysis.clustering import CLUSTERERS, cluster_scores, make_clusterer, matched_accuracy
from latentlab.core.errors import LatentLabError
from latentlab.analysis.projection import PROJECTORS, make_projector
from latentlab.training.trainer import TrainConfig


@pytest.fixture
def blobs():
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=150, centers=3, n_features=6, random_state=0)
    return X.astype(np.float32), y


@pytest.mark.parametrize("method", list(PROJECTORS))
@pytest.mark.parametrize("dims", [2, 3])
def test_projectors_shape_and_seeded_determinism(blobs, method, dims):
    X, _ = blobs
    a = make_projector(method, n_components=dims, random_state=1).fit_transform(X)
    b = make_projector(method, n_components=dims, random_state=1).fit_transform(X)
    assert a.shape == (150, dims)
    np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("whiten", ["no", "yes"])
def test_pca_equals_scikit_learns_on_the_digits(whiten):
    """The pca projector is not scikit-learn's PCA (methods.PCAProjector says why): on real data it must give
    the same map, signs and explained variance included, and codes wider than its cut-over go to scikit-learn."""
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA

    X = load_digits().data.astype(np.float32)
    ours = make_projector("pca", n_components=2, whiten=whiten)
    xy = ours.fit_transform(X)
    ref = PCA(n_components=2, whiten=whiten == "yes", svd_solver="full")
    want = ref.fit_transform(X.astype(np.float64))
    np.testing.assert_allclose(xy, want, atol=1e-3 * np.abs(want).max())
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=1e-5)
    wide = make_projector("pca", n_components=2, whiten=whiten)
    wide.SKLEARN_FROM = 32  # the digits' 64 pixels count as wide: scikit-learn's PCA makes this map
    np.testing.assert_allclose(wide.fit_transform(X), want, atol=1e-3 * np.abs(want).max())


def test_projector_rejects_unknown_parameters(blobs):
    with pytest.raises(LatentLabError, match="unknown parameter"):
        make_projector("pca", bogus=1).fit_transform(blobs[0])
    with pytest.raises(LatentLabError, match="Unknown projection"):
        make_projector("isomap")


@pytest.mark.parametrize("method", [name for name, cls in CLUSTERERS.items() if not cls.READS_MODEL])
def test_clusterers_recover_separated_blobs(blobs, method):
    X, y = blobs
    params = {"min_cluster_size": 10} if method == "hdbscan" else {"k": 3}
    labels = make_clusterer(method, random_state=0, **params).fit_predict(X)
    assert labels.shape == (150,)
    assert matched_accuracy(y, labels) > 0.95
    again = make_clusterer(method, random_state=0, **params).fit_predict(X)
    np.testing.assert_array_equal(labels, again)


def test_the_models_own_clusters_are_a_registered_method_that_reads_them(blobs):
    from types import SimpleNamespace

    X, y = blobs
    assign = np.eye(3)[y] * 0.8 + 0.2 / 3  # (N, 3) soft assignments, each row's largest at its blob
    clusterer = make_clusterer("model", random_state=0)
    assert CLUSTERERS.entry("model").inline_points is None and CLUSTERERS.entry("model").params == ()
    np.testing.assert_array_equal(clusterer.read(SimpleNamespace(assign=assign, has_model=True)), y)
    assert clusterer.extra_scores() == {"mean_confidence": pytest.approx(0.8 + 0.2 / 3)}
    with pytest.raises(LatentLabError, match="takes no parameters"):
        make_clusterer("model", k=3)
    with pytest.raises(LatentLabError, match="does not cluster its codes"):
        make_clusterer("model").fit_predict(X)
    with pytest.raises(LatentLabError, match="A dataset's own vectors does not cluster"):
        make_clusterer("model").read(SimpleNamespace(assign=None, has_model=False))


def test_scores_perfect_and_random(blobs):
    X, y = blobs
    perfect = cluster_scores(X, y, y)
    assert perfect["ari"] == pytest.approx(1.0) and perfect["matched_accuracy"] == 1.0
    assert perfect["silhouette"] > 0.5
    noise = cluster_scores(X, np.random.default_rng(0).integers(0, 3, 150), y)
    assert abs(noise["ari"]) < 0.1


def test_matched_accuracy_ignores_label_names():
    assert matched_accuracy(np.array(["a", "a", "b", "b"]), np.array([7, 7, 3, 3])) == 1.0


def test_facade_caches_projection_and_clusters(workspace, tiny_table):
    r = ll.train(tiny_table, "vae", {"latent_dim": 3}, TrainConfig(steps=30, batch_size=32))
    xy = ll.project(r.name, tiny_table, method="pca")
    assert xy.shape == (80, 2)
    cached = list((workspace / "cache" / "project").glob("*.npz"))
    assert len(cached) == 1
    mtime = cached[0].stat().st_mtime_ns
    np.testing.assert_array_equal(ll.project(r.name, tiny_table, method="pca"), xy)
    assert cached[0].stat().st_mtime_ns == mtime  # read back, not recomputed
    res = ll.cluster(r.name, tiny_table, method="kmeans", k=2)
    assert set(res.labels.tolist()) == {0, 1}
    assert {"silhouette", "ari", "nmi", "matched_accuracy"} <= set(res.scores)
    assert list(res.table["size"]) and res.table["size"].sum() == 80
    onproj = ll.cluster(r.name, tiny_table, method="gmm", on="projection", k=2, projection={"method": "pca"})
    assert onproj.labels.shape == (80,)
