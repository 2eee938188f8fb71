"""ONNX: LatentLab's models exported and read back, and ONNX files a user brings checked before they run."""

import json
import sys

import numpy as np
import pytest
import torch

import latentlab as ll
from latentlab.core.errors import LatentLabError
from latentlab.models import MODELS
from latentlab.training.trainer import TrainConfig

ITEM = (1, 2, 2)  # the items of the hand-made graphs


@pytest.fixture
def onnx():
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    return pytest.importorskip("onnx")


def _native(ck, ds):
    from latentlab.analysis.embedding import encode_dataset

    return encode_dataset(ck.model, ds, device="cpu")


def _same_gaussian_model(exported, model, x):
    """The exported graphs give ``model``'s means, log-variances and pictures for items ``x``."""
    mean, logvar = exported.encode(x)
    with torch.no_grad():
        post = model.encode(x)
        torch.testing.assert_close(mean, post.mean, rtol=0, atol=1e-5)
        torch.testing.assert_close(logvar, post.logvar, rtol=0, atol=1e-5)
        torch.testing.assert_close(exported.decode(mean), model.decode(post.mean), rtol=0, atol=1e-5)


@pytest.mark.slow  # torch.onnx's dynamo exporter takes a second or two a graph
@pytest.mark.parametrize("name", list(MODELS))
def test_every_registry_model_round_trips_through_onnx(onnx, workspace, tmp_path, tiny_images, name):
    from latentlab.models.onnx_model import OnnxModel

    result = ll.train(tiny_images, name, {"latent_dim": 3, "hidden": "16"}, TrainConfig(steps=4, batch_size=16))
    ck = ll.load_checkpoint(result.name)
    info = ll.export_onnx(result.name, tmp_path / "export")
    written = json.loads((tmp_path / "export" / "export.json").read_text())
    assert written["model"] == name and written["latent_dim"] == 3 and written["gaussian"] == ck.model.stochastic
    assert [o["name"] for o in written["encoder"]["outputs"]] == (["mean", "logvar"] if ck.model.stochastic else ["code"])
    assert written["decoder"]["outputs"][0]["shape"] == ["batch", 1, 8, 8]
    assert info["files"]["encoder.onnx"] == str(tmp_path / "export" / "encoder.onnx")

    model = OnnxModel(tmp_path / "export" / "encoder.onnx", tmp_path / "export" / "decoder.onnx", item_shape=(1, 8, 8))
    assert model.n_encoder_outputs == (2 if ck.model.stochastic else 1) and model.latent_dim == 3 and model.has_decoder
    from latentlab.core.workspace import file_sha256

    assert file_sha256(model.files()["encoder"]) == written["encoder"]["sha256"]
    native = _native(ck, tiny_images)
    out = model.encode(torch.from_numpy(tiny_images.as_float()))
    mean, logvar = out if ck.model.stochastic else (out, None)
    np.testing.assert_allclose(mean.numpy(), native["mean"], rtol=0, atol=1e-5)
    if logvar is not None:
        np.testing.assert_allclose(logvar.numpy(), native["logvar"], rtol=0, atol=1e-5)
    with torch.no_grad():
        images = ck.model.decode(torch.from_numpy(native["mean"])).numpy()
    np.testing.assert_allclose(model.decode(mean).numpy(), images, rtol=0, atol=1e-5)  # the same pictures
    codes = torch.randn(7, 3, generator=torch.Generator().manual_seed(1))  # any code, a batch size never traced
    with torch.no_grad():
        np.testing.assert_allclose(model.decode(codes).numpy(), ck.model.decode(codes).numpy(), rtol=0, atol=1e-5)

    # added back as a model from outside, it embeds and decodes as the original does
    back = ll.add_checkpoint(f"{name}-onnx", tiny_images, onnx_encoder=tmp_path / "export" / "encoder.onnx",
                             onnx_decoder=tmp_path / "export" / "decoder.onnx")
    emb, own = ll.embed(back, tiny_images), ll.embed(result.name, tiny_images)
    np.testing.assert_allclose(emb.mean, own.mean, rtol=0, atol=1e-5)
    assert (emb.logvar is None) == (own.logvar is None)
    if own.logvar is not None:
        np.testing.assert_allclose(emb.logvar, own.logvar, rtol=0, atol=1e-5)
    with torch.no_grad():
        np.testing.assert_allclose(back.model.decode(codes).numpy(), ck.model.decode(codes).numpy(), rtol=0, atol=1e-5)


