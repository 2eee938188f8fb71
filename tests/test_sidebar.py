"""The shared sidebar: every checkpoint listed with its dataset, the dataset following a picked checkpoint, a
checkpoint never applied to items that do not fit it, and the space named for what it is."""

import json
import shutil

import numpy as np
import pytest

from latentlab.ui import sidebar as sb
from tests.apptest import no_exception, start_dashboard

DATASETS = {
    "digits": {"name": "digits", "kind": "image", "item_shape": [1, 8, 8]},
    "shapes": {"name": "shapes", "kind": "image", "item_shape": [1, 64, 64]},
    "shapes-20k": {"name": "shapes-20k", "kind": "image", "item_shape": [1, 64, 64]},
    "codes": {"name": "codes", "kind": "embedding", "item_shape": [8]},
    "wine": {"name": "wine", "kind": "tabular", "item_shape": [13]},
}
CHECKPOINTS = {
    "digits-dec": {"model": "dec", "dataset": "digits", "item_shape": [1, 8, 8]},
    "digits-vae": {"model": "vae", "dataset": "digits", "item_shape": [1, 8, 8]},
    "shapes-beta-vae": {"model": "beta-vae", "dataset": "shapes-20k", "item_shape": [1, 64, 64]},
    "codes-sae": {"model": "topk-sae", "dataset": "codes", "item_shape": [8]},
    "mnist-vae": {"model": "vae", "dataset": "mnist", "item_shape": [1, 28, 28]},
    "stray-vae": {"model": "vae", "dataset": "gone", "item_shape": [1, 8, 8]},
}


def box(at, label):
    return next(s for s in at.sidebar.selectbox if s.label == label)


def test_picking_a_dataset_keeps_a_checkpoint_that_fits_else_picks_one():
    assert sb.checkpoint_for(DATASETS["shapes"], "shapes-beta-vae", CHECKPOINTS) == "shapes-beta-vae"
    assert sb.checkpoint_for(DATASETS["shapes-20k"], "digits-dec", CHECKPOINTS) == "shapes-beta-vae"
    assert sb.checkpoint_for(DATASETS["digits"], "shapes-beta-vae", CHECKPOINTS) == "digits-vae"  # the demo model
    assert sb.checkpoint_for(DATASETS["wine"], "digits-vae", CHECKPOINTS) is None
    assert sb.checkpoint_for(DATASETS["codes"], "digits-vae", CHECKPOINTS) == "codes-sae"  # trained on it
    assert sb.default_checkpoint({**DATASETS["codes"], "name": "other-codes"}, CHECKPOINTS) == sb.VECTORS
    assert sb.checkpoint_for(DATASETS["digits"], sb.VECTORS, CHECKPOINTS) == "digits-vae"


def test_picking_a_checkpoint_brings_its_dataset_or_keeps_one_that_fits():
    assert sb.dataset_for("shapes-beta-vae", "digits", DATASETS, CHECKPOINTS) == "shapes-20k"
    assert sb.dataset_for("shapes-beta-vae", "shapes", DATASETS, CHECKPOINTS) == "shapes-20k"
    assert sb.dataset_for("stray-vae", "digits", DATASETS, CHECKPOINTS) == "digits"  # its dataset is not here
    assert sb.dataset_for("stray-vae", "wine", DATASETS, CHECKPOINTS) is None  # nowhere to apply it
    assert sb.dataset_for("mnist-vae", "digits", DATASETS, CHECKPOINTS) is None
    assert sb.dataset_for(sb.VECTORS, "codes", DATASETS, CHECKPOINTS) == "codes"
    assert "import one on the Data page" in sb.refusal("mnist-vae", DATASETS, CHECKPOINTS)
    assert "(digits)" in sb.refusal("stray-vae", DATASETS, CHECKPOINTS)


def test_a_stored_pair_that_does_not_fit_is_settled_without_applying_the_checkpoint():
    # the checkpoint set last (by a page or a test): it brings its dataset
    assert sb.settle(DATASETS, CHECKPOINTS, "digits", "shapes-beta-vae", True) == ("shapes-20k", "shapes-beta-vae")
    assert sb.settle(DATASETS, CHECKPOINTS, "shapes", "shapes-beta-vae", True) == ("shapes", "shapes-beta-vae")
    assert sb.settle(DATASETS, CHECKPOINTS, "digits", "mnist-vae", True) == ("digits", "digits-vae")
    # the dataset set last (an import, a test): a checkpoint left from before gives way
    assert sb.settle(DATASETS, CHECKPOINTS, "codes", "digits-vae") == ("codes", "codes-sae")
    assert sb.settle(DATASETS, CHECKPOINTS, "shapes", "digits-vae") == ("shapes", "shapes-beta-vae")
    assert sb.settle(DATASETS, CHECKPOINTS, "nowhere", None) == ("digits", "digits-vae")
    assert sb.settle(DATASETS, CHECKPOINTS, "wine", sb.VECTORS) == ("wine", None)
    pairs = [sb.settle(DATASETS, CHECKPOINTS, d, c, moved) for d in DATASETS for c in CHECKPOINTS for moved in (0, 1)]
    for dataset, checkpoint in pairs:
        assert checkpoint is None or checkpoint == sb.VECTORS or sb.fits(CHECKPOINTS[checkpoint], DATASETS[dataset])


