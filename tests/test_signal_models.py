"""Every registry model on signals: 1-D convolutions chosen by ``--arch auto``, a few training steps."""

import numpy as np
import pytest
import torch
from torch import nn

import latentlab as ll
from latentlab.core.errors import LatentLabError
from latentlab.data import Dataset
from latentlab.models import MODELS, build_model, make_config
from latentlab.models.nets import resolve_arch
from latentlab.checkpoints.format import read_checkpoint
from latentlab.training.trainer import TrainConfig


@pytest.fixture
def tiny_signals():
    """40 two-channel signals of 24 samples: a bump early or late."""
    t = np.arange(24)
    late = np.repeat([0, 1], 20)
    centre = np.where(late, 16, 6)[:, None]
    bump = np.exp(-0.5 * ((t[None] - centre) / 2.0) ** 2)  # (40, 24)
    x = np.stack([bump, -0.5 * bump], axis=1) + 0.05 * np.random.default_rng(0).normal(size=(40, 2, 24))
    return Dataset(name="tiny-signals", x=x.astype(np.float32), kind="signal", labels=late,
                   channel_names=["a", "b"], times=t / 24)


@pytest.mark.parametrize("length", [8, 9, 24, 33, 128])
def test_auto_picks_1d_convolutions_for_signals_and_any_length_comes_back(length):
    config = make_config("vae", (3, length), "gaussian", latent_dim=4)
    assert resolve_arch(config) == "conv1d"
    model = build_model("vae", config)
    assert any(isinstance(m, nn.Conv1d) for m in model.encoder.modules())
    assert model.decode(torch.zeros(2, 4)).shape == (2, 3, length)
    assert resolve_arch(make_config("vae", (3, 7), "gaussian")) == "mlp"  # too short to convolve
    with pytest.raises(LatentLabError, match="conv1d network needs signals"):
        build_model("vae", make_config("vae", (1, 8, 8), "bernoulli", arch="conv1d"))


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_trains_on_signals_and_round_trips(workspace, tiny_signals, name):
    result = ll.train(tiny_signals, name, {"latent_dim": 2}, TrainConfig(steps=4, batch_size=16))
    ck = read_checkpoint(result.name)
    assert ck.model_name == name and ck.manifest["step"] == 4 and ck.manifest["dataset"]["kind"] == "signal"
    linear = name == "topk-sae"  # a linear dictionary by design: no network to choose
    assert any(isinstance(m, nn.Conv1d) for m in ck.model.modules()) != linear
    x = torch.from_numpy(tiny_signals.as_float(np.arange(4)))
    post = ck.model.encode(x)
    assert ck.model.decode(post.mean).shape == (4, 2, 24)
    again = read_checkpoint(result.checkpoint)
    torch.testing.assert_close(again.model.encode(x).mean, post.mean, rtol=0, atol=0)


def test_an_autoencoder_learns_the_bump_position(workspace, tiny_signals):
    result = ll.train(tiny_signals, "ae", {"latent_dim": 2}, TrainConfig(steps=150, batch_size=20, lr=3e-3, seed=0))
    ck = read_checkpoint(result.name)
    ck.model.eval()
    with torch.no_grad():
        recon = ck.model.decode(ck.model.encode(torch.from_numpy(tiny_signals.x)).mean).numpy()
    peaks = recon[:, 0].argmax(1)
    assert (np.abs(peaks - np.where(tiny_signals.labels, 16, 6)) <= 2).mean() > 0.9
