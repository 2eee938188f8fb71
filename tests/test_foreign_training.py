"""Training a class an installed package registers under ``latentlab.models`` as one of ours: ``latentlab train
--model NAME`` saves a checkpoint that loads back as that class with its weights, resume continues it, a sweep
runs it in worker processes, the Train page offers it with its constructor's arguments; a class without loss(x),
an unknown name and a setting the constructor lacks are each one sentence."""

import json
import os

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import latentlab as ll
from latentlab import jobs
from latentlab.cli import main
from latentlab.core.errors import LatentLabError
from latentlab.training.trainer import TrainConfig
from tests import foreign_modules as fm
from tests.apptest import open_page, start_dashboard


@pytest.fixture
def installed(tmp_path, monkeypatch, workspace):
    """userlab-models installed (plain-vae, with loss), beside a second package registering an encoder without
    loss; on sys.path here and on PYTHONPATH for the job system's worker processes."""
    site = fm.install_distribution(tmp_path / "site")
    info = site / "encoders_only-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: encoders-only\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[latentlab.models]\nnormal-encoder = {fm.MODULE}:NormalEncoder\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("LATENTLAB_RUNNER_IDLE_S", "3")
    yield tmp_path
    for job in jobs.list_jobs(jobs.ACTIVE):  # leave no worker behind
        jobs.cancel(job.id)


def test_train_by_entry_point_name_saves_a_checkpoint_of_that_class(installed, capsys):
    config = fm.write_config(installed / "c.json", latent=2, hidden=12)
    code = main(["train", "--dataset", "digits", "--model", fm.ENTRY_POINT, "--config", str(config), "--steps", "150",
                 "--batch-size", "64", "--lr", "3e-3", "--name", "mine", "--json"])
    assert code == 0, capsys.readouterr().err
    manifest = json.loads((installed / "home" / "checkpoints" / "mine.json").read_text())
    assert manifest["model"] == "foreign" and manifest["step"] == 150
    assert manifest["source"] == {"kind": "entry-point", "entry_point": fm.ENTRY_POINT, "class": f"{fm.MODULE}:PlainVAE",
                                  "config": {"latent": 2, "hidden": 12}, "distribution": "userlab-models 0.3.1"}
    assert manifest["gaussian"] and manifest["has_decoder"] and manifest["can_train"]
    history = manifest["history"]
    assert history[-1]["loss"] < 0.8 * history[0]["loss"] and {"recon", "kl"} <= set(history[-1])

    ck = ll.load_checkpoint("mine")  # the user's class again, by its entry-point name, with the trained weights
    assert type(ck.model.inner).__name__ == "PlainVAE" and ck.latent_dim == 2
    saved = load_file(str(installed / "home" / "checkpoints" / manifest["files"]["weights"]["file"]))
    assert set(saved) == set(ck.model.inner.state_dict())  # the module's own names, nothing of LatentLab's wrapper
    for key, value in ck.model.inner.state_dict().items():
        torch.testing.assert_close(value, saved[key])
    assert not torch.equal(saved["enc.1.weight"], fm.built("PlainVAE", latent=2, hidden=12).enc[1].weight)
    emb = ll.embed("mine")
    assert emb.mean.shape == (1797, 2) and np.isfinite(emb.recon_error).all()
    assert ll.traverse("mine", dims=[0], steps=3).items.shape == (1, 3, 1, 8, 8)


def test_a_run_resumes_from_its_checkpoint_with_its_optimizer(installed):
    first = ll.train("digits", fm.ENTRY_POINT, {"latent": 2}, TrainConfig(steps=20, batch_size=32), name="cut")
    manifest = json.loads(first.checkpoint.read_text())
    assert manifest["optimizer"] == "cut.optim.safetensors"
    before = load_file(str(first.checkpoint.with_suffix(".safetensors")))
    result = ll.train(None, resume="cut", train_config=TrainConfig(steps=45, batch_size=32))
    assert result.step == 45
    after = json.loads(first.checkpoint.read_text())
    assert after["step"] == 45 and after["source"]["config"] == {"latent": 2}
    assert [row["step"] for row in after["history"]][:3] == [1, 10, 20] and after["history"][-1]["step"] == 45
    assert after["files"]["weights"]["sha256"] == after["weights_sha256"] != manifest["weights_sha256"]
    loaded = ll.load_checkpoint("cut").model.inner.state_dict()
    assert not torch.equal(loaded["dec.2.weight"], before["dec.2.weight"])


