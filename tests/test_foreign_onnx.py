"""ONNX files added as a checkpoint (``checkpoints add --onnx-encoder [--onnx-decoder]``): the graphs run by
onnxruntime behind the same model interface, their files copied and hashed into the manifest."""

import json

import numpy as np
import pytest

import latentlab as ll
from latentlab.cli import main

ITEM = (1, 8, 8)


@pytest.fixture
def onnx():
    pytest.importorskip("onnxruntime")
    pytest.importorskip("latentlab.models.onnx_model")
    return pytest.importorskip("onnx")


def _model(nodes, inputs, outputs, initializers):
    from onnx import helper

    graph = helper.make_graph(nodes, "g", inputs, outputs, initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def graphs(onnx, tmp_path, gaussian: bool):
    """encoder: items (N, 1, 8, 8) -> Flatten -> MatMul W (64, 3) [and MatMul L for the logvar];
    decoder: codes (N, 3) -> MatMul V -> Sigmoid -> Reshape (N, 1, 8, 8). Returns paths and weights."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    W, L, V = (rng.normal(size=s).astype(np.float32) / 4 for s in ((64, 3), (64, 3), (3, 64)))
    x = helper.make_tensor_value_info("items", TensorProto.FLOAT, ["N", *ITEM])
    outs = [helper.make_tensor_value_info("mean", TensorProto.FLOAT, ["N", 3])]
    nodes = [helper.make_node("Flatten", ["items"], ["flat"]), helper.make_node("MatMul", ["flat", "W"], ["mean"])]
    inits = [numpy_helper.from_array(W, "W")]
    if gaussian:
        outs.append(helper.make_tensor_value_info("logvar", TensorProto.FLOAT, ["N", 3]))
        nodes.append(helper.make_node("MatMul", ["flat", "L"], ["logvar"]))
        inits.append(numpy_helper.from_array(L, "L"))
    enc = tmp_path / "enc.onnx"
    onnx.save_model(_model(nodes, [x], outs, inits), str(enc))
    z = helper.make_tensor_value_info("code", TensorProto.FLOAT, ["N", 3])
    y = helper.make_tensor_value_info("items", TensorProto.FLOAT, ["N", *ITEM])
    dec_nodes = [helper.make_node("MatMul", ["code", "V"], ["pre"]), helper.make_node("Sigmoid", ["pre"], ["flat"]),
                 helper.make_node("Reshape", ["flat", "shape"], ["items"])]
    dec = tmp_path / "dec.onnx"
    onnx.save_model(_model(dec_nodes, [z], [y], [numpy_helper.from_array(V, "V"),
                                                  numpy_helper.from_array(np.array([-1, *ITEM], np.int64), "shape")]),
                    str(dec))
    return enc, dec, W, L, V


def test_onnx_encoder_and_decoder_explore_like_a_model_of_ours(onnx, tmp_path, workspace, capsys):
    enc, dec, W, L, V = graphs(onnx, tmp_path, gaussian=True)
    code = main(["checkpoints", "add", "onnx-vae", "--onnx-encoder", str(enc), "--onnx-decoder", str(dec),
                 "--dataset", "digits", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["gaussian"] and out["has_decoder"] and out["latent_dim"] == 3
    assert out["source"] == {"kind": "onnx", "encoder_outputs": 2}
    assert {f["file"] for f in out["files"].values()} == {"onnx-vae.encoder.onnx", "onnx-vae.decoder.onnx"}
    x = ll.load_dataset("digits").as_float(np.arange(6)).reshape(6, 64)
    emb = ll.embed("onnx-vae")
    np.testing.assert_allclose(emb.mean[:6], x @ W, atol=1e-5)
    np.testing.assert_allclose(emb.logvar[:6], x @ L, atol=1e-5)
    tr = ll.traverse("onnx-vae", index=0, dims=[1], steps=3)
    expected = 1 / (1 + np.exp(-(_codes(emb.mean[0], 1, tr.values[0]) @ V)))  # the decoder graph by hand
    np.testing.assert_allclose(tr.items[0].reshape(3, 64), expected, atol=1e-5)
    assert ll.sample("onnx-vae", n=2).shape == (2, *ITEM)

    stored = workspace / "checkpoints" / "onnx-vae.decoder.onnx"
    stored.write_bytes(stored.read_bytes() + b"\0")
    with pytest.raises(ll.LatentLabError, match="onnx-vae.decoder.onnx: its contents do not match the sha256"):
        ll.load_checkpoint("onnx-vae")


def _codes(base, dim, values):
    codes = np.repeat(base[None], len(values), 0)
    codes[:, dim] = values
    return codes


def test_an_onnx_encoder_alone_gives_codes_and_no_decoder(onnx, tmp_path, workspace):
    enc, _, W, _, _ = graphs(onnx, tmp_path, gaussian=False)
    ck = ll.add_checkpoint("onnx-enc", "digits", onnx_encoder=enc)
    assert not ck.model.stochastic and not ck.model.has_decoder
    assert ll.project("onnx-enc", method="pca").shape == (1797, 2)
    assert "traversals" in ll.capabilities("onnx-enc").missing
    assert json.loads(ck.path.read_text())["files"]["encoder"]["sha256"]
