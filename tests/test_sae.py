"""The TopK sparse autoencoder (topk-sae), checkpoint codes as datasets, and the feature statistics."""

import numpy as np
import pytest
import torch

import latentlab as ll
from latentlab.analysis import sae_features
from latentlab.checkpoints.format import read_checkpoint
from latentlab.data import Dataset
from latentlab.core.errors import LatentLabError
from latentlab.models import build_model, make_config
from latentlab.models.sae import geometric_median
from latentlab.training.trainer import TrainConfig, Trainer


def sae(shape=(6,), **params):
    torch.manual_seed(0)
    return build_model("topk-sae", make_config("topk-sae", shape, "gaussian", **params))


# ---------------------------------------------------------------- the model


def test_codes_keep_at_most_k_features_and_exactly_k_where_the_kth_is_positive():
    model = sae((1, 8, 8), latent_dim=64, k=5)
    x = torch.rand(40, 1, 8, 8)
    codes = model.encode(x).mean
    nonzero = (codes != 0).sum(1)
    assert codes.shape == (40, 64) and (codes >= 0).all() and (nonzero <= 5).all()
    kth = model.pre_activations(x).topk(5, dim=1).values[:, -1]
    assert (nonzero[kth > 0] == 5).all()
    assert model.encode(x).logvar is None and model.decode(codes).shape == (40, 1, 8, 8)


def test_width_defaults_to_eight_times_the_input_and_k_is_clamped_to_it(monkeypatch):
    assert make_config("topk-sae", (1, 8, 8), "bernoulli").latent_dim == 512
    monkeypatch.setenv("LATENTLAB_LIMIT_MAX_LATENT_DIM", "100")
    assert make_config("topk-sae", (1, 8, 8), "bernoulli").latent_dim == 100  # capped at the latent limit
    model = sae(latent_dim=3, k=32)
    assert model.k == 3 and (model.encode(torch.randn(7, 6)).mean != 0).sum(1).max() <= 3
    assert sae(latent_dim=40).aux_k == 3  # half the input's 6 features
    with pytest.raises(LatentLabError, match="k = 0 is outside"):
        make_config("topk-sae", (6,), "gaussian", k=0)


def test_the_encoder_starts_as_the_decoders_transpose_with_unit_columns():
    model = sae(latent_dim=24)
    torch.testing.assert_close(model.W_enc, model.W_dec.T, rtol=0, atol=0)
    torch.testing.assert_close(model.W_dec.norm(dim=0), torch.ones(24))


def test_a_step_keeps_the_decoder_columns_unit_norm_and_turns_them_without_growing(tiny_table):
    model = sae((5,), latent_dim=20, k=3)
    out = model.loss(torch.from_numpy(tiny_table.x[:32]))
    out.loss.backward()
    along = (model.W_dec.grad * model.W_dec).sum(0)  # each column's gradient along itself
    assert model.W_dec.grad.abs().sum() > 0 and along.abs().max() < 1e-6
    Trainer(model, tiny_table, TrainConfig(steps=4, batch_size=16, lr=0.05)).run()
    torch.testing.assert_close(model.W_dec.norm(dim=0), torch.ones(20))


def test_training_starts_b_pre_at_the_geometric_median_and_measures_the_variance(tiny_table):
    x = torch.from_numpy(tiny_table.x).double()
    median = geometric_median(x)
    assert (x - median).norm(dim=1).sum() < (x - x.mean(0)).norm(dim=1).sum()  # the mean is no median
    assert (x - median).norm(dim=1).sum() <= (x - (median + 0.01)).norm(dim=1).sum()
    model = sae((5,), latent_dim=10, k=2)
    Trainer(model, tiny_table, TrainConfig(steps=1, batch_size=16, lr=1e-9)).run()
    torch.testing.assert_close(model.b_pre.double(), median, atol=1e-4, rtol=0)
    variance = ((x - x.mean(0)) ** 2).sum(1).mean()
    torch.testing.assert_close(model.data_variance[0].double(), variance, atol=1e-4, rtol=1e-5)