@pytest.mark.slow
def test_a_shipped_conv_model_round_trips_and_the_cli_writes_the_folder(onnx, workspace, tmp_path, capsys):
    from latentlab.cli import main
    from latentlab.models.onnx_model import OnnxModel

    assert main(["export", "shapes-beta-vae", "--onnx", str(tmp_path / "out"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["preprocessing"]["stored_dtype"] == "bool" and info["preprocessing"]["scale"] == 1.0
    assert "probabilities" in info["decoder"]["output_meaning"]
    model = OnnxModel(tmp_path / "out" / "encoder.onnx", tmp_path / "out" / "decoder.onnx", (1, 64, 64))
    ck = ll.load_checkpoint("shapes-beta-vae")
    x = (torch.rand(5, 1, 64, 64, generator=torch.Generator().manual_seed(0)) > 0.7).float()
    _same_gaussian_model(model, ck.model, x)
    # the folder is never written over, and a failure is one line with exit status 2
    assert main(["export", "shapes-beta-vae", "--onnx", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert "already exists and is not empty" in err and len(err.splitlines()) == 1


def test_a_failed_export_leaves_nothing_behind(onnx, workspace, tmp_path, tiny_table, monkeypatch):
    from latentlab.checkpoints import onnx_export

    result = ll.train(tiny_table, "vae", {"latent_dim": 2, "hidden": "8"}, TrainConfig(steps=2, batch_size=16))
    real = onnx_export._export_graph

    def fail_on_decoder(module, example, path, *args):
        if path.name == "decoder.onnx":
            raise LatentLabError("The decoder of 'vae' cannot be expressed in ONNX (test).")
        return real(module, example, path, *args)

    monkeypatch.setattr(onnx_export, "_export_graph", fail_on_decoder)
    (tmp_path / "parent").mkdir()
    with pytest.raises(LatentLabError, match="cannot be expressed in ONNX"):
        ll.export_onnx(result.name, tmp_path / "parent" / "out")
    assert list((tmp_path / "parent").iterdir()) == []  # neither the folder nor its temporary


def test_without_the_extra_one_sentence_says_what_to_install(workspace, tmp_path, tiny_table, monkeypatch):
    result = ll.train(tiny_table, "ae", {"latent_dim": 2, "hidden": "8"}, TrainConfig(steps=1, batch_size=16))
    monkeypatch.setitem(sys.modules, "onnxscript", None)
    with pytest.raises(LatentLabError, match=r"pip install 'latentlab\[onnx\]'"):
        ll.export_onnx(result.name, tmp_path / "out")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    from latentlab.models.onnx_model import OnnxModel

    with pytest.raises(LatentLabError, match=r"pip install 'latentlab\[onnx\]'"):
        OnnxModel(tmp_path / "encoder.onnx")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_models_brought_from_outside_or_trained_by_their_class_export_too(onnx, workspace, tmp_path, monkeypatch,
                                                                          capsys):
    from latentlab.cli import main
    from latentlab.models.onnx_model import OnnxModel
    from tests import foreign_modules as fm

    monkeypatch.syspath_prepend(str(fm.install_distribution(tmp_path / "site")))
    digits = ll.load_dataset("digits")
    x = torch.from_numpy(digits.as_float(np.arange(50)))

    # a class trained here by its entry-point name: the graphs give its codes and its pictures
    trained = ll.train("digits", fm.ENTRY_POINT, {"latent": 2, "hidden": 12}, TrainConfig(steps=5, batch_size=32),
                       name="mine")
    ck = ll.load_checkpoint(trained.name)
    info = ll.export_onnx("mine", tmp_path / "mine")
    assert info["model"] == fm.ENTRY_POINT and info["source"]["kind"] == "entry-point" and info["gaussian"]
    assert "decode(z)" in info["decoder"]["output_meaning"]
    model = OnnxModel(tmp_path / "mine" / "encoder.onnx", tmp_path / "mine" / "decoder.onnx", item_shape=(1, 8, 8))
    _same_gaussian_model(model, ck.model, x)

    # a class path with its own preprocessing: inside the graphs, so they take LatentLab's items as they are
    flat = fm.save_weights(fm.built("FlatAE"), tmp_path / "flat.safetensors")
    prep = {"scale": 255.0, "mean": [127.5], "std": [64.0], "input_shape": [64]}
    flat_ck = ll.add_checkpoint("flat", "digits", class_path=f"{fm.MODULE}:FlatAE", weights=flat, preprocessing=prep)
    info = ll.export_onnx("flat", tmp_path / "flat")
    assert "own preprocessing" in info["preprocessing"]["how"] and info["source"]["kind"] == "class"
    model = OnnxModel(tmp_path / "flat" / "encoder.onnx", tmp_path / "flat" / "decoder.onnx", item_shape=(1, 8, 8))
    np.testing.assert_allclose(model.encode(x).numpy(), ll.embed("flat").mean[:50], rtol=0, atol=1e-4)
    with torch.no_grad():
        codes = flat_ck.model.encode(x).mean
        torch.testing.assert_close(model.decode(codes), flat_ck.model.decode(codes), rtol=0, atol=1e-5)

    # an encoder alone: encoder.onnx and export.json only, and the command line says so
    ll.add_checkpoint("enc-only", "digits", class_path=f"{fm.MODULE}:NormalEncoder",
                      weights=fm.save_weights(fm.built("NormalEncoder"), tmp_path / "enc.safetensors"))
    assert main(["export", "enc-only", "--onnx", str(tmp_path / "enc")]) == 0
    assert "(the model has no decoder)" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "enc").iterdir()) == ["encoder.onnx", "export.json"]
    written = json.loads((tmp_path / "enc" / "export.json").read_text())
    assert written["decoder"] is None and any("no decode(z)" in what for what in written["not_exported"])
    back = ll.add_checkpoint("enc-back", "digits", onnx_encoder=tmp_path / "enc" / "encoder.onnx")
    np.testing.assert_allclose(ll.embed(back).logvar, ll.embed("enc-only").logvar, rtol=0, atol=1e-4)

    # a model that is ONNX already is refused in one sentence, and nothing is written
    assert main(["export", "enc-back", "--onnx", str(tmp_path / "again")]) == 2
    err = capsys.readouterr().err.strip()
    assert "already an ONNX model" in err and len(err.splitlines()) == 1 and not (tmp_path / "again").exists()


# ------------------------------------------------------------------ files a user brings


def _graph(onnx, nodes, inputs, outputs, initializers=(), opsets=(("", 17),), functions=()):
    from onnx import helper

    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets],
                             functions=list(functions), ir_version=8)


def _encoder(onnx, *, dtype=None, batch="N", width=3, post=None, weight_name="W"):
    """items (batch, 1, 2, 2) -> Flatten -> MatMul (4, width) [-> ``post`` op] -> code."""
    from onnx import TensorProto, helper, numpy_helper

    dtype = TensorProto.FLOAT if dtype is None else dtype
    x = helper.make_tensor_value_info("items", dtype, [batch, *ITEM])
    y = helper.make_tensor_value_info("code", TensorProto.FLOAT, [batch, width])
    w = numpy_helper.from_array(np.arange(4 * width, dtype=np.float32).reshape(4, width) / 10, weight_name)
    nodes = [helper.make_node("Flatten", ["items"], ["flat"]),
             helper.make_node("MatMul", ["flat", weight_name], ["pre" if post else "code"])]
    if post:
        nodes.append(helper.make_node(post, ["pre"], ["code"]))
    return _graph(onnx, nodes, [x], [y], [w])


def _decoder(onnx, out_shape=(4,), width=3):
    """codes (N, width) -> MatMul -> Reshape to ``out_shape`` -> items."""
    from onnx import TensorProto, helper, numpy_helper

    z = helper.make_tensor_value_info("code", TensorProto.FLOAT, ["N", width])
    y = helper.make_tensor_value_info("items", TensorProto.FLOAT, ["N", *out_shape])
    w = numpy_helper.from_array(np.ones((width, int(np.prod(out_shape))), np.float32), "V")
    shape = numpy_helper.from_array(np.array([-1, *out_shape], np.int64), "shape")
    nodes = [helper.make_node("MatMul", ["code", "V"], ["flat"]), helper.make_node("Reshape", ["flat", "shape"], ["items"])]
    return _graph(onnx, nodes, [z], [y], [w, shape])


def _save(onnx, model, path):
    onnx.save_model(model, str(path))
    return path


def test_a_hand_made_encoder_and_decoder_run_and_a_fixed_batch_graph_runs_in_its_batches(onnx, tmp_path):
    from latentlab.models.onnx_model import OnnxModel

    model = OnnxModel(_save(onnx, _encoder(onnx, batch=2), tmp_path / "e.onnx"),
                      _save(onnx, _decoder(onnx, ITEM), tmp_path / "d.onnx"), item_shape=ITEM)
    assert (model.latent_dim, model.n_encoder_outputs, model.item_shape) == (3, 1, ITEM)
    x = torch.rand(5, *ITEM)  # 5 items through a graph made for batches of 2
    expected = x.flatten(1) @ (torch.arange(12, dtype=torch.float32).reshape(4, 3) / 10)
    torch.testing.assert_close(model.encode(x), expected)
    assert model.decode(torch.ones(3, 3)).shape == (3, *ITEM)
    assert set(model.files()) == {"encoder", "decoder"}


def test_a_truncated_file_is_refused(onnx, tmp_path):
    from latentlab.models.onnx_model import OnnxModel

    content = _encoder(onnx).SerializeToString()
    for cut in (len(content) // 2, len(content) - 7):
        (tmp_path / "e.onnx").write_bytes(content[:cut])
        with pytest.raises(LatentLabError, match="e.onnx: .*(truncated|not a valid model)"):
            OnnxModel(tmp_path / "e.onnx", item_shape=ITEM)


def test_a_file_over_the_size_limit_is_refused(onnx, tmp_path, monkeypatch):
    from latentlab.models.onnx_model import OnnxModel

    path = _save(onnx, _encoder(onnx), tmp_path / "e.onnx")
    monkeypatch.setenv("LATENTLAB_LIMIT_MAX_ONNX_BYTES", "100")
    with pytest.raises(LatentLabError, match="over the ONNX model limit"):
        OnnxModel(path, item_shape=ITEM)


def test_a_custom_domain_node_is_refused_and_a_local_function_is_not(onnx, tmp_path):
    from onnx import TensorProto, helper

    from latentlab.models.onnx_model import OnnxModel

    model = _encoder(onnx)
    model.graph.node.append(helper.make_node("Pwn", ["code"], ["extra"], domain="com.example.ops"))
    model.graph.output.append(helper.make_tensor_value_info("extra", TensorProto.FLOAT, ["N", 3]))
    model.opset_import.append(helper.make_opsetid("com.example.ops", 1))
    with pytest.raises(LatentLabError, match="custom domain 'com.example.ops'"):
        OnnxModel(_save(onnx, model, tmp_path / "custom.onnx"), item_shape=ITEM)
    # a function defined inside the file, of standard operators, is data too
    body = helper.make_function("local.fn", "Double", ["a"], ["b"], [helper.make_node("Add", ["a", "a"], ["b"])],
                                [helper.make_opsetid("", 17)])
    model = _encoder(onnx, post=None)
    model.graph.node[-1].output[0] = "pre"
    model.graph.node.append(helper.make_node("Double", ["pre"], ["code"], domain="local.fn"))
    model.functions.append(body)
    model.opset_import.append(helper.make_opsetid("local.fn", 1))
    ok = OnnxModel(_save(onnx, model, tmp_path / "local.onnx"), item_shape=ITEM)
    assert ok.latent_dim == 3


def _external(model, location):
    """Point the encoder's weight at external data in ``location``."""
    from onnx import TensorProto

    tensor = model.graph.initializer[0]
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "48")):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    return model


