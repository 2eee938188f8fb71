import json

import numpy as np
import pytest
import torch

import latentlab as ll
from latentlab.checkpoints.format import read_checkpoint
from latentlab.core.errors import LatentLabError, TrainingDiverged
from latentlab.models import MODELS, build_model, make_config
from latentlab.training.trainer import TrainConfig, Trainer


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("shape,kind", [((1, 8, 8), "image"), ((1, 64, 64), "image"), ((6,), "tabular")])
def test_every_model_builds_and_computes_named_terms(name, shape, kind):
    config = make_config(name, shape, "bernoulli" if kind == "image" else "gaussian", latent_dim=3, hidden="16")
    model = build_model(name, config)
    x = torch.rand(5, *shape)
    post = model.encode(x)
    assert post.mean.shape == (5, 3)
    assert (post.logvar is None) == (not model.stochastic)
    assert model.decode(post.mean).shape == (5, *shape)
    out = model.loss(x)
    assert out.loss.ndim == 0 and torch.isfinite(out.loss)
    assert "recon" in out.terms and ("kl" in out.terms) == model.stochastic


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_trains_and_round_trips(workspace, tiny_images, name):
    result = ll.train(tiny_images, name, {"latent_dim": 2, "hidden": "16"}, TrainConfig(steps=5, batch_size=16))
    assert result.step == 5
    ck = read_checkpoint(result.name)
    assert ck.model_name == name and ck.manifest["step"] == 5
    x = torch.from_numpy(tiny_images.as_float()[:4])
    again = read_checkpoint(result.checkpoint)  # by path
    torch.testing.assert_close(ck.model.encode(x).mean, again.model.encode(x).mean, rtol=0, atol=0)
    torch.testing.assert_close(ck.model.decode(torch.ones(2, 2)), again.model.decode(torch.ones(2, 2)), rtol=0, atol=0)


def test_training_lowers_the_loss_on_digits(workspace):
    result = ll.train("digits", "vae", {"latent_dim": 4}, TrainConfig(epochs=4, batch_size=64, log_every=1))
    hist = read_checkpoint(result.name).manifest["history"]
    first = np.mean([h["loss"] for h in hist[:5]])
    last = np.mean([h["loss"] for h in hist[-5:]])
    assert last < 0.8 * first


def test_seeded_training_is_reproducible(workspace, tiny_table):
    a = ll.train(tiny_table, "vae", {"latent_dim": 2}, TrainConfig(steps=8, batch_size=16, seed=3), name="a")
    b = ll.train(tiny_table, "vae", {"latent_dim": 2}, TrainConfig(steps=8, batch_size=16, seed=3), name="b")
    assert a.terms == b.terms


def test_divergence_is_reported_with_its_step(workspace):
    from latentlab.data import load_dataset

    ds = load_dataset("wine")
    model = build_model("vae", make_config("vae", ds.item_shape, "gaussian"))
    with pytest.raises(TrainingDiverged, match=r"diverged at step \d+") as info:
        Trainer(model, ds, TrainConfig(steps=300, lr=10.0)).run()
    assert info.value.step > 1


@pytest.mark.parametrize("values,kind,match", [
    (np.full((20, 3), 5000.0), "tabular", "standardise"),
    (np.full((20, 1, 4, 4), 200.0), "image", r"must lie in \[0, 1\]"),
    (np.array([[np.nan, 1.0]] * 20), "tabular", "NaN or infinite"),
])
def test_training_refuses_data_out_of_range(workspace, values, kind, match):
    from latentlab.data import Dataset

    ds = Dataset(name="raw", x=values.astype(np.float32), kind=kind)
    with pytest.raises(LatentLabError, match=match):
        ll.train(ds, "vae", {}, TrainConfig(steps=2))


def test_unknown_model_and_setting_are_user_errors(workspace, tiny_table):
    with pytest.raises(LatentLabError, match="Unknown model"):
        ll.train(tiny_table, "gan", {}, TrainConfig(steps=1))
    with pytest.raises(LatentLabError, match="no setting beta"):
        ll.train(tiny_table, "ae", {"beta": 2.0}, TrainConfig(steps=1))


def test_tcvae_decomposition_sums_to_kl_estimate():
    config = make_config("beta-tcvae", (6,), "gaussian", latent_dim=3, dataset_size=100)
    model = build_model("beta-tcvae", config).train()
    out = model.loss(torch.randn(32, 6))
    t = out.terms
    torch.testing.assert_close(t["mi"] + t["tc"] + t["dwkl"], t["kl"])


def test_checkpoint_validation_refuses_mismatched_weights(workspace, tiny_table):
    from safetensors.torch import save_file

    r = ll.train(tiny_table, "ae", {"latent_dim": 2}, TrainConfig(steps=2), name="victim")
    weights = r.checkpoint.with_suffix(".safetensors")
    save_file({"encoder.1.weight": torch.zeros(3, 3)}, str(weights))
    with pytest.raises(LatentLabError, match="do not match the weights_sha256"):
        read_checkpoint("victim")  # the manifest's digest catches the swap before anything is read
    from latentlab.checkpoints.format import file_sha256

    manifest = json.loads(r.checkpoint.read_text())
    r.checkpoint.write_text(json.dumps({**manifest, "weights_sha256": file_sha256(weights)}))
    with pytest.raises(LatentLabError, match="do not match the manifest's architecture"):
        read_checkpoint("victim")  # a digest that fits still needs weights that fit the model
    with pytest.raises(LatentLabError, match="not found"):
        read_checkpoint("nothing-here")
    (workspace / "model.pt").write_bytes(b"pickle")
    with pytest.raises(LatentLabError, match="pickle"):
        read_checkpoint(workspace / "model.pt")


def test_qlae_codes_take_only_their_codebook_values_and_train_both_sides():
    config = make_config("qlae", (6,), "gaussian", latent_dim=3, hidden="16", values_per_latent=5)
    model = build_model("qlae", config)
    torch.testing.assert_close(model.codebook[0], torch.linspace(-0.5, 0.5, 5))
    x = torch.randn(64, 6)
    codes = model.encode(x).mean
    for d in range(3):
        assert set(codes[:, d].tolist()) <= set(model.codebook[d].tolist())
    out = model.loss(x)
    assert {"recon", "quantization", "commitment", "loss"} <= out.terms.keys()
    out.loss.backward()
    first = next(model.encoder.parameters())
    assert first.grad is not None and first.grad.abs().sum() > 0  # straight through the rounding
    assert model.codebook.grad is not None and model.codebook.grad.abs().sum() > 0  # moved by the quantization loss


def test_qlae_trains_with_adamw_weight_decay_and_the_others_with_adam(tiny_table):
    qlae = build_model("qlae", make_config("qlae", tiny_table.item_shape, "gaussian", latent_dim=2, hidden="8"))
    vae = build_model("vae", make_config("vae", tiny_table.item_shape, "gaussian", latent_dim=2, hidden="8"))
    adamw = Trainer(qlae, tiny_table, TrainConfig(steps=1)).optimizer
    assert isinstance(adamw, torch.optim.AdamW) and adamw.defaults["weight_decay"] == 0.1
    assert type(Trainer(vae, tiny_table, TrainConfig(steps=1)).optimizer) is torch.optim.Adam
