"""gmvae: the mixture prior's KL terms, its components as clusters and base points, sampling from a prior
(Python, command line, Traverse page)."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

import latentlab as ll
from latentlab import lab
from latentlab.cli import main
from latentlab.core.errors import LatentLabError
from latentlab.models import Posterior, build_model, kl_per_dim, make_config
from latentlab.training.trainer import TrainConfig
from tests.apptest import start_dashboard, traverse_sliders


def _model(K=3, D=2, shape=(6,), **params):
    torch.manual_seed(0)
    return build_model("gmvae", make_config("gmvae", shape, "gaussian", latent_dim=D, hidden="16", n_components=K, **params))


def _place(model, means, logvar=0.0):
    with torch.no_grad():
        model.prior_mean.copy_(torch.as_tensor(means, dtype=torch.float32))
        model.prior_logvar.fill_(logvar)


def test_kl_terms_are_non_negative_and_sum_to_the_kl():
    model = _model(K=4, D=3).train()
    out = model.loss(torch.randn(64, 6) * 3)
    t = out.terms
    assert {"recon", "kl", "kl_z", "kl_y", "loss"} <= t.keys()
    assert t["kl_z"] >= 0 and t["kl_y"] >= 0 and t["kl_y"] <= math.log(4) + 1e-6
    torch.testing.assert_close(t["kl"], t["kl_z"] + t["kl_y"])
    post = model.encode(torch.randn(32, 6))
    assert (model.kl_per_dim(post) >= -1e-6).all()
    out.loss.backward()
    assert model.prior_mean.grad.abs().sum() > 0 and model.prior_logvar.grad.abs().sum() > 0  # the prior learns


def test_one_standard_normal_component_gives_the_vaes_kl():
    model = _model(K=1, D=3).eval()
    _place(model, np.zeros((1, 3)))
    post = Posterior(torch.randn(16, 3), torch.randn(16, 3).clamp(-3, 3))
    torch.testing.assert_close(model.kl_per_dim(post), kl_per_dim(post))
    terms = {}
    model.regulariser(post, post.mean, terms)
    torch.testing.assert_close(terms["kl_y"], torch.tensor(0.0))
    torch.testing.assert_close(terms["kl"], kl_per_dim(post).sum(1).mean())


def test_assignments_sum_to_one_and_pick_the_component_a_code_sits_on():
    model = _model(K=3, D=2)
    means = np.array([[-6.0, 0.0], [0.0, 6.0], [6.0, 0.0]])
    _place(model, means)
    q = model.assignments(torch.tensor(means, dtype=torch.float32) + 0.1)
    torch.testing.assert_close(q.sum(1), torch.ones(3))
    assert q.argmax(1).tolist() == [0, 1, 2] and (q.max(1).values > 0.99).all()
    middle = model.assignments(torch.tensor([[0.0, -1.0]])).detach()  # equidistant from 0 and 2, farther from 1
    assert abs(float(middle[0, 0] - middle[0, 2])) < 1e-6 and float(middle[0, 1]) < float(middle[0, 0])
    assert model.n_clusters == 3


def test_component_samples_lie_around_their_mean_with_its_spread():
    model = _model(K=3, D=2)
    means = np.array([[-6.0, 1.0], [0.0, 6.0], [6.0, -2.0]])
    _place(model, means, logvar=math.log(0.25))  # std 0.5
    z = model.sample_prior(4000, component=1, generator=torch.Generator().manual_seed(0)).numpy()
    np.testing.assert_allclose(z.mean(0), means[1], atol=0.05)
    np.testing.assert_allclose(z.std(0), [0.5, 0.5], atol=0.03)
    whole = model.sample_prior(6000, generator=torch.Generator().manual_seed(1)).numpy()
    nearest = np.linalg.norm(whole[:, None] - means[None], axis=2).argmin(1)
    np.testing.assert_allclose(np.bincount(nearest, minlength=3) / len(whole), [1 / 3] * 3, atol=0.03)
    centre, scale = model.prior_frame()  # the mixture's overall mean and spread
    np.testing.assert_allclose(centre, whole.mean(0), atol=0.1)
    np.testing.assert_allclose(scale, whole.std(0), rtol=0.05)


@pytest.fixture
def gmvae(workspace):
    ll.train("digits", "gmvae", {"latent_dim": 3, "hidden": "32", "n_components": 4},
             TrainConfig(steps=20, batch_size=64), name="digits-gm")
    return lab.load_checkpoint("digits-gm")


def test_a_checkpoint_round_trips_outputs_and_assignments_and_the_embedding_keeps_them(gmvae):
    x = torch.from_numpy(ll.load_dataset("digits").as_float(np.arange(20)))
    again = lab.load_checkpoint(gmvae.path)
    a, b = gmvae.model.eval(), again.model.eval()
    za, zb = a.encode(x).mean, b.encode(x).mean
    torch.testing.assert_close(za, zb, rtol=0, atol=0)
    torch.testing.assert_close(a.decode(za), b.decode(zb), rtol=0, atol=0)
    torch.testing.assert_close(a.assignments(za), b.assignments(zb), rtol=0, atol=0)
    np.testing.assert_array_equal(a.sample_prior(5, 2, torch.Generator().manual_seed(3)),
                                  b.sample_prior(5, 2, torch.Generator().manual_seed(3)))
    emb = ll.embed(gmvae)
    assert emb.assign.shape == (1797, 4)
    np.testing.assert_allclose(emb.assign.sum(1), 1.0, atol=1e-5)
    post = a.encode(x)
    np.testing.assert_allclose(emb.assign[:20], a.assignments(post.mean).detach().numpy(), atol=1e-5)
    # the diagnostics' KL is to the mixture, not to N(0, I)
    np.testing.assert_allclose(emb.kl[:20], a.kl_per_dim(post).detach().numpy(), rtol=1e-4, atol=1e-5)
    assert not np.allclose(emb.kl[:20], kl_per_dim(post).detach().numpy(), atol=1e-3)


def test_its_components_are_the_models_own_clustering(gmvae):
    from latentlab.analysis.clustering.model import MODEL_METHOD

    result = ll.cluster(gmvae, method=MODEL_METHOD)
    np.testing.assert_array_equal(result.labels, ll.embed(gmvae).assign.argmax(1))
    assert result.scores["n_clusters"] <= 4 and 0.25 <= result.scores["mean_confidence"] <= 1.0


def test_traversals_start_from_a_components_mean(gmvae):
    means, _ = gmvae.model.prior_components()
    t = lab.traverse(gmvae, component=2, dims=[0], steps=3)
    np.testing.assert_array_equal(t.base, means[2])
    with pytest.raises(LatentLabError, match="out of range"):
        lab.traverse(gmvae, component=4)
    with pytest.raises(LatentLabError, match="not both"):
        lab.traverse(gmvae, component=0, index=3)


def test_samples_are_seeded_and_decoded(gmvae):
    a = ll.sample(gmvae, n=6, component=1, seed=5)
    assert a.shape == (6, 1, 8, 8) and a.min() >= 0 and a.max() <= 1
    np.testing.assert_array_equal(a, ll.sample(gmvae, n=6, component=1, seed=5))
    assert not np.allclose(a, ll.sample(gmvae, n=6, component=1, seed=6))
    assert ll.sample(gmvae, n=3).shape == (3, 1, 8, 8)


def test_sampling_needs_a_prior_and_components_only_a_mixture(workspace, tiny_table):
    ll.train(tiny_table, "ae", {"latent_dim": 2, "hidden": "8"}, TrainConfig(steps=2), name="plain-ae")
    with pytest.raises(LatentLabError, match="ae model has no prior to sample from"):
        ll.sample("plain-ae")
    ll.train(tiny_table, "vae", {"latent_dim": 2, "hidden": "8"}, TrainConfig(steps=2), name="plain-vae")
    assert ll.sample("plain-vae", n=4).shape == (4, 5)
    with pytest.raises(LatentLabError, match="no components"):
        ll.sample("plain-vae", component=0)
    with pytest.raises(LatentLabError, match="`n` 0"):
        ll.sample("plain-vae", n=0)


def test_cli_sample_writes_a_png_grid_and_a_csv_table(gmvae, tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert main(["sample", "digits-gm", "--component", "1", "--n", "5", "--seed", "2", "--out", str(out)]) == 0
    picture = Image.open(out)
    cell = 64 + 2  # an 8x8 digit enlarged to 64 pixels, and the padding
    assert picture.size == (3 * cell + 2, 2 * cell + 2)  # 5 samples: 3 columns, 2 rows, one blank cell
    assert "5 samples from component 1" in capsys.readouterr().out
    assert main(["sample", "digits-gm", "--component", "9", "--out", str(out)]) == 2
    assert "out of range" in capsys.readouterr().err
    csv = tmp_path / "rows.csv"
    ll.train("wine", "vae", {"latent_dim": 2, "hidden": "8"}, TrainConfig(steps=2), name="wine-vae")
    assert main(["sample", "wine-vae", "--n", "7", "--out", str(csv)]) == 0
    rows = pd.read_csv(csv)
    assert len(rows) == 7 and list(rows.columns[1:]) == ll.load_dataset("wine").feature_names
    assert main(["sample", "wine-vae", "--out", str(tmp_path / "x.png")]) == 2  # a table is written as CSV


def test_traverse_page_starts_from_a_component_and_shows_samples(gmvae, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/traverse.py", ll_checkpoint="digits-gm")
    next(r for r in at.radio if r.label == "Start from").set_value("a component's mean").run()
    assert not at.exception, [e.value for e in at.exception]
    picker = next(s for s in at.selectbox if s.label == "Component")
    assert len(picker.options) == 4 and "items)" in picker.options[0]
    picker.set_value(3).run()
    assert not at.exception, [e.value for e in at.exception]
    means, _ = gmvae.model.prior_components()
    sliders = traverse_sliders(at)
    assert len(sliders["latents"]) == 3
    np.testing.assert_allclose(sliders["base"], means[3], atol=1e-5)  # the sliders start at component 3's mean

    def samples():
        return next(im.proto.imgs[0] for im in at.get("image") if "samples from" in im.proto.imgs[0].caption)

    first = samples()
    assert first.caption == "16 samples from the whole prior, seed 0"
    next(s for s in at.selectbox if s.label == "Sample from").set_value(picker.options[2]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert samples().caption == "16 samples from component 2, seed 0"
    at.button(key="smp-again").click().run()
    assert not at.exception, [e.value for e in at.exception]
    again = samples()
    assert again.caption == "16 samples from component 2, seed 1" and again.url != first.url
