"""dec: pretraining then k-means centroids, the sharpened target, the stopping tolerance, checkpoints, starting
from an autoencoder checkpoint, and the model's own clusters on the command line and the Clusters page."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import adjusted_rand_score

import latentlab as ll
from latentlab.checkpoints.format import read_checkpoint
from latentlab.cli import main
from latentlab.core.errors import LatentLabError
from latentlab.models import build_model, make_config
from latentlab.models.dec import student_t, target_distribution
from latentlab.training.trainer import BaseCallback, TrainConfig, Trainer
from tests.apptest import start_dashboard
from tests.test_app import map_data


def dec(ds, **settings):
    values = {"latent_dim": 2, "hidden": "16", "n_clusters": 2, **settings}
    return build_model("dec", make_config("dec", ds.item_shape, "bernoulli" if ds.kind == "image" else "gaussian", **values))


def codes(model, ds):
    with torch.no_grad():
        return model.encode(torch.from_numpy(ds.as_float())).mean.double().numpy()


def test_dec_trains_with_a_cluster_term_and_no_kl(tiny_images):
    model = dec(tiny_images, pretrain_steps=4, update_interval=2, tol=0.0)
    assert model.n_clusters == 2 and not model.stochastic
    state = Trainer(model, tiny_images, TrainConfig(steps=10, batch_size=16, log_every=1)).run()
    assert state.step == 10
    pretraining, clustering = state.history[0], state.history[-1]
    assert {"recon", "cluster", "changed", "loss"} == pretraining.keys() - {"step"} and "kl" not in clustering
    assert pretraining["cluster"] == 0 and pretraining["loss"] == pretraining["recon"]
    assert clustering["cluster"] > 0 and clustering["loss"] == clustering["cluster"]  # recon_weight 0: the decoder is dropped
    q = model.assignments(torch.from_numpy(codes(model, tiny_images)).float())
    assert q.shape == (60, 2)
    torch.testing.assert_close(q.sum(1), torch.ones(60))


@pytest.mark.parametrize("pretrain_steps", [0, 3])
def test_kmeans_places_the_centroids_when_pretraining_ends(tiny_images, pretrain_steps):
    from sklearn.cluster import KMeans

    model = dec(tiny_images, pretrain_steps=pretrain_steps)
    assert not model.clustering and (model.centroids == 0).all()
    trainer = Trainer(model, tiny_images, TrainConfig(steps=3, batch_size=16, seed=5))
    if pretrain_steps == 0:  # at once, before the first step, on the codes of the untrained encoder
        trainer.model.begin_training(trainer)
        z = codes(model, tiny_images)
    else:  # at the last step of pretraining, which is the run's last: the codes as training left them
        trainer.run()
        z = codes(model, tiny_images)
    expected = KMeans(n_clusters=2, n_init=20, random_state=5).fit(z).cluster_centers_
    assert model.clustering and model.start_step == int(model.clustering_from[0]) == pretrain_steps
    np.testing.assert_allclose(model.centroids.detach().numpy(), expected, atol=1e-5)


def test_target_distribution_is_sharper_than_the_assignments():
    g = torch.Generator().manual_seed(0)
    q = student_t(torch.randn(200, 3, generator=g), torch.randn(4, 3, generator=g))  # (200, 4)
    p = target_distribution(q, q.sum(0))

    def entropy(a):
        return -(a * a.log()).sum(1)

    torch.testing.assert_close(p.sum(1), torch.ones(200))
    assert entropy(p).mean() < entropy(q).mean() - 0.05
    equal = target_distribution(q, torch.ones(4))  # with equal frequencies every item gets sharper, same argmax
    assert (entropy(equal) < entropy(q)).all() and torch.equal(equal.argmax(1), q.argmax(1))


def test_the_stopping_tolerance_ends_training_early(tiny_images):
    loose = dec(tiny_images, pretrain_steps=10, update_interval=5, tol=0.5)
    state = Trainer(loose, tiny_images, TrainConfig(steps=500, batch_size=16)).run()
    assert 10 < state.step < 500 and (state.step - 10) % 5 == 0
    assert state.terms["changed"] < 0.5
    strict = dec(tiny_images, pretrain_steps=10, update_interval=5, tol=0.0)  # no fraction is below 0
    assert Trainer(strict, tiny_images, TrainConfig(steps=40, batch_size=16)).run().step == 40


class KeepAssignments(BaseCallback):
    def on_end(self, trainer):
        model = trainer.model
        self.assign = model.assignments(model.encode(self.x).mean).detach()


def test_checkpoint_round_trip_gives_identical_assignments(workspace, tiny_images):
    keep = KeepAssignments()
    keep.x = torch.from_numpy(tiny_images.as_float())
    ll.train(tiny_images, "dec", {"latent_dim": 2, "hidden": "16", "n_clusters": 3, "pretrain_steps": 5, "update_interval": 3},
             TrainConfig(steps=12, batch_size=16), name="rt", callbacks=[keep])
    ck = read_checkpoint("rt")
    assert ck.model.clustering and ck.model.n_clusters == 3
    with torch.no_grad():
        again = ck.model.assignments(ck.model.encode(keep.x).mean)
    torch.testing.assert_close(again, keep.assign, rtol=0, atol=0)
    emb = ll.embed(ck, tiny_images)
    np.testing.assert_array_equal(emb.assign, again.numpy())


def test_init_from_copies_an_autoencoders_weights(workspace, tiny_images):
    ll.train(tiny_images, "ae", {"latent_dim": 2, "hidden": "16"}, TrainConfig(steps=3, batch_size=16), name="ae")
    ll.train(tiny_images, "vae", {"latent_dim": 2, "hidden": "16"}, TrainConfig(steps=3, batch_size=16), name="vae")
    ae, vae = read_checkpoint("ae").model, read_checkpoint("vae").model

    model = dec(tiny_images, init_from="ae")
    model.load_autoencoder(ae, "ae", "ae")
    for ours, theirs in ((model.encoder, ae.encoder), (model.decoder, ae.decoder)):
        for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
            torch.testing.assert_close(a, b, rtol=0, atol=0, msg=k)
    x = torch.from_numpy(tiny_images.as_float()[:5])
    torch.testing.assert_close(model.encode(x).mean, ae.encode(x).mean, rtol=0, atol=0)

    model.load_autoencoder(vae, "vae", "vae")  # a VAE's encoder gives its posterior means: the mean half of its last layer
    torch.testing.assert_close(model.encoder[-1].weight, vae.encoder[-1].weight[:2], rtol=0, atol=0)
    torch.testing.assert_close(model.encoder[-1].bias, vae.encoder[-1].bias[:2], rtol=0, atol=0)
    torch.testing.assert_close(model.encode(x).mean, vae.encode(x).mean)  # a half-size product rounds differently
    torch.testing.assert_close(model.decode(torch.ones(2, 2)), vae.decode(torch.ones(2, 2)), rtol=0, atol=0)

    with pytest.raises(LatentLabError, match="networks of other shapes .* latent_dim 2.* latent_dim 3"):
        dec(tiny_images, latent_dim=3).load_autoencoder(ae, "ae", "ae")
    result = ll.train(tiny_images, "dec", {"latent_dim": 2, "hidden": "16", "n_clusters": 2, "init_from": "ae",
                                           "pretrain_steps": 0}, TrainConfig(steps=2, batch_size=16), name="from-ae")
    assert read_checkpoint(result.name).model.clustering
    with pytest.raises(LatentLabError, match="init_from: Checkpoint 'nothing' not found"):
        ll.train(tiny_images, "dec", {"latent_dim": 2, "hidden": "16", "init_from": "nothing"},
                 TrainConfig(steps=2, batch_size=16), name="from-nothing")
    with pytest.raises(LatentLabError, match="DEC starts from an autoencoder"):
        ll.train(tiny_images, "dec", {"latent_dim": 2, "hidden": "16", "init_from": "from-ae"},
                 TrainConfig(steps=2, batch_size=16), name="from-dec")


@pytest.fixture
def digits_dec(workspace):
    ll.train("digits", "dec", {"latent_dim": 4, "hidden": "32", "n_clusters": 10, "pretrain_steps": 60,
                               "update_interval": 20}, TrainConfig(steps=120, batch_size=128), name="digits-dec-test")
    return read_checkpoint("digits-dec-test")


def test_cluster_method_model_on_the_command_line(digits_dec, tmp_path, capsys):
    out = tmp_path / "c.csv"
    assert main(["cluster", "digits-dec-test", "--method", "model", "--out", str(out), "--json"]) == 0
    clusters = pd.read_csv(out)["cluster"].to_numpy()
    np.testing.assert_array_equal(clusters, ll.embed(digits_dec).assign.argmax(1))
    scores = ll.cluster("digits-dec-test", method="model").scores
    assert 0 < scores["mean_confidence"] <= 1 and "nmi" in scores
    capsys.readouterr()
    assert main(["cluster", "digits-vae", "--method", "model", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "does not cluster its codes" in err and err.count("\n") == 1
    with pytest.raises(LatentLabError, match="takes no parameters"):
        ll.cluster("digits-dec-test", method="model", k=4)


def test_beside_kmeans_in_python_and_on_the_command_line(digits_dec, tmp_path, capsys):
    both = ll.beside_kmeans("digits-dec-test", seed=1)
    np.testing.assert_array_equal(both.model.labels, ll.cluster(digits_dec, method="model").labels)
    np.testing.assert_array_equal(both.kmeans.labels, ll.cluster(digits_dec, method="kmeans", seed=1, k=10).labels)
    assert both.ari == pytest.approx(adjusted_rand_score(both.model.labels, both.kmeans.labels))
    rows, cols, counts = both.shared()
    assert counts.sum() == 1797 and counts.shape == (len(rows), len(cols))
    table = both.scores("model (dec)")
    assert list(table.columns) == ["score", "model (dec)", "k-means (k = 10)"]
    assert table.set_index("score").loc["n clusters"].tolist() == [10, 10]

    out = tmp_path / "both.csv"
    capsys.readouterr()
    assert main(["cluster", "digits-dec-test", "--method", "model", "--beside-kmeans", "--seed", "1", "--out", str(out),
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["agreement"] == {"ari": pytest.approx(both.ari), "nmi": pytest.approx(both.nmi)}
    frame = pd.read_csv(out)
    np.testing.assert_array_equal(frame["kmeans"], both.kmeans.labels)
    np.testing.assert_array_equal(frame["cluster"], both.model.labels)
    assert main(["cluster", "digits-dec-test", "--method", "model", "--beside-kmeans", "--seed", "1", "--out",
                 str(out)]) == 0
    assert "beside k-means with the same k" in capsys.readouterr().out
    assert main(["cluster", "digits-dec-test", "--beside-kmeans", "--out", str(out)]) == 2  # needs --method model
    err = capsys.readouterr().err
    assert "use it with --method model" in err and err.count("\n") == 1
    assert main(["cluster", "digits-dec-test", "--method", "model", "--beside-kmeans", "--param", "n_init=3", "--out",
                 str(out)]) == 2
    assert "without --on projection, --k or --param" in capsys.readouterr().err
    assert main(["cluster", "digits-vae", "--method", "model", "--beside-kmeans", "--out", str(out)]) == 2
    assert "does not cluster its codes" in capsys.readouterr().err


def test_clusters_page_shows_the_models_clusters_beside_kmeans(digits_dec, monkeypatch):
    at = start_dashboard(monkeypatch, ll_checkpoint="digits-dec-test")
    colour = next(s for s in at.selectbox if s.label == "Colour by")  # the Map page
    assert {"model cluster", "assignment confidence"} <= set(colour.options)
    at.switch_page("pages/clusters.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    algorithm = next(s for s in at.selectbox if s.label == "Algorithm")
    assert "model (dec)" in algorithm.options
    algorithm.set_value("model").run()
    next(b for b in at.button if b.label == "Recluster").click().run()  # choosing runs nothing until pressed
    assert not at.exception, [e.value for e in at.exception]
    assert any(h.value == "model (dec) beside k-means" for h in at.subheader)
    table = next(d.value for d in at.dataframe if "model (dec)" in d.value.columns)
    assert list(table.columns) == ["score", "model (dec)", "k-means (k = 10)"]
    ari = next(m for m in at.metric if m.label == "agreement (ARI)")
    assert -1 <= float(ari.value) <= 1
    ours = ll.cluster(digits_dec, method="model")
    assert next(m for m in at.metric if m.label == "NMI").value == f"{ours.scores['nmi']:.3g}"
    assert map_data(at)["legend"]["title"] == "cluster"
    next(r for r in at.radio if r.label == "Colour the map by").set_value("assignment confidence").run()
    assert not at.exception, [e.value for e in at.exception]
    legend = map_data(at)["legend"]
    assert legend["kind"] == "continuous" and legend["title"] == "assignment confidence"
    assert 0.1 <= float(legend["min"]) <= float(legend["max"]) <= 1.0