def test_the_reconstruction_term_is_the_mse_over_the_datas_variance():
    x = torch.randn(50, 6) * 3 + 1
    model = sae(latent_dim=12, k=2)
    variance = ((x - x.mean(0)) ** 2).sum(1).mean()
    with torch.no_grad():
        model.data_variance.fill_(float(variance))
    recon = model.decode(model.encode(x).mean)
    out = model.loss(x)
    torch.testing.assert_close(out.terms["recon"], ((recon - x) ** 2).sum(1).mean() / variance)
    with torch.no_grad():  # no feature ever fires: the reconstruction is b_pre, here the mean, so NMSE is 1
        model.b_enc.fill_(-1e6)
        model.b_pre.copy_(x.mean(0))
    torch.testing.assert_close(model.loss(x).terms["recon"], torch.tensor(1.0))


def test_dead_features_are_counted_in_training_items_since_they_fired():
    model = sae(latent_dim=12, k=2, dead_items=100)
    with torch.no_grad():
        model.b_enc[6:] = -1e6  # features 6..11 can never fire
    for _ in range(3):
        model.loss(torch.randn(40, 6))
    assert (model.items_since_fired[6:] == 120).all() and model.dead_features()[6:].all()
    assert model.items_since_fired[:6].max() < 120 and not model.dead_features()[:6].all()
    model.eval()
    model.loss(torch.randn(40, 6))  # evaluation leaves the count alone
    assert (model.items_since_fired[6:] == 120).all()


def half_dead_run(aux_coef: float):
    """Items are sums of 2 of 32 unit atoms in 16-D; 16 of the SAE's 32 features start dead."""
    rng = np.random.default_rng(0)
    atoms = rng.normal(size=(32, 16))
    atoms /= np.linalg.norm(atoms, axis=1, keepdims=True)
    chosen = np.argsort(rng.random((2000, 32)), axis=1)[:, :2]
    x = ((rng.random((2000, 2)) + 0.5)[:, :, None] * atoms[chosen]).sum(1).astype(np.float32)
    ds = Dataset(name="atoms", x=x, kind="embedding")
    model = sae((16,), latent_dim=32, k=2, aux_coef=aux_coef, dead_items=1000)
    with torch.no_grad():
        model.W_enc[16:] *= 0.01  # never in the top 2 until something moves them
    Trainer(model, ds, TrainConfig(steps=400, batch_size=64, lr=1e-2, seed=0)).run()
    with torch.no_grad():
        codes = model.encode(torch.from_numpy(x)).mean
        return int((codes[:, 16:] > 0).any(0).sum()), float(model.loss(torch.from_numpy(x)).terms["recon"])


def test_the_auxk_loss_revives_dead_features_that_have_work_to_do():
    revived, nmse = half_dead_run(1 / 32)
    revived_without, nmse_without = half_dead_run(0.0)
    assert revived_without <= 2  # without AuxK a dead feature gets no gradient: only chance brings one back
    assert revived >= 12 and nmse < 0.6 * nmse_without


def test_a_checkpoint_round_trips_with_its_training_state(workspace, tiny_images):
    result = ll.train(tiny_images, "topk-sae", {"latent_dim": 40, "k": 4}, TrainConfig(steps=6, batch_size=16))
    ck = read_checkpoint(result.name)
    assert ck.model.config.likelihood == "bernoulli" and ck.model.config.hidden == ""
    again = read_checkpoint(result.checkpoint)
    x = torch.from_numpy(tiny_images.as_float()[:10])
    torch.testing.assert_close(ck.model.encode(x).mean, again.model.encode(x).mean, rtol=0, atol=0)
    torch.testing.assert_close(ck.model.items_since_fired, again.model.items_since_fired, rtol=0, atol=0)
    assert float(ck.model.data_variance) != 1.0  # measured from the data, and kept
    assert {"recon", "auxk", "dead", "loss"} <= ck.manifest["final_terms"].keys()


