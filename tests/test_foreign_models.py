"""Models trained elsewhere: a plain-torch VAE named by class path and by an installed package's entry point,
then embedded, mapped, clustered, traversed, sampled and scored like ours; an encoder without a decoder and
what it cannot do; the model's preprocessing; the manifest's hashes checked on load."""

import json

import numpy as np
import pytest
import torch

import latentlab as ll
from latentlab.cli import main
from latentlab.core.errors import LatentLabError
from tests import foreign_modules as fm


@pytest.fixture
def user_code(tmp_path, monkeypatch, workspace):
    """The user's module importable (a folder on sys.path), with PlainVAE's weights and config saved."""
    monkeypatch.syspath_prepend(str(fm.write_module(tmp_path / "src")))
    weights = fm.save_weights(fm.built("PlainVAE", n_in=64, latent=3, hidden=16), tmp_path / "vae.safetensors")
    config = fm.write_config(tmp_path / "vae.json", n_in=64, latent=3, hidden=16)
    return tmp_path, weights, config


def test_a_plain_vae_by_class_path_works_everywhere(user_code):
    tmp, weights, config = user_code
    ck = ll.add_checkpoint("their-vae", "digits", class_path=f"{fm.MODULE}:PlainVAE", weights=weights, config=config)
    assert ck.model.stochastic and ck.model.has_decoder and ck.latent_dim == 3
    m = json.loads(ck.path.read_text())
    assert m["model"] == "foreign" and m["source"] == {"kind": "class", "class": f"{fm.MODULE}:PlainVAE",
                                                        "config": {"n_in": 64, "latent": 3, "hidden": 16}}
    assert m["gaussian"] is True and m["files"]["weights"]["file"] == "their-vae.safetensors"
    assert m["preprocessing"] == {"scale": 1.0, "mean": [], "std": [], "input_shape": []}

    # The codes are the module's own, computed on the dataset's float items.
    module = fm.built("PlainVAE")
    module.load_state_dict(ll.load_checkpoint("their-vae").model.inner.state_dict())
    ds = ll.load_dataset("digits")
    emb = ll.embed("their-vae")
    with torch.no_grad():
        mu, logvar = module.encode(torch.from_numpy(ds.as_float(np.arange(5))))
    np.testing.assert_allclose(emb.mean[:5], mu.numpy(), atol=1e-6)
    np.testing.assert_allclose(emb.logvar[:5], logvar.numpy(), atol=1e-6)
    assert emb.kl.shape == (1797, 3) and np.isfinite(emb.recon_error).all() and emb.has_reconstructions

    assert ll.project("their-vae", method="pca").shape == (1797, 2)
    assert len(np.unique(ll.cluster("their-vae", method="kmeans", k=4).labels)) == 4
    tr = ll.traverse("their-vae", index=0, dims=[0, 2], steps=5)
    assert tr.items.shape == (2, 5, 1, 8, 8) and np.ptp(tr.items[0], axis=0).max() > 0
    assert ll.interpolate("their-vae", start=0, end=1, steps=4).shape == (4, 1, 8, 8)
    samples = ll.sample("their-vae", n=6, seed=1)
    assert samples.shape == (6, 1, 8, 8) and ((samples >= 0) & (samples <= 1)).all()
    np.testing.assert_array_equal(samples, ll.sample("their-vae", n=6, seed=1))
    scores = ll.score("their-vae", n=400)
    assert "isoscore" in scores and all(np.isfinite(v) for r in scores.values() for v in r.scores.values())
    assert ll.diagnose("their-vae", n=400).scores["recon_error_mean"] > 0
    assert ll.intervene("their-vae", n=32, probe_items=200).output_effect.shape[0] == 3
    assert ll.capabilities("their-vae").missing == {}