@pytest.mark.parametrize("where", ["../x.bin", "/etc/hostname", "sub/x.bin", "link.bin"])
def test_external_data_outside_the_models_folder_is_refused(onnx, tmp_path, where):
    from latentlab.models.onnx_model import OnnxModel

    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    data = np.zeros(12, np.float32).tobytes()
    for target in (tmp_path / "x.bin", folder / "sub" / "x.bin"):
        target.write_bytes(data)
    (folder / "link.bin").symlink_to(tmp_path / "x.bin")  # beside the model by name, outside it in fact
    path = _save(onnx, _external(_encoder(onnx), where), folder / "e.onnx")
    with pytest.raises(LatentLabError, match="leaves the model's folder|not a file beside the model"):
        OnnxModel(path, item_shape=ITEM)


def test_external_data_beside_the_model_is_read_and_listed_for_hashing(onnx, tmp_path):
    from latentlab.models.onnx_model import OnnxModel

    onnx.save_model(_encoder(onnx), str(tmp_path / "e.onnx"), save_as_external_data=True, location="e.weights",
                    size_threshold=0)
    model = OnnxModel(tmp_path / "e.onnx", item_shape=ITEM)
    assert model.files() == {"encoder": tmp_path / "e.onnx", "encoder:e.weights": tmp_path / "e.weights"}
    x = torch.rand(4, *ITEM)
    torch.testing.assert_close(model.encode(x), x.flatten(1) @ (torch.arange(12, dtype=torch.float32).reshape(4, 3) / 10))
    (tmp_path / "e.weights").write_bytes(b"\0" * 8)  # shorter than the tensor it should hold
    with pytest.raises(LatentLabError, match="past the end"):
        OnnxModel(tmp_path / "e.onnx", item_shape=ITEM)


