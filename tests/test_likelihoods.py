"""The decoder's likelihoods: each NLL against a hand computation, a learned variance that finds the data's noise,
the default picked from the data, bad settings refused in one sentence, and a checkpoint's likelihood read back
(an old checkpoint's too)."""

import json
import math

import numpy as np
import pytest
import torch

from latentlab.core.errors import LatentLabError
from latentlab.data import Dataset
from latentlab.models import build_model, make_config
from latentlab.models.likelihoods import (default_likelihood, describe, learned_noise_std,
                                          negative_log_likelihood)

X = torch.tensor([[0.0, 1.0, 0.25]])  # (1, 3): one item of three features
OUT = torch.tensor([[0.5, -1.0, 0.25]])


def test_bernoulli_nll_is_the_cross_entropy_of_the_logits():
    p = 1 / (1 + np.exp(-OUT.numpy()[0]))
    x = X.numpy()[0]
    hand = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p))
    assert negative_log_likelihood("bernoulli", OUT, X).item() == pytest.approx(hand, rel=1e-5)


def test_fixed_gaussian_nll_counts_the_scale_and_the_constant():
    sigma = 0.5
    d = (OUT - X).numpy()[0]
    hand = sum(0.5 * (v / sigma) ** 2 + math.log(sigma) + 0.5 * math.log(2 * math.pi) for v in d)
    assert negative_log_likelihood("gaussian", OUT, X, noise_std=sigma).item() == pytest.approx(hand, rel=1e-5)
    # ``auto`` in a config made by hand is the unit-variance Gaussian, as before likelihoods were a setting
    unit = sum(0.5 * v**2 + 0.5 * math.log(2 * math.pi) for v in d)
    assert negative_log_likelihood("auto", OUT, X).item() == pytest.approx(unit, rel=1e-5)


def test_learned_gaussian_nll_uses_each_features_own_scale():
    from latentlab.models.likelihoods import LOG_SCALE_GAIN

    sigmas = np.array([0.1, 1.0, 3.0])
    log_scale = torch.tensor(np.log(sigmas) / LOG_SCALE_GAIN, dtype=torch.float32)
    d = (OUT - X).numpy()[0]
    hand = sum(0.5 * (v / s) ** 2 + math.log(s) + 0.5 * math.log(2 * math.pi) for v, s in zip(d, sigmas))
    got = negative_log_likelihood("gaussian-learned", OUT, X, log_scale=log_scale).item()
    assert got == pytest.approx(hand, rel=1e-5)


def test_laplace_nll_is_the_absolute_error_over_the_scale():
    b = 0.2
    hand = sum(abs(v) / b + math.log(2 * b) for v in (OUT - X).numpy()[0])
    assert negative_log_likelihood("laplace", OUT, X, noise_std=b).item() == pytest.approx(hand, rel=1e-5)


