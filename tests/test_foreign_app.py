"""AppTest of models trained elsewhere in the dashboard: the Data page adds one from an installed package's class
with uploaded weights (a pickle refused with the way to convert it), and pages say what an encoder without a
decoder cannot show, and why."""

import json

import pytest

import latentlab as ll
from tests import foreign_modules as fm
from tests.apptest import metric, no_exception, open_page, start_dashboard


@pytest.fixture
def installed(tmp_path, monkeypatch, workspace):
    monkeypatch.syspath_prepend(str(fm.install_distribution(tmp_path / "site")))
    return tmp_path


def _form(at, weights_name, weights, config=None):
    at.radio(key="fm-kind").set_value("An installed model class").run()
    at.text_input(key="fm-name").set_value("browser-vae")
    at.selectbox(key="fm-dataset").set_value("digits")
    assert at.selectbox(key="fm-class").options == [fm.ENTRY_POINT]
    at.file_uploader(key="fm-weights").set_value((weights_name, weights, "application/octet-stream"))
    if config is not None:
        at.file_uploader(key="fm-config").set_value(("c.json", json.dumps(config).encode(), "application/json"))
    at.button(key="fm-add").click().run()  # the files and the click in one run, as a browser sends them
    return no_exception(at)


def test_the_data_page_adds_an_installed_class_with_uploaded_weights_and_refuses_a_pickle(installed, monkeypatch):
    at = open_page(start_dashboard(monkeypatch), "pages/data.py")
    at = _form(at, "model.pt", b"\x80\x04K\x01.")
    assert any("pickle file is refused" in e.value and "safetensors.torch.save_file(model.state_dict()" in e.value
               for e in at.error)
    assert "browser-vae" not in [r["name"] for r in ll.list_checkpoints()]

    weights = fm.save_weights(fm.built("PlainVAE", latent=2), installed / "w.safetensors").read_bytes()
    at = _form(at, "vae.safetensors", weights, {"latent": 2})
    assert not at.error, [e.value for e in at.error]
    assert any("Added 'browser-vae' (plain-vae, 2 latent dimensions, a Gaussian encoder, with a decoder)" in s.value
               for s in at.success)
    assert at.session_state["ll_checkpoint"] == "browser-vae"
    assert json.loads((installed / "home" / "checkpoints" / "browser-vae.json").read_text())["source"]["kind"] == "entry-point"
    at = open_page(at, "pages/traverse.py")  # the new model traverses like ours
    assert not any("No traversals" in i.value for i in at.info)
    assert any(im.proto.imgs for im in at.get("image"))


def test_pages_say_what_an_encoder_alone_cannot_show(installed, monkeypatch):
    weights = fm.save_weights(fm.built("NormalEncoder"), installed / "enc.safetensors")
    ll.add_checkpoint("enc-only", "digits", class_path=f"{fm.MODULE}:NormalEncoder", weights=weights)
    at = start_dashboard(monkeypatch, ll_dataset="digits", ll_checkpoint="enc-only")
    at = open_page(at, "pages/traverse.py")
    assert [i.value for i in at.info] == [f"No traversals for enc-only: {fm.MODULE}:NormalEncoder provides no decode(z)."]
    assert not at.slider
    at = open_page(at, "pages/metrics.py")
    assert metric(at, "recon error (mean)") == "n/a"
    assert any(i.value.startswith("No interventions for enc-only") for i in at.info)