def test_a_sweep_trains_the_class_in_worker_processes(installed):
    _, ids = jobs.submit_sweep("digits", fm.ENTRY_POINT, {"hidden": [8, 20]}, {"latent": 2},
                               TrainConfig(steps=15, batch_size=32), name="widths")
    for job_id in ids:
        job = jobs.wait(job_id, timeout=180)
        assert job.state == "succeeded", job.error
    widths = sorted(ll.load_checkpoint(jobs.get(i).params["name"]).model.inner.enc[1].out_features for i in ids)
    assert widths == [8, 20]
    with pytest.raises(LatentLabError, match=r"`grid` axis 'beta' is not a setting of 'plain-vae' or of training; use one of "
                                             r"batch_size, .*hidden, .*latent, .*n_in"):
        jobs.submit_sweep("digits", fm.ENTRY_POINT, {"beta": [1.0, 2.0]}, {}, TrainConfig(steps=5))


def test_a_class_without_loss_and_bad_names_are_one_sentence(installed, capsys):
    assert "normal-encoder" in ll.installed_model_classes()
    assert "normal-encoder" not in ll.trainable_models() and ll.trainable_models()[fm.ENTRY_POINT] == (
        f"installed class {fm.MODULE}:PlainVAE (userlab-models 0.3.1)")
    cases = [
        (["--model", "normal-encoder"],
         f"Model class 'normal-encoder' ({fm.MODULE}:NormalEncoder) has no loss(x); training needs loss(x)"),
        (["--model", "gan"], "Unknown model 'gan'; choose one of: ae, vae, "),
        (["--model", fm.ENTRY_POINT, "--beta", "4"],
         "Model 'plain-vae' has no setting beta; its constructor's keyword arguments are hidden, latent, n_in."),
        (["--model", fm.ENTRY_POINT, "--hidden", "1.5"], "Setting hidden: '1.5' is not a whole number"),
        (["--model", fm.ENTRY_POINT, "--latent-dim", "3", "--background"], "has no setting latent_dim"),
    ]
    for argv, message in cases:
        assert main(["train", "--dataset", "digits", "--steps", "2", *argv]) == 2, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert main(["train", "--dataset", "digits", "--steps", "2", "--model", "gan"]) == 2
    assert "installed classes: normal-encoder, plain-vae." in capsys.readouterr().err
    assert not list((installed / "home" / "checkpoints").glob("*.json"))  # nothing saved
    assert not jobs.list_jobs()


def test_the_train_page_offers_the_class_with_its_constructor_arguments(installed, monkeypatch):
    at = open_page(start_dashboard(monkeypatch), "pages/train.py")
    model = at.selectbox(key="tr-model")
    assert model.options[-1] == f"{fm.ENTRY_POINT} — installed class {fm.MODULE}:PlainVAE (userlab-models 0.3.1)"
    model.set_value(fm.ENTRY_POINT).run()
    assert [n.label for n in at.number_input if n.key.startswith(f"tr-{fm.ENTRY_POINT}-")] == ["n in", "latent", "hidden"]
    assert at.selectbox(key="tr-axis1").options == ["(none)", "n_in", "latent", "hidden", "seed", "lr", "batch_size"]
    at.selectbox(key="tr-dataset").set_value("digits").run()
    at.radio(key="tr-unit").set_value("steps").run()
    at.number_input(key=f"tr-{fm.ENTRY_POINT}-latent").set_value(4)
    at.number_input(key="tr-length-steps").set_value(10)
    at.text_input(key="tr-name").set_value("from-the-page")
    next(b for b in at.button if b.label == "Start training").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    job = jobs.wait(jobs.list_jobs()[0].id, timeout=180)
    assert job.state == "succeeded", job.error
    assert ll.load_checkpoint("from-the-page").latent_dim == 4