def test_inputs_of_the_wrong_dtype_or_shape_are_refused_saying_what_was_expected(onnx, tmp_path):
    from onnx import TensorProto

    from latentlab.models.onnx_model import OnnxModel

    doubles = _save(onnx, _encoder(onnx, dtype=TensorProto.DOUBLE), tmp_path / "d.onnx")
    with pytest.raises(LatentLabError, match=r"takes float64 tensors, but LatentLab feeds float32 items of shape "
                                             r"\(batch, 1, 2, 2\)"):
        OnnxModel(doubles, item_shape=ITEM)
    good = _save(onnx, _encoder(onnx), tmp_path / "e.onnx")
    with pytest.raises(LatentLabError, match=r"has shape \(batch, 1, 2, 2\), but LatentLab feeds float32 items of shape "
                                             r"\(batch, 3, 8, 8\)"):
        OnnxModel(good, item_shape=(3, 8, 8))
    with pytest.raises(LatentLabError, match=r"input 'code' has shape \(batch, 2\), but LatentLab feeds float32 codes "
                                             r"of shape \(batch, 3\)"):
        OnnxModel(good, _save(onnx, _decoder(onnx, ITEM, width=2), tmp_path / "narrow.onnx"), item_shape=ITEM)


def test_a_decoder_whose_output_is_not_the_item_shape_is_refused(onnx, tmp_path):
    from latentlab.models.onnx_model import OnnxModel

    encoder = _save(onnx, _encoder(onnx), tmp_path / "e.onnx")
    flat = _save(onnx, _decoder(onnx, (4,)), tmp_path / "flat.onnx")
    with pytest.raises(LatentLabError, match=r"decoder gives items of shape \(batch, 4\), but the dataset's items have "
                                             r"shape \(batch, 1, 2, 2\)"):
        OnnxModel(encoder, flat, item_shape=ITEM)


