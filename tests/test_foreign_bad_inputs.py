"""Every bad input to ``latentlab checkpoints add`` is one sentence on stderr, exit 2, and registers nothing."""

import json

import pytest
import torch
from safetensors.torch import save_file

from latentlab.cli import main
from tests import foreign_modules as fm


@pytest.fixture
def files(tmp_path, monkeypatch, workspace):
    monkeypatch.syspath_prepend(str(fm.write_module(tmp_path / "src")))
    fm.save_weights(fm.built("PlainVAE"), tmp_path / "vae.safetensors")
    fm.save_weights(fm.built("GrowingEncoder"), tmp_path / "one.safetensors")  # {"w": (1,)}
    wrong = tmp_path / "wrong.safetensors"
    state = fm.built("PlainVAE").state_dict()
    state["enc.3.weight"] = torch.zeros(5, 16)
    del state["dec.2.bias"]
    state["extra.weight"] = torch.zeros(2)
    save_file(state, str(wrong))
    (tmp_path / "vae.pt").write_bytes(b"\x80\x04K\x01.")  # a pickle
    (tmp_path / "broken.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
    (tmp_path / "bad.json").write_text("[1, 2]")
    (tmp_path / "typo.json").write_text(json.dumps({"latent": 3, "hiden": 4}))
    return tmp_path


def cases(t):
    cls = lambda name: f"{fm.MODULE}:{name}"  # noqa: E731
    vae = ["--class", cls("PlainVAE"), "--weights", str(t / "vae.safetensors")]
    return [
        (["--class", "no_such_package.models:VAE", "--weights", str(t / "vae.safetensors")],
         "module 'no_such_package.models' does not import"),
        (["--class", cls("Missing"), "--weights", str(t / "vae.safetensors")], f"module '{fm.MODULE}' has no 'Missing'"),
        (["--class", cls("NoEncode"), "--weights", str(t / "one.safetensors")], "NoEncode has no encode(x) method"),
        (["--class", "json:JSONDecoder", "--weights", str(t / "vae.safetensors")], "is not a torch.nn.Module class"),
        (["--class", "not a path", "--weights", str(t / "vae.safetensors")], "neither an installed model class"),
        (["--class", cls("PlainVAE"), "--weights", str(t / "vae.pt")],
         'pickle file is refused because loading it can run code; load it in your own code and save the weights '
         'with safetensors: safetensors.torch.save_file(model.state_dict(), "w.safetensors")'),
        (["--class", cls("PlainVAE"), "--weights", str(t / "wrong.safetensors")],
         "does not fit the built PlainVAE: missing 'dec.2.bias'; unexpected 'extra.weight'; 'enc.3.weight' is [5, 16], "
         "the module needs [6, 16]"),
        (["--class", cls("PlainVAE"), "--weights", str(t / "broken.safetensors")], "not a readable safetensors file"),
        (["--class", cls("PlainVAE")], f"--class {cls('PlainVAE')} needs --weights (a .safetensors file"),
        ([*vae, "--config", str(t / "bad.json")], "must be a JSON object of keyword arguments"),
        ([*vae, "--config", str(t / "typo.json")], "PlainVAE(**config) failed: "),
        (["--class", cls("GrowingEncoder"), "--weights", str(t / "one.safetensors")],
         "gave codes of width 3 where it first gave 8; the encoder's output width must not change between batches"),
        (["--class", cls("NanEncoder"), "--weights", str(t / "one.safetensors")], "gave codes that are NaN or infinite"),
        (["--class", cls("WrongDecoder"), "--weights", str(t / "one.safetensors")],
         "decode(z) returned [8, 5, 5] for 8 codes, not items of shape [1, 8, 8]"),
        ([*vae, "--input-shape", "3,3"], "input_shape [3, 3] must be positive integers holding the 64 values"),
        ([*vae, "--std", "0"], "every std must be positive"),
        ([*vae, "--mean", "1,2"], "mean must be one number or 1 (one per channel)"),
        (["--saelens", str(t)], f"--saelens folder {t} lacks cfg.json or sae_weights.safetensors"),
    ]


@pytest.mark.parametrize("case", range(18))
def test_bad_input_is_one_sentence_and_registers_nothing(files, capsys, case, workspace):
    argv, needle = cases(files)[case]
    code = main(["checkpoints", "add", "bad", "--dataset", "digits", *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("latentlab: error: ") and err.count("\n") == 1, err
    assert needle in err, err
    folder = workspace / "checkpoints"
    assert not folder.exists() or not any(p.name.startswith("bad") for p in folder.iterdir())


def test_the_cases_cover_the_list():
    assert len(cases(__import__("pathlib").Path("/x"))) == 18


def test_a_name_in_use_and_two_sources_are_refused(files, capsys):
    argv = ["--class", f"{fm.MODULE}:PlainVAE", "--weights", str(files / "vae.safetensors"), "--dataset", "digits"]
    assert main(["checkpoints", "add", "taken", *argv]) == 0
    capsys.readouterr()
    assert main(["checkpoints", "add", "taken", *argv]) == 2
    assert "A checkpoint named 'taken' already exists" in capsys.readouterr().err
    import latentlab as ll

    with pytest.raises(ll.LatentLabError, match="exactly one of `class_path` .* `onnx_encoder` or `saelens`"):
        ll.add_checkpoint("two", "digits", class_path=f"{fm.MODULE}:PlainVAE", saelens=str(files))
    with pytest.raises(ll.LatentLabError, match="a model trained elsewhere is added with 'latentlab checkpoints add'"):
        ll.load_checkpoint("taken") and __import__("latentlab.checkpoints.format", fromlist=["x"]).import_checkpoint(
            files / "home" / "checkpoints" / "taken.json", name="copy")
