"""The KL warm-up of the registry's VAEs: the regulariser's weight rises linearly over ``kl_warmup`` steps (from
where a resumed run stands), the loss is the reconstruction plus that share of the regulariser, the setting is
read back from the checkpoint, and a bad value is one sentence."""

import numpy as np
import pytest
import torch

from latentlab.core.errors import LatentLabError
from latentlab.models import build_model, make_config
from latentlab.training.trainer import TrainConfig, Trainer


def weights_seen(model, dataset, steps: int, state_step: int = 0) -> list[tuple[float, float, float]]:
    """(weight, loss, recon + weight * regulariser) at every loss the trainer asks the model for."""
    seen, loss = [], model.loss

    def watched(x):
        out = loss(x)
        reg = (out.terms["loss"] - out.terms["recon"]).detach()
        seen.append((model.regulariser_weight, float(out.terms["loss"].detach()), float(reg)))
        return out

    model.loss = watched
    trainer = Trainer(model, dataset, TrainConfig(steps=steps, batch_size=16, log_every=1))
    trainer.state.step = state_step
    trainer.run()
    return seen


@pytest.mark.parametrize("model", ["vae", "beta-tcvae", "gmvae"])
def test_the_weight_rises_linearly_over_the_warmup_and_scales_the_regulariser(model, tiny_table):
    torch.manual_seed(0)
    m = build_model(model, make_config(model, (5,), "gaussian", latent_dim=2, hidden="8", kl_warmup=4))
    seen = weights_seen(m, tiny_table, steps=7)
    assert [w for w, _, _ in seen] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    assert seen[0][2] == 0.0  # the first step is the reconstruction alone
    assert all(reg != 0.0 for w, _, reg in seen[1:])


def test_without_warmup_the_weight_is_one_from_the_first_step(tiny_table):
    m = build_model("vae", make_config("vae", (5,), "gaussian", latent_dim=2, hidden="8"))
    assert m.config.kl_warmup == 0
    assert [w for w, _, _ in weights_seen(m, tiny_table, steps=3)] == [1.0, 1.0, 1.0]


def test_a_resumed_run_goes_on_from_its_own_step(tiny_table):
    m = build_model("vae", make_config("vae", (5,), "gaussian", latent_dim=2, hidden="8", kl_warmup=10))
    seen = weights_seen(m, tiny_table, steps=8, state_step=5)  # steps 6 to 8 of a run stopped at 5
    assert [w for w, _, _ in seen] == [0.5, 0.6, 0.7]


def test_the_checkpoint_keeps_the_warmup(workspace, tiny_table):
    import latentlab as ll

    run = ll.train(tiny_table, "beta-tcvae", {"latent_dim": 2, "hidden": "8", "kl_warmup": 3},
                   TrainConfig(steps=5, batch_size=16, snapshots=False))
    ck = ll.load_checkpoint(run.name)
    assert ck.manifest["model_config"]["kl_warmup"] == 3 and ck.model.config.kl_warmup == 3
    np.testing.assert_allclose(ck.model.regulariser_weight, 1.0)  # 5 steps taken, past the warm-up


@pytest.mark.parametrize("value", [-1, 1.5, "ten"])
def test_a_bad_warmup_is_one_sentence_naming_it(value):
    with pytest.raises(LatentLabError) as err:
        make_config("vae", (5,), "gaussian", kl_warmup=value)
    assert "kl_warmup" in str(err.value) and "\n" not in str(err.value)


def test_the_command_line_offers_it_and_refuses_a_negative_one_with_exit_2(workspace, capsys):
    from latentlab.cli import main

    assert main(["train", "--dataset", "wine", "--model", "vae", "--steps", "3", "--kl-warmup", "-2"]) == 2
    assert "kl_warmup" in capsys.readouterr().err.replace("-", "_")
    assert not list(workspace.rglob("*.json"))