@pytest.fixture
def one_thread():
    """A tiny model trains fastest on one thread, and a busy machine's other threads do not slow it down."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_learned_variance_converges_to_the_noise_of_synthetic_data(one_thread):
    from latentlab.training.trainer import TrainConfig, Trainer

    rng = np.random.default_rng(0)
    noise = np.array([0.05, 0.1, 0.2, 0.4, 0.1, 0.2], np.float32)  # each feature's own noise sd
    z = rng.normal(size=(4000, 2)).astype(np.float32)
    x = z @ rng.normal(size=(2, 6)).astype(np.float32) + rng.normal(size=(4000, 6)).astype(np.float32) * noise
    ds = Dataset(name="noisy-plane", x=x, kind="tabular")
    torch.manual_seed(0)
    # A VAE: its KL term keeps the code from holding the noise (a plain autoencoder can fold some features'
    # noise into its code and drive their variance below the truth).
    model = build_model("vae", make_config("vae", (6,), "gaussian", likelihood="gaussian-learned", latent_dim=2,
                                           hidden="32"))
    assert np.allclose(learned_noise_std(model), 1.0)  # it starts at noise_std
    Trainer(model, ds, TrainConfig(steps=1200, batch_size=256, lr=3e-3, log_every=600)).run()
    np.testing.assert_allclose(learned_noise_std(model), noise, rtol=0.25)
    one = build_model("vae", make_config("vae", (6,), "gaussian", likelihood="gaussian-learned", latent_dim=2,
                                         learned_variance="global", noise_std=0.3))
    assert learned_noise_std(one).shape == (1,) and learned_noise_std(one)[0] == pytest.approx(0.3)


def test_default_likelihood_follows_the_datas_kind_and_range(tiny_images, tiny_table):
    assert default_likelihood(tiny_images) == "bernoulli"
    assert default_likelihood(tiny_table) == "gaussian"  # standardised-looking columns: the unit variance fits
    wide = Dataset(name="wide", x=np.linspace(-20, 20, 200, dtype=np.float32).reshape(40, 5), kind="tabular")
    assert default_likelihood(wide) == "gaussian-learned"
    signals = Dataset(name="sig", x=np.zeros((4, 2, 16), np.float32), kind="signal")
    assert default_likelihood(signals) == "gaussian-learned"
    scaled = Dataset(name="img255", x=np.full((4, 1, 4, 4), 3.0, np.float32), kind="image")
    assert default_likelihood(scaled) == "bernoulli"  # and training says to divide by 255


@pytest.mark.parametrize("settings, param", [
    ({"likelihood": "poisson"}, "likelihood"),
    ({"noise_std": 0.0}, "noise_std"),
    ({"noise_std": -1.0}, "noise_std"),
    ({"noise_std": float("nan")}, "noise_std"),
    ({"likelihood": "gaussian-learned", "learned_variance": "channel"}, "learned_variance"),
])
def test_bad_likelihood_settings_are_one_sentence_naming_the_setting(settings, param):
    with pytest.raises(LatentLabError) as err:
        make_config("vae", (6,), "gaussian", **settings)
    assert err.value.param == param and str(err.value).count(".") <= 3 and "\n" not in str(err.value)


def test_command_line_refuses_a_bad_likelihood_with_exit_2_and_writes_nothing(workspace, capsys):
    from latentlab.cli import main

    for flags in (["--likelihood", "poisson"], ["--likelihood", "gaussian", "--noise-std", "0"]):
        assert main(["train", "--dataset", "wine", "--model", "vae", "--steps", "3", *flags]) == 2
    err = capsys.readouterr().err
    assert "--likelihood" in err and "--noise-std" in err
    assert not list(workspace.rglob("*.json")) and not list(workspace.rglob("metrics.csv"))


def test_decoding_shows_the_distributions_mean():
    z = torch.randn(5, 2)
    for name in ("gaussian", "gaussian-learned", "laplace"):
        model = build_model("vae", make_config("vae", (6,), "gaussian", likelihood=name, latent_dim=2, hidden="8"))
        torch.testing.assert_close(model.decode(z), model.decode_logits(z))
    model = build_model("vae", make_config("vae", (6,), "gaussian", likelihood="bernoulli", latent_dim=2, hidden="8"))
    torch.testing.assert_close(model.decode(z), torch.sigmoid(model.decode_logits(z)))


def test_checkpoint_keeps_the_likelihood_and_the_learned_variance(workspace, tiny_table):
    import latentlab as ll
    from latentlab.training.trainer import TrainConfig

    run = ll.train(tiny_table, "vae", {"latent_dim": 2, "hidden": "8", "likelihood": "gaussian-learned",
                                       "noise_std": 0.5}, TrainConfig(steps=20, batch_size=16), name="lik")
    back = ll.load_checkpoint(run.name)
    assert back.model.config.likelihood == "gaussian-learned" and back.model.config.noise_std == 0.5
    assert describe(back.model.config) == "gaussian-learned (one variance for each feature)"
    learned = learned_noise_std(back.model)
    assert learned.shape == (5,) and not np.allclose(learned, 0.5)  # trained away from its start, and kept

    # A checkpoint saved before likelihoods were a setting: ``gaussian`` (sd 1) and no noise_std in its manifest.
    old = ll.train(tiny_table, "vae", {"latent_dim": 2, "hidden": "8", "likelihood": "gaussian"},
                   TrainConfig(steps=5, batch_size=16), name="old")
    manifest = json.loads(old.checkpoint.read_text())
    for key in ("noise_std", "learned_variance"):
        manifest["model_config"].pop(key)
    old.checkpoint.write_text(json.dumps(manifest))
    model = ll.load_checkpoint("old").model
    x = torch.from_numpy(tiny_table.x[:8])
    out = model.decode_logits(model.encode(x).mean)
    legacy = (0.5 * (out - x) ** 2).sum(1) + 5 * 0.5 * math.log(2 * math.pi)  # the old term plus the constant
    torch.testing.assert_close(model.reconstruction_loss(out, x), legacy)
