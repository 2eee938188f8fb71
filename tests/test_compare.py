"""Comparing two latent spaces: CKA, relative representations, kNN agreement, latent correlations, Procrustes
alignment of maps, ``ll.compare`` and ``latentlab compare``."""

import json

import numpy as np
import pytest

import latentlab as ll
from latentlab.cli import main
from latentlab.analysis.compare.similarity import (compare_codes, knn_agreement, linear_cka, procrustes, relative_similarity, anchor_rows)
from latentlab.core.errors import LatentLabError
from latentlab.training.trainer import TrainConfig


def rotation(d: int, seed: int) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q


@pytest.fixture
def codes():
    rng = np.random.default_rng(0)
    return rng.normal(size=(400, 6)) * np.array([3.0, 2.0, 1.5, 1.0, 0.5, 0.2])  # (N, D)


def test_cka_of_codes_with_a_rotated_scaled_shifted_copy_is_one_and_low_for_unrelated_codes(codes):
    copy = 2.5 * codes @ rotation(6, 1) + 7.0
    assert linear_cka(codes, copy) == pytest.approx(1.0, abs=1e-9)
    assert linear_cka(codes, copy, n=100, seed=3) == pytest.approx(1.0, abs=1e-9)  # a subsample of the same items
    unrelated = np.random.default_rng(5).normal(size=(400, 4))
    assert linear_cka(codes, unrelated) < 0.1
    half = np.concatenate([codes[:, :3], np.random.default_rng(6).normal(size=(400, 3))], 1)  # half the structure
    assert 0.3 < linear_cka(codes, half) < 0.99


def test_feature_space_cka_equals_the_gram_matrix_form(codes):
    other = codes[:, :4] @ rotation(4, 2) + np.random.default_rng(7).normal(size=(400, 4))
    x, y = codes - codes.mean(0), other - other.mean(0)
    kx, ky = x @ x.T, y @ y.T  # (N, N): the textbook form, HSIC of centred Gram matrices
    gram = np.sum(kx * ky) / (np.linalg.norm(kx) * np.linalg.norm(ky))
    assert linear_cka(codes.astype(np.float32), other.astype(np.float32)) == pytest.approx(gram, rel=1e-5)


def test_relative_and_knn_scores_are_one_for_a_rotated_copy_and_fall_with_noise(codes):
    anchors = anchor_rows(len(codes), 50, seed=0)
    copy = 0.1 * codes @ rotation(6, 4)
    assert relative_similarity(codes, copy, anchors) == pytest.approx(1.0, abs=1e-9)
    assert knn_agreement(codes, copy, k=10) == pytest.approx(1.0)
    noisy = codes + np.random.default_rng(8).normal(scale=1.5, size=codes.shape)
    assert relative_similarity(codes, noisy, anchors) < 0.95
    assert knn_agreement(codes, noisy, k=10) < 0.6


def test_the_best_match_of_each_latent_is_found_in_a_permuted_sign_flipped_copy(codes):
    perm = np.array([3, 0, 5, 1, 4, 2])
    signs = np.array([1, -1, 1, -1, 1, 1])
    noise = np.random.default_rng(9).normal(scale=0.05, size=codes.shape)
    other = np.concatenate([codes[:, perm] * signs + noise, np.ones((len(codes), 1))], 1)  # and a constant latent
    result = compare_codes(codes, other, ("a", "b"))
    assert result.correlation.shape == (6, 7)
    assert np.array_equal(result.best_match, np.argsort(perm))  # latent d of A sits at column perm^-1[d] of B
    assert result.correlation[:, 6].max() == 0.0  # a constant latent correlates with nothing
    frame = result.to_frame()
    assert list(frame.columns) == ["latent_a", "best_match_b", "abs_r"] and (frame["abs_r"] > 0.95).all()
    assert json.loads(json.dumps(result.to_dict()))["best_matches"][0]["best_match_b"] == f"z{np.argsort(perm)[0]}"