def test_an_installed_package_registers_the_class_by_name(tmp_path, monkeypatch, workspace, capsys):
    site = fm.install_distribution(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    assert fm.ENTRY_POINT in ll.installed_model_classes()
    weights = fm.save_weights(fm.built("PlainVAE", latent=2), tmp_path / "w.safetensors")
    config = fm.write_config(tmp_path / "c.json", latent=2)
    code = main(["checkpoints", "add", "ep-vae", "--class", fm.ENTRY_POINT, "--weights", str(weights),
                 "--config", str(config), "--dataset", "digits", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["latent_dim"] == 2 and out["gaussian"] and out["has_decoder"]
    assert out["source"]["kind"] == "entry-point" and out["source"]["entry_point"] == fm.ENTRY_POINT
    assert out["source"]["class"] == f"{fm.MODULE}:PlainVAE" and out["source"]["distribution"] == "userlab-models 0.3.1"
    assert out["can_train"] is True
    assert main(["traverse", "ep-vae", "--dims", "0,1", "--steps", "3", "--out", str(tmp_path / "t.png")]) == 0
    assert (tmp_path / "t.png").stat().st_size > 0


def test_an_encoder_alone_gets_the_views_of_codes_and_says_what_it_lacks(user_code):
    tmp, _, _ = user_code
    weights = fm.save_weights(fm.built("NormalEncoder"), tmp / "enc.safetensors")
    ck = ll.add_checkpoint("enc-only", "digits", class_path=f"{fm.MODULE}:NormalEncoder", weights=weights)
    assert ck.model.stochastic and not ck.model.has_decoder  # loc and scale: a Gaussian posterior
    emb = ll.embed("enc-only")
    assert emb.mean.shape == (1797, 2) and np.isnan(emb.recon_error).all() and not emb.has_reconstructions
    assert "reconstruction error" not in ll.colour_options(ll.load_dataset("digits"), emb)
    assert ll.project("enc-only", method="pca").shape == (1797, 2)
    missing = ll.capabilities("enc-only").missing
    assert set(missing) == {"reconstructions", "reconstruction error", "traversals", "interpolation", "sampling",
                            "interventions"}
    assert missing["traversals"] == f"{fm.MODULE}:NormalEncoder provides no decode(z)"
    for call in (lambda: ll.traverse("enc-only"), lambda: ll.sample("enc-only"), lambda: ll.interpolate("enc-only"),
                 lambda: ll.intervene("enc-only")):
        with pytest.raises(LatentLabError, match="offers no .*: .*provides no decode"):
            call()
    assert np.isnan(ll.diagnose("enc-only", n=300).scores["recon_error_mean"])


def test_the_models_preprocessing_is_applied_and_undone(user_code):
    tmp, _, _ = user_code
    module = fm.built("FlatAE")
    weights = fm.save_weights(module, tmp / "flat.safetensors")
    prep = {"scale": 255.0, "mean": [127.5], "std": [64.0], "input_shape": [64]}
    ck = ll.add_checkpoint("flat", "digits", class_path=f"{fm.MODULE}:FlatAE", weights=weights, preprocessing=prep)
    assert not ck.model.stochastic and ck.latent_dim == 4
    assert json.loads(ck.path.read_text())["preprocessing"] == {"scale": 255.0, "mean": [127.5], "std": [64.0],
                                                                "input_shape": [64]}
    x = torch.from_numpy(ll.load_dataset("digits").as_float(np.arange(4)))  # (4, 1, 8, 8) in [0, 1]
    with torch.no_grad():
        z = module.encode(((x * 255.0 - 127.5) / 64.0).reshape(4, 64))["embedding"]
        np.testing.assert_allclose(ll.embed("flat").mean[:4], z.numpy(), atol=1e-5)
        back = ck.model.decode(z)  # items again, in the dataset's units and shape
        np.testing.assert_allclose(back.numpy(), ((module.decode(z) * 64.0 + 127.5) / 255.0).reshape(4, 1, 8, 8), atol=1e-6)
    assert "sampling" in ll.capabilities("flat").missing  # one code per item: no prior to draw from
    with pytest.raises(LatentLabError, match="offers no sampling"):
        ll.sample("flat")
    assert ll.traverse("flat", dims=[1], steps=3).items.shape == (1, 3, 1, 8, 8)


def test_the_manifest_hashes_are_checked_and_the_class_imported_again_on_load(user_code, monkeypatch):
    tmp, weights, config = user_code
    ck = ll.add_checkpoint("hashed", "digits", class_path=f"{fm.MODULE}:PlainVAE", weights=weights, config=config)
    stored = ck.path.with_name("hashed.safetensors")
    assert json.loads(ck.path.read_text())["files"]["weights"]["sha256"] == __import__("hashlib").sha256(
        stored.read_bytes()).hexdigest()
    original = stored.read_bytes()
    fm.save_weights(fm.built("PlainVAE", seed=5), stored)  # same names and shapes, other values
    with pytest.raises(LatentLabError, match="do not match the sha256"):
        ll.load_checkpoint("hashed")
    stored.write_bytes(original)
    assert ll.load_checkpoint("hashed").latent_dim == 3
    monkeypatch.setattr("sys.path", [p for p in __import__("sys").path if p != str(tmp / "src")])
    __import__("sys").modules.pop(fm.MODULE, None)
    with pytest.raises(LatentLabError, match=f"hashed.json: `class_path` {fm.MODULE}:PlainVAE: module '{fm.MODULE}' does not import"):
        ll.load_checkpoint("hashed")