def test_the_command_line_trains_it_with_its_own_flags(workspace, capsys):
    import json

    from latentlab.cli import main

    code = main(["train", "--dataset", "wine", "--model", "topk-sae", "--k", "3", "--aux-k", "4", "--aux-coef", "0.1",
                 "--dead-items", "500", "--steps", "3", "--name", "wine-sae", "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["step"] == 3
    config = read_checkpoint("wine-sae").model.config
    assert (config.latent_dim, config.k, config.aux_k, config.aux_coef, config.dead_items) == (104, 3, 4, 0.1, 500)


# ---------------------------------------------------------------- codes of a checkpoint as a dataset


def test_a_checkpoints_codes_become_a_dataset_linked_to_the_items(workspace):
    from latentlab.analysis.codes_datasets import items_of, save_codes_dataset
    from latentlab.data import list_datasets, load_dataset

    saved = save_codes_dataset("digits-vae")
    assert saved.name == "digits-vae-codes"
    ds = load_dataset("digits-vae-codes")
    emb = ll.embed("digits-vae", "digits")
    np.testing.assert_array_equal(ds.x, emb.mean)
    np.testing.assert_array_equal(ds.labels, load_dataset("digits").labels)
    assert ds.kind == "embedding" and ds.item_shape == (8,) and ds.codes_of["checkpoint"] == "digits-vae"
    assert "digits-vae-codes" in [r["name"] for r in list_datasets()]
    assert items_of(ds).name == "digits" and items_of(load_dataset("digits")).name == "digits"
    with pytest.raises(LatentLabError, match="already exists"):
        save_codes_dataset("digits-vae")
    ds.codes_of = {**ds.codes_of, "dataset_fingerprint": "changed"}
    assert items_of(ds) is ds  # the items changed since: the codes stand for themselves

    result = ll.train("digits-vae-codes", "topk-sae", {"k": 4}, TrainConfig(steps=5, batch_size=64))
    ck = read_checkpoint(result.name)
    assert ck.model.config.latent_dim == 64 and ck.dataset_name == "digits-vae-codes"


def test_codes_carry_the_ground_truth_factors(workspace):
    from latentlab.analysis.codes_datasets import codes_dataset

    ds = codes_dataset("shapes-beta-vae", "shapes-300")
    assert ds.x.shape == (300, 10) and list(ds.factors.columns) == list(ll.load_dataset("shapes-300").factors.columns)
    assert ds.name == "shapes-300-shapes-beta-vae-codes"


# ---------------------------------------------------------------- feature statistics


def sparse_codes():
    codes = np.zeros((6, 4), np.float32)
    codes[:3, 0] = [1.0, 2.0, 3.0]  # fires on half the items
    codes[5, 1] = 0.5  # fires once
    codes[:, 3] = 0.0  # dead; column 2 too
    return codes


def test_density_dead_features_and_mean_activations_of_sparse_codes():
    stats = sae_features.feature_stats(sparse_codes())
    assert stats.sparse and stats.n_items == 6 and stats.n_features == 4
    np.testing.assert_allclose(stats.density, [0.5, 1 / 6, 0, 0])
    assert stats.dead.tolist() == [False, False, True, True]
    np.testing.assert_allclose(stats.mean_active[:2], [2.0, 0.5])
    assert np.isnan(stats.mean_active[2:]).all() and stats.l0 == pytest.approx(4 / 6)
    np.testing.assert_allclose(stats.log10_density(), np.log10([0.5, 1 / 6]))


def test_dense_codes_fire_above_their_mean():
    codes = np.array([[0.0, 1.0], [1.0, 2.0], [2.0, 3.0], [3.0, 10.0]], np.float32)
    stats = sae_features.feature_stats(codes)
    assert not stats.sparse
    assert stats.fires.tolist() == [2, 1]  # above 1.5, above 4
    assert len(sae_features.feature_values(codes, 0, stats)) == 4  # a dense histogram shows every value


def test_statistics_read_in_blocks_equal_those_read_at_once(monkeypatch):
    rng = np.random.default_rng(0)
    codes = np.where(rng.random((500, 30)) < 0.1, rng.random((500, 30)), 0).astype(np.float32)
    labels = rng.integers(0, 4, 500)
    whole = sae_features.feature_stats(codes)
    split = sae_features.label_split(codes, labels, whole)
    top = sae_features.top_activating(codes, 7, whole, n=10)
    monkeypatch.setattr(sae_features, "CHUNK_VALUES", 30 * 17)  # blocks of 17 rows
    blocks = sae_features.feature_stats(codes)
    np.testing.assert_array_equal(blocks.fires, whole.fires)
    np.testing.assert_allclose(blocks.active_sum, whole.active_sum)
    np.testing.assert_array_equal(sae_features.label_split(codes, labels, blocks).counts, split.counts)
    rows, values = sae_features.top_activating(codes, 7, blocks, n=10)
    np.testing.assert_array_equal(rows, top[0])
    expected = np.argsort(-codes[:, 7], kind="stable")[:10]
    np.testing.assert_array_equal(np.sort(rows), np.sort(expected))
    assert (np.diff(values) <= 0).all() and values[0] == codes[:, 7].max()
    counts, edges = sae_features.activation_histogram(codes, 7, blocks)
    assert counts.sum() == whole.fires[7] and edges[0] > 0


def test_top_activating_items_are_only_those_where_the_feature_fires():
    stats = sae_features.feature_stats(sparse_codes())
    rows, values = sae_features.top_activating(sparse_codes(), 1, stats, n=5)
    assert rows.tolist() == [5] and values.tolist() == [0.5]
    assert len(sae_features.top_activating(sparse_codes(), 3, stats)[0]) == 0
    with pytest.raises(LatentLabError, match="out of range"):
        sae_features.top_activating(sparse_codes(), 4, stats)


def test_the_label_split_finds_a_feature_that_marks_a_class():
    rng = np.random.default_rng(1)
    labels = np.repeat(["cat", "dog"], 200)
    codes = np.zeros((400, 3), np.float32)
    codes[:200, 0] = 1.0  # exactly the cats
    codes[rng.random(400) < 0.3, 1] = 1.0  # fires regardless of class
    codes[:20, 2] = 1.0  # a tenth of the cats, nothing else
    stats = sae_features.feature_stats(codes)
    split = sae_features.label_split(codes, labels, stats)
    np.testing.assert_allclose(split.mutual_information[0], 1.0)  # one bit: it tells the class exactly
    assert split.mutual_information[1] < 0.01 and split.mutual_information[2] > 0.05
    assert split.classes[split.best_class].tolist() == ["cat", "cat" if split.counts[1, 0] >= split.counts[1, 1] else "dog", "cat"]
    np.testing.assert_allclose(split.precision[[0, 2]], [1.0, 1.0])
    np.testing.assert_allclose(split.recall[[0, 2]], [1.0, 0.1])
    table = sae_features.feature_table(stats, split)
    assert sae_features.rank_features(table, "mi")["feature"].tolist()[0] == 0
    by_precision = sae_features.rank_features(table, "precision")["feature"].tolist()
    assert by_precision[:2] == [0, 2]  # both have precision 1; the one that fires more often first
    with pytest.raises(LatentLabError, match="needs labels"):
        sae_features.rank_features(sae_features.feature_table(stats), "mi")
    with pytest.raises(LatentLabError, match="400 items"):
        sae_features.label_split(codes, labels[:10], stats)


def test_rankings_by_density_put_dead_features_last():
    table = sae_features.feature_table(sae_features.feature_stats(sparse_codes()))
    assert sae_features.rank_features(table, "density")["feature"].tolist() == [0, 1, 2, 3]
    assert sae_features.rank_features(table, "rare")["feature"].tolist() == [1, 0, 2, 3]


def test_training_dead_is_read_from_models_that_track_it():
    model = sae(latent_dim=8, k=2, dead_items=10)
    model.loss(torch.randn(20, 6))
    assert sae_features.training_dead(model).dtype == bool and len(sae_features.training_dead(model)) == 8
    assert sae_features.training_dead(build_model("ae", make_config("ae", (6,), "gaussian", latent_dim=2))) is None


def test_the_command_line_saves_codes_and_ranks_features(workspace, tmp_path, capsys):
    import json

    import pandas as pd

    from latentlab.cli import main

    assert main(["codes", "digits-vae", "--name", "vae-codes", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["item_shape"] == [8]
    assert main(["features", "digits-topk-sae", "--by", "mi", "--top", "3", "--out", str(tmp_path / "f.csv"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["features"] == 512 and out["sparse"] and out["features_per_item"] == 8 and len(out["top"]) == 3
    table = pd.read_csv(tmp_path / "f.csv")
    assert len(table) == 512 and table["MI (bits)"].iloc[0] == max(r["MI (bits)"] for r in out["top"])
    assert main(["features", "--dataset", "vae-codes", "--by", "precision"]) == 0  # the codes themselves
    assert "dense codes" in capsys.readouterr().out
    assert main(["features", "digits-vae", "--by", "mi", "--label", "colour"]) == 2
    assert "no such label or factor" in capsys.readouterr().err