def test_procrustes_undoes_a_reflection_rotation_scale_and_shift():
    xy = np.random.default_rng(1).normal(size=(300, 2))
    turn = np.array([[np.cos(0.7), -np.sin(0.7)], [np.sin(0.7), np.cos(0.7)]])
    moved = 0.3 * (xy * [1, -1]) @ turn + [5.0, -2.0] + np.random.default_rng(2).normal(scale=0.003, size=xy.shape)
    fit = procrustes(xy, moved)
    assert fit.reflected
    assert fit.residual < 1e-3
    assert np.abs(fit.aligned - xy).max() < 0.2
    assert fit.scale == pytest.approx(1 / 0.3, rel=0.02)
    assert procrustes(xy, np.random.default_rng(3).normal(size=(300, 2))).residual > 0.9  # nothing shared


def test_maps_of_a_model_with_itself_agree_after_procrustes(workspace):
    from latentlab.analysis.projection import make_projector

    codes = ll.embed("digits-vae").mean[:400]
    first, second = (make_projector("umap", random_state=seed).fit_transform(codes) for seed in (0, 1))  # two seeds
    flipped = -3.0 * second[:, ::-1] + 10.0  # as another run may draw it: swapped axes, flipped, scaled, moved
    fit = procrustes(first, flipped)
    # two seeds may arrange a cluster or two differently: umap-learn's own seeds 0 and 1 leave 0.10 here
    assert fit.residual < 0.3
    spread = np.sqrt(((first - first.mean(0)) ** 2).sum(1).mean())
    # most points land near where they were (0.37 of the spread on one 2-core CPU, where two seeds placed a
    # cluster elsewhere; under 0.3 on another): far nearer than the 1+ spreads before the alignment
    assert np.median(np.linalg.norm(fit.aligned - first, axis=1)) < 0.5 * spread
    assert np.median(np.linalg.norm(flipped - first, axis=1)) > spread  # and were far from it before


def test_a_model_compared_with_itself_scores_one_and_an_untrained_one_less(workspace):
    same = ll.compare("digits-vae", "digits-vae")
    assert same.n == 1797
    assert same.cka == pytest.approx(1.0) and same.relative_similarity == pytest.approx(1.0)
    assert same.knn_agreement == pytest.approx(1.0)
    assert np.array_equal(same.best_match, np.arange(8))
    ll.train("digits", "vae", {"latent_dim": 8, "hidden": "16"}, TrainConfig(steps=1, seed=3), name="untrained")
    fresh = ll.compare("digits-vae", "untrained")
    assert fresh.relative_similarity < 0.9 and fresh.knn_agreement < 0.5 and fresh.cka < 0.9
    sample = ll.compare("digits-vae", "digits-vae", n=300, anchors=40, k=5)
    assert sample.n == 300 and sample.n_anchors == 40 and sample.k == 5


def test_checkpoints_of_different_data_are_refused(workspace):
    ll.train("wine", "ae", {"latent_dim": 2, "hidden": "16"}, TrainConfig(steps=2), name="wine-ae")
    with pytest.raises(LatentLabError, match="cover different items"):
        ll.compare("digits-vae", "wine-ae")
    with pytest.raises(LatentLabError, match="neither a checkpoint nor a dataset"):
        ll.compare("digits-vae", "no-such-thing")


def test_a_checkpoint_compares_with_its_codes_saved_as_a_dataset(workspace):
    from latentlab.analysis.codes_datasets import save_codes_dataset

    save_codes_dataset("digits-vae")
    result = ll.compare("digits-vae", "digits-vae-codes")
    assert result.cka == pytest.approx(1.0, abs=1e-6) and result.knn_agreement == pytest.approx(1.0)


