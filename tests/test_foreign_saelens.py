"""A sparse autoencoder saved in SAELens's layout (cfg.json + sae_weights.safetensors) over an embedding dataset
of its width: its features computed as SAELens computes them, sparse, with densities and top-activating
items on the Features page."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

import latentlab as ll
from latentlab.analysis.sae_features import feature_stats
from latentlab.data import Dataset, save_dataset
from tests.apptest import metric, open_page, start_dashboard

D_IN, D_SAE = 6, 24


def sae_folder(path, architecture="standard", **cfg):
    """A SAELens folder with seeded weights; returns the folder and the tensors."""
    g = torch.Generator().manual_seed(0)
    w = {"W_enc": torch.randn(D_IN, D_SAE, generator=g), "W_dec": torch.randn(D_SAE, D_IN, generator=g) / 4,
         "b_dec": torch.randn(D_IN, generator=g) / 10}
    if architecture == "gated":
        w.update(b_gate=torch.randn(D_SAE, generator=g) - 1, r_mag=torch.randn(D_SAE, generator=g) / 5,
                 b_mag=torch.randn(D_SAE, generator=g) / 5)
    else:
        w["b_enc"] = torch.randn(D_SAE, generator=g) - 1.0  # most pre-activations below zero: sparse codes
    if architecture == "jumprelu":
        w["threshold"] = torch.full((D_SAE,), 0.5)
    path.mkdir()
    save_file(w, str(path / "sae_weights.safetensors"))
    (path / "cfg.json").write_text(json.dumps({"d_in": D_IN, "d_sae": D_SAE, "architecture": architecture,
                                               "apply_b_dec_to_input": True, "normalize_activations": "none",
                                               "hook_name": "blocks.0.hook_resid_pre", "dtype": "float32", **cfg}))
    return path, w


@pytest.fixture
def activations(workspace):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, D_IN)).astype(np.float32)
    return save_dataset(Dataset(name="acts", x=x, kind="embedding", labels=np.repeat(["p", "q", "r"], 100)))


def reference(w, x, architecture, k=None):
    """SAELens's inference path, written out for the test."""
    x = torch.from_numpy(x) - w["b_dec"]
    if architecture == "gated":
        return ((x @ w["W_enc"] + w["b_gate"]) > 0) * torch.relu(x @ (w["W_enc"] * w["r_mag"].exp()) + w["b_mag"])
    pre = x @ w["W_enc"] + w["b_enc"]
    if architecture == "jumprelu":
        return torch.relu(pre) * (pre > w["threshold"])
    if k:
        top = pre.topk(k, dim=1)
        return torch.zeros_like(pre).scatter(1, top.indices, torch.relu(top.values))
    return torch.relu(pre)


@pytest.mark.parametrize("architecture,extra", [("standard", {"activation_fn": "relu"}),
                                                ("topk", {"activation_fn_kwargs": {"k": 3}}),
                                                ("jumprelu", {}), ("gated", {})])
def test_a_saelens_sae_reads_features_as_saelens_does(tmp_path, activations, architecture, extra):
    folder, w = sae_folder(tmp_path / "sae", architecture, **extra)
    ck = ll.add_checkpoint("sae", "acts", saelens=folder)
    m = json.loads(ck.path.read_text())
    assert m["source"]["kind"] == "saelens" and m["source"]["config"]["architecture"] == architecture
    assert ck.latent_dim == D_SAE and not ck.model.stochastic and ck.model.has_decoder
    emb = ll.embed("sae")
    want = reference(w, activations.x, architecture, extra.get("activation_fn_kwargs", {}).get("k"))
    np.testing.assert_allclose(emb.mean, want.numpy(), atol=1e-5)
    recon = ck.model.decode(torch.from_numpy(emb.mean[:4]))
    np.testing.assert_allclose(recon.detach().numpy(), (want[:4] @ w["W_dec"] + w["b_dec"]).numpy(), atol=1e-5)
    stats = feature_stats(emb.mean)
    assert stats.sparse and 0 < stats.l0 < D_SAE / 2
    if architecture == "topk":
        assert (np.count_nonzero(emb.mean, axis=1) <= 3).all()


@pytest.mark.parametrize("architecture,extra", [("topk", {"activation_fn_kwargs": {"k": 3}}), ("gated", {})])
def test_a_saelens_sae_exports_to_onnx_with_the_same_features(tmp_path, activations, architecture, extra):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    from latentlab.models.onnx_model import OnnxModel

    folder, _ = sae_folder(tmp_path / "sae", architecture, **extra)
    ck = ll.add_checkpoint("sae", "acts", saelens=folder)
    info = ll.export_onnx("sae", tmp_path / "out")
    assert info["source"]["kind"] == "saelens" and info["latent_dim"] == D_SAE
    model = OnnxModel(tmp_path / "out" / "encoder.onnx", tmp_path / "out" / "decoder.onnx", item_shape=(D_IN,))
    codes = model.encode(torch.from_numpy(activations.x))
    np.testing.assert_allclose(codes.numpy(), ll.embed("sae").mean, rtol=0, atol=1e-5)
    with torch.no_grad():
        np.testing.assert_allclose(model.decode(codes[:9]).numpy(), ck.model.decode(codes[:9]).numpy(), rtol=0, atol=1e-5)


def test_the_sae_must_fit_the_dataset_and_its_config(tmp_path, activations, workspace):
    folder, _ = sae_folder(tmp_path / "sae")
    with pytest.raises(ll.LatentLabError, match=r"reads vectors of width 6, but dataset 'digits' holds items of shape \[1, 8, 8\]"):
        ll.add_checkpoint("sae", "digits", saelens=folder)
    for cfg, needle in (({"normalize_activations": "expected_average_only_in"}, "normalize_activations"),
                        ({"architecture": "crosscoder"}, "architecture 'crosscoder'"),
                        ({"architecture": "topk"}, "needs activation_fn_kwargs.k"),
                        ({"d_sae": "wide"}, "'d_sae' must be a positive integer")):
        raw = json.loads((folder / "cfg.json").read_text())
        (folder / "cfg.json").write_text(json.dumps({**raw, **cfg}))
        with pytest.raises(ll.LatentLabError, match=needle):
            ll.add_checkpoint("sae", "acts", saelens=folder)
        (folder / "cfg.json").write_text(json.dumps(raw))
    assert not (workspace / "checkpoints").exists() or not list((workspace / "checkpoints").iterdir())


def test_the_features_page_shows_the_saes_densities(tmp_path, activations, monkeypatch):
    folder, _ = sae_folder(tmp_path / "sae")
    ll.add_checkpoint("acts-sae", "acts", saelens=folder)
    app = open_page(start_dashboard(monkeypatch, ll_dataset="acts", ll_checkpoint="acts-sae"), "pages/features.py")
    assert metric(app, "Features") == f"{D_SAE}" and metric(app, "Items") == "300"
    assert any("Feature density" in (c.proto.spec or "") for c in app.get("plotly_chart"))
    assert not any("These codes are dense" in i.value for i in app.info)
