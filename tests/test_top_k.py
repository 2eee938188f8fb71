"""The one exact top-k neighbour search (``projection.knn.top_k``) that text search, the map's neighbours, the
intrinsic dimension and the map's neighbour recall share."""

import numpy as np
import pytest

from latentlab.analysis.projection import knn


@pytest.fixture(scope="module")
def points():
    return np.random.default_rng(0).normal(size=(300, 6))


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_top_k_is_the_brute_force_answer_across_chunks(points, monkeypatch, metric):
    monkeypatch.setattr(knn, "TOP_K_ROWS", 37)  # several chunks of rows and of queries
    monkeypatch.setattr(knn, "TOP_K_CELLS", 37 * 5)
    queries = points[:11] + 0.01
    rows, scores = knn.top_k(points, queries, 7, metric)
    if metric == "euclidean":
        full = np.linalg.norm(queries[:, None] - points[None], axis=2)
        want = np.argsort(full, axis=1, kind="stable")[:, :7]
    else:
        unit = points / np.linalg.norm(points, axis=1, keepdims=True)
        full = (queries / np.linalg.norm(queries, axis=1, keepdims=True)) @ unit.T
        want = np.argsort(-full, axis=1, kind="stable")[:, :7]
    np.testing.assert_array_equal(rows, want)
    np.testing.assert_allclose(scores, np.take_along_axis(full, want, 1), atol=1e-9)


def test_ties_come_in_row_order_and_an_excluded_row_never_comes(points):
    x = points.copy()
    x[[40, 7, 200]] = x[3]
    rows, dist = knn.top_k(x, x[3:4], 3, "euclidean", exclude=np.array([3]))
    assert rows.tolist() == [[7, 40, 200]] and np.allclose(dist, 0)
    rows, sims = knn.top_k(x, x[3:4], 4, "cosine")
    assert rows.tolist() == [[3, 7, 40, 200]] and np.allclose(sims, 1)