def test_same_items_accepts_what_compare_accepts_and_refuses_the_rest(workspace):
    from latentlab.analysis.codes_datasets import codes_dataset
    from latentlab.data import Dataset, load_dataset
    from latentlab.analysis.compare.sides import same_items

    digits, codes = load_dataset("digits"), codes_dataset("digits-vae")
    unlinked = Dataset("unlinked", np.zeros((len(digits), 3), np.float32), "embedding")  # says nothing of its items
    assert same_items(digits, codes) and same_items(codes, unlinked) and same_items(digits, unlinked)
    fewer = Dataset("fewer", np.zeros((100, 3), np.float32), "embedding")
    other = Dataset("other", digits.x[::-1].copy(), "image", labels=digits.labels[::-1].copy())
    assert not same_items(codes, fewer) and not same_items(digits, other) and not same_items(codes, other)
    with pytest.raises(LatentLabError):
        ll.compare(codes, fewer)


def test_the_listing_tells_the_same_items_apart_as_the_loaded_datasets_do(workspace):
    from latentlab.analysis.codes_datasets import save_codes_dataset
    from latentlab.data import Dataset, list_datasets, load_dataset, save_dataset
    from latentlab.analysis.compare.sides import same_items, same_items_as_listed

    digits = load_dataset("digits")
    save_codes_dataset("digits-vae")
    save_dataset(Dataset("unlinked", np.zeros((len(digits), 3), np.float32), "embedding"))
    save_dataset(Dataset("fewer", np.zeros((100, 3), np.float32), "embedding"))
    rows = {r["name"]: r for r in list_datasets() if r["source"] == "imported"}
    for name, row in rows.items():
        assert same_items_as_listed(digits, row) is same_items(digits, load_dataset(name)), name
    assert [n for n, r in rows.items() if same_items_as_listed(digits, r)] == ["digits-vae-codes", "unlinked"]
    other = Dataset("other", digits.x[::-1].copy(), "image")  # as many rows, other items
    assert not same_items_as_listed(other, rows["digits-vae-codes"]) and same_items_as_listed(other, rows["unlinked"])
    assert same_items_as_listed(digits, {"name": "old", "kind": "embedding"}) is None  # no n: load it and ask


def test_the_compare_command_prints_the_scores_and_fails_on_mismatched_data(workspace, capsys, tmp_path):
    assert main(["compare", "digits-vae", "digits-vae", "--n", "500", "--out", str(tmp_path / "m.csv")]) == 0
    out = capsys.readouterr().out
    assert "digits-vae vs digits-vae on 500 items" in out
    assert "linear CKA" in out and "1.000" in out and "kNN agreement (Jaccard, k=10)" in out
    assert (tmp_path / "m.csv").read_text().splitlines()[0] == "latent_a,best_match_b,abs_r"
    assert main(["compare", "digits-vae", "digits-topk-sae", "--json", "--top", "3"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["a"] == "digits-vae" and payload["b"] == "digits-topk-sae" and len(payload["best_matches"]) == 8
    assert 0 < payload["cka"] < 1
    main(["train", "--dataset", "wine", "--model", "ae", "--latent-dim", "2", "--hidden", "16", "--steps", "2",
          "--name", "wine-ae", "--json"])
    capsys.readouterr()
    assert main(["compare", "digits-vae", "wine-ae"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("latentlab: error: 'digits-vae' (1,797 items of digits) and 'wine-ae' (178 items of wine)")
    assert err.count("\n") == 1


def test_a_pushed_selection_round_trips_through_the_maps_packing():
    from latentlab.ui.scatter import decode_selection, encode_selection

    for rows in ([], [4], [0, 7, 1796], list(range(0, 1797, 3))):
        packed = encode_selection(np.array(rows, np.int64), 1797)
        assert np.array_equal(decode_selection(packed), rows)
    assert encode_selection(np.arange(900), 1797)["enc"] == "bits"  # a bitmask when it is smaller
    with pytest.raises(LatentLabError):
        encode_selection(np.array([1797]), 1797)