def test_the_checkpoint_box_lists_every_checkpoint_with_its_dataset(workspace, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/train.py")
    options = box(at, "Checkpoint").options
    assert "shapes-beta-vae · beta-vae · shapes-20k" in options  # listed while the dataset is digits
    assert "digits-vae · vae · digits" in options
    assert box(at, "Dataset").value == "digits" and box(at, "Checkpoint").value == "digits-vae"
    assert [c.value for c in at.sidebar.caption] == ["vae, 8 latent dimensions, trained on digits."]


def test_a_checkpoint_trained_on_another_dataset_switches_the_dataset(workspace, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/train.py")
    box(at, "Checkpoint").set_value("shapes-beta-vae").run()
    no_exception(at)
    assert (at.session_state["ll_dataset"], at.session_state["ll_checkpoint"]) == ("shapes-20k", "shapes-beta-vae")
    assert box(at, "Dataset").value == "shapes-20k" and box(at, "Checkpoint").value == "shapes-beta-vae"
    box(at, "Dataset").set_value("shapes").run()  # the full set: the model still fits, so it stays
    assert (box(at, "Dataset").value, box(at, "Checkpoint").value) == ("shapes", "shapes-beta-vae")
    box(at, "Dataset").set_value("wine").run()  # nothing fits: no checkpoint, and the page says so
    assert box(at, "Checkpoint").value is None and at.session_state["ll_checkpoint"] is None
    assert any("No checkpoint fits this dataset" in i.value for i in at.sidebar.info)
    box(at, "Checkpoint").set_value("digits-vae").run()
    assert (box(at, "Dataset").value, box(at, "Checkpoint").value) == ("digits", "digits-vae")


def test_the_choice_set_by_code_last_wins(workspace, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/train.py", ll_checkpoint="shapes-qlae")  # the dataset left at digits
    assert (box(at, "Dataset").value, box(at, "Checkpoint").value) == ("shapes-20k", "shapes-qlae")
    at.session_state["ll_dataset"] = "digits"  # as an import or another page does: the dataset alone
    at.run()
    assert (box(at, "Dataset").value, box(at, "Checkpoint").value) == ("digits", "digits-vae")
    at.session_state["ll_checkpoint"] = "shapes-beta-vae"  # as the Features page does: the checkpoint alone
    at.run()
    assert (box(at, "Dataset").value, box(at, "Checkpoint").value) == ("shapes-20k", "shapes-beta-vae")


@pytest.fixture
def foreign_checkpoints(workspace):
    """Two copies of the demo VAE trained on datasets this workspace lacks: one whose items fit digits, one
    that takes 28 x 28 images."""
    from latentlab.core.workspace import shipped_checkpoints_dir
    from latentlab.checkpoints.format import user_checkpoints_dir

    folder = user_checkpoints_dir()
    for name, shape in (("stray-vae", [1, 8, 8]), ("mnist-vae", [1, 28, 28])):
        manifest = json.loads((shipped_checkpoints_dir() / "digits-vae.json").read_text())
        shutil.copy(shipped_checkpoints_dir() / manifest["weights"], folder / f"{name}.safetensors")
        manifest.update(weights=f"{name}.safetensors")
        manifest["dataset"]["name"] = name.replace("-vae", "")
        manifest["model_config"]["input_shape"] = shape
        (folder / f"{name}.json").write_text(json.dumps(manifest))
    return folder


def test_a_checkpoint_that_fits_no_dataset_here_is_refused_in_one_sentence(foreign_checkpoints, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/train.py")
    box(at, "Checkpoint").set_value("mnist-vae").run()
    no_exception(at)
    assert (box(at, "Dataset").value, box(at, "Checkpoint").value) == ("digits", "digits-vae")  # unchanged
    assert [w.value for w in at.sidebar.warning] == [
        "mnist-vae was trained on mnist not in this workspace and takes items of 1 x 28 x 28, which the current "
        "dataset's items are not; import one on the Data page."]
    box(at, "Checkpoint").set_value("stray-vae").run()  # its dataset is gone, but digits fits it
    assert (box(at, "Dataset").value, box(at, "Checkpoint").value) == ("digits", "stray-vae")
    assert not at.sidebar.warning
    assert [c.value for c in at.sidebar.caption] == ["vae, 8 latent dimensions, trained on stray; here it encodes digits."]


def test_on_a_dataset_of_vectors_the_space_is_the_vectors_not_latent_means(workspace, monkeypatch):
    from latentlab.data import Dataset
    from latentlab.data.registry import save_dataset

    save_dataset(Dataset("vecs", np.random.default_rng(0).normal(size=(50, 6)).astype(np.float32), "embedding"))
    at = start_dashboard(monkeypatch, "pages/train.py", ll_dataset="vecs")
    assert box(at, "Checkpoint").value == sb.VECTORS and box(at, "Checkpoint").options[0] == sb.VECTORS
    assert box(at, "Work in").options == [sb.VECTORS_SPACE, "projection"]
    assert sb.Context("vecs", None, "latent means", vectors=True).space_label == sb.VECTORS_SPACE
    box(at, "Dataset").set_value("digits").run()
    assert box(at, "Work in").options == ["latent means", "projection"]
    assert sb.VECTORS not in box(at, "Checkpoint").options