def test_non_finite_outputs_are_refused_when_built_and_on_any_later_batch(onnx, tmp_path):
    from latentlab.models.onnx_model import OnnxModel

    # Log of the codes: the probe's items give positive codes, all-zero items give log(0) = -inf
    model = OnnxModel(_save(onnx, _encoder(onnx, post="Log"), tmp_path / "log.onnx"), item_shape=ITEM)
    assert torch.isfinite(model.encode(torch.rand(3, *ITEM) + 0.1)).all()
    with pytest.raises(LatentLabError, match="log.onnx: the encoder gave NaN or infinite values"):
        model.encode(torch.zeros(3, *ITEM))
    from onnx import helper, numpy_helper

    nan = _encoder(onnx)  # code = (items @ W) * NaN: not finite on any batch
    nan.graph.node[-1].output[0] = "pre"
    nan.graph.initializer.append(numpy_helper.from_array(np.array([np.nan], np.float32), "nan"))
    nan.graph.node.append(helper.make_node("Mul", ["pre", "nan"], ["code"]))
    with pytest.raises(LatentLabError, match="NaN or infinite"):
        OnnxModel(_save(onnx, nan, tmp_path / "nan.onnx"), item_shape=ITEM)


def test_an_encoder_with_three_outputs_or_non_flat_codes_is_refused(onnx, tmp_path):
    from onnx import TensorProto, helper

    from latentlab.models.onnx_model import OnnxModel

    model = _encoder(onnx)
    for extra in ("a", "b"):
        model.graph.node.append(helper.make_node("Identity", ["code"], [extra]))
        model.graph.output.append(helper.make_tensor_value_info(extra, TensorProto.FLOAT, ["N", 3]))
    with pytest.raises(LatentLabError, match="has 3 outputs, but LatentLab reads 1 or 2"):
        OnnxModel(_save(onnx, model, tmp_path / "three.onnx"), item_shape=ITEM)
    x = helper.make_tensor_value_info("items", TensorProto.FLOAT, ["N", *ITEM])
    y = helper.make_tensor_value_info("code", TensorProto.FLOAT, ["N", *ITEM])
    same = _graph(onnx, [helper.make_node("Identity", ["items"], ["code"])], [x], [y])
    with pytest.raises(LatentLabError, match=r"outputs of shape \(2, 1, 2, 2\).*flat codes"):
        OnnxModel(_save(onnx, same, tmp_path / "same.onnx"), item_shape=ITEM)
