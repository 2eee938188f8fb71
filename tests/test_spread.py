"""Spread and intrinsic dimension on data whose answer is known: Gaussians of known dimension embedded linearly in
more dimensions, a curve and a plane in 10-D, data on one axis, data shifted away from the origin; and the
same measures in the metrics registry, the command line and the Metrics page."""

import json

import numpy as np
import pytest

from latentlab.analysis.metrics import METRICS, factor_free_names
from latentlab.analysis.metrics.intrinsic_dim import levina_bickel, twonn
from latentlab.analysis.metrics.spread import average_cosine, eigen_entropy, isoscore, partition_ratio
from latentlab.core.errors import LatentLabError


def embedded_gaussian(d: int, ambient: int = 30, n: int = 3000, seed: int = 0) -> np.ndarray:
    """n draws of a standard Gaussian in d dimensions, rotated into ``ambient`` dimensions: (n, ambient)."""
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((ambient, d)))[0]  # (ambient, d), orthonormal columns
    return rng.standard_normal((n, d)) @ basis.T


def rotate_into_10d(points: np.ndarray, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    padded = np.hstack([points, np.zeros((len(points), 10 - points.shape[1]))])
    return padded @ np.linalg.qr(rng.standard_normal((10, 10)))[0]


@pytest.mark.parametrize("d", [2, 5, 10])
@pytest.mark.parametrize("estimate", [twonn, levina_bickel])
def test_the_dimension_of_an_embedded_gaussian_is_found(d, estimate):
    result = estimate(embedded_gaussian(d))
    (value,) = result.scores.values()
    assert abs(value - d) < 0.12 * d, (estimate.__name__, d, value)


def test_a_helix_is_one_dimensional_and_a_plane_two_in_ten_dimensions():
    rng = np.random.default_rng(0)
    t = rng.uniform(0, 4 * np.pi, 3000)
    helix = rotate_into_10d(np.stack([np.cos(t), np.sin(t), t / 3], 1))
    plane = rotate_into_10d(rng.uniform(-1, 1, (3000, 2))) + 3.0
    for estimate in (twonn, levina_bickel):
        assert abs(next(iter(estimate(helix).scores.values())) - 1) < 0.12
        assert abs(next(iter(estimate(plane).scores.values())) - 2) < 0.2


def test_duplicated_items_do_not_break_the_neighbour_estimates():
    x = embedded_gaussian(3, 8, 1000)
    assert abs(twonn(np.vstack([x, x[:200]])).scores["twonn"] - 3) < 0.4


def test_isoscore_is_one_for_an_isotropic_gaussian_and_zero_on_one_axis():
    g = np.random.default_rng(0).standard_normal((4000, 10))
    assert isoscore(g).scores["isoscore"] > 0.95
    one_axis = np.hstack([g[:, :1], np.zeros((4000, 9))])
    assert isoscore(one_axis).scores["isoscore"] < 0.01
    half = g * np.r_[np.ones(5), np.zeros(5)]
    assert 0.3 < isoscore(half).scores["isoscore"] < 0.6  # half the dimensions used


def test_the_entropy_measure_falls_as_the_variance_concentrates():
    g = np.random.default_rng(0).standard_normal((4000, 10))
    scales = [np.ones(10), np.r_[np.ones(5), 0.1 * np.ones(5)], np.r_[1.0, 0.01 * np.ones(9)]]
    results = [eigen_entropy(g * s).scores for s in scales]
    entropies = [r["eigen_entropy"] for r in results]
    assert entropies[0] > 0.99 and entropies[0] > entropies[1] > entropies[2] and entropies[2] < 0.05
    assert abs(results[0]["effective_rank"] - 10) < 0.3 and results[2]["effective_rank"] < 1.1


def test_the_criticised_measures_mislead_where_isoscore_does_not():
    g = np.random.default_rng(0).standard_normal((4000, 10))
    shifted = g + 5.0  # the same spread, away from the origin
    assert abs(average_cosine(g).scores["average_cosine"]) < 0.01
    assert average_cosine(shifted).scores["average_cosine"] > 0.9
    assert abs(isoscore(shifted).scores["isoscore"] - isoscore(g).scores["isoscore"]) < 1e-9
    # I(V) changes with the codes' scale although the shape of the cloud does not
    assert partition_ratio(g).scores["partition_ratio"] > 0.5
    assert partition_ratio(10 * g).scores["partition_ratio"] < 0.01


def test_large_inputs_are_sampled_with_a_fixed_seed():
    x = embedded_gaussian(4, 10, 8000)
    a, b = twonn(x, max_items=2000), twonn(x, max_items=2000)
    assert a.scores == b.scores and len(a.matrices["twonn_ratios"]) == 2000
    assert twonn(x, seed=1, max_items=2000).scores != a.scores


def test_bad_input_is_one_sentence():
    with pytest.raises(LatentLabError, match="NaN"):
        isoscore(np.full((50, 3), np.nan))
    with pytest.raises(LatentLabError, match="at least 10 items"):
        twonn(np.ones((5, 3)))
    with pytest.raises(LatentLabError, match="k1"):
        levina_bickel(embedded_gaussian(2, 4, 200), k1=5, k2=3)


def test_the_measures_are_factor_free_metrics():
    names = factor_free_names()
    assert names == ["isoscore", "eigen-entropy", "avg-cosine", "partition-ratio", "twonn", "levina-bickel"]
    assert "mig" not in names and all(n in METRICS for n in names)


def vectors_dataset(workspace, name="gauss5", d=5):
    from latentlab.data import Dataset
    from latentlab.data.registry import save_dataset

    save_dataset(Dataset(name, embedded_gaussian(d, 20, 2000).astype(np.float32), "embedding"))
    return name


def test_cli_scores_a_dataset_of_vectors_and_a_checkpoint(workspace, capsys):
    from latentlab.cli import main

    name = vectors_dataset(workspace)
    assert main(["metrics", "--dataset", name, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out["metrics"]) == factor_free_names() and out["diagnostics"] is None
    assert abs(out["metrics"]["twonn"]["twonn"] - 5) < 0.6 and abs(out["metrics"]["levina-bickel"]["levina_bickel"] - 5) < 0.6
    assert main(["metrics", "--dataset", name, "--metrics", "mig"]) == 2
    assert "no ground-truth factors, so mig cannot be computed" in capsys.readouterr().err
    assert main(["metrics", "digits-vae", "--metrics", "twonn,isoscore"]) == 0
    text = capsys.readouterr().out
    assert "twonn=" in text and "isoscore=" in text and "active units" in text


def test_metrics_page_shows_spread_of_a_model_and_of_vectors(workspace, monkeypatch):
    from tests.apptest import metric, start_dashboard

    at = start_dashboard(monkeypatch, "pages/metrics.py")
    labels = [m.label for m in at.metric]
    assert {"IsoScore", "eigenvalue entropy", "average cosine", "I(V)", "TwoNN dimension", "MLE dimension"} <= set(labels)
    assert 1 <= float(metric(at, "TwoNN dimension")) <= 8  # the demo VAE has 8 latents
    from latentlab.ui.loaders import clear_listings

    name = vectors_dataset(workspace)
    clear_listings()  # the dataset listing is cached for a few seconds
    at.session_state["ll_dataset"] = name
    at.run()
    assert next(s for s in at.sidebar.selectbox if s.label == "Dataset").value == name
    assert not at.exception, [e.value for e in at.exception]
    assert abs(float(metric(at, "TwoNN dimension")) - 5) < 0.6
    assert any("no model behind it" in i.value for i in at.info)


def test_compare_page_scores_the_spread_of_both_models_side_by_side(workspace, monkeypatch):
    from latentlab import jobs
    from latentlab.ui import compare_view
    from tests.apptest import start_dashboard

    pca = {"method": "pca", "dims": 2, "params": {}, "seed": 0}
    at = start_dashboard(monkeypatch, "pages/compare.py", ll_map=pca, **{compare_view.PICK_B: "digits-topk-sae"})
    at.button(key="cmp-score").click().run()
    for job in jobs.list_jobs():
        assert jobs.wait(job.id, timeout=180).state == "succeeded"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[1].value.set_index("score")
    for score in ("isoscore.isoscore", "twonn.twonn", "levina-bickel.levina_bickel", "avg-cosine.average_cosine"):
        assert table.loc[score, ["digits-vae", "digits-topk-sae"]].notna().all(), score
    assert 1 <= table.loc["twonn.twonn", "digits-vae"] <= 8
