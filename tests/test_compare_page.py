"""AppTest of the Compare page: the demo VAE against the demo sparse autoencoder on digits, their aligned maps,
one selection on both with both reconstructions, the scores, correlations, matched traversals and metrics,
and a pair preselected by another page."""

import json

import numpy as np
import pyarrow as pa
import pytest

from latentlab.ui import compare_view
from tests.apptest import image_captions, metric, start_dashboard

PCA = {"method": "pca", "dims": 2, "params": {}, "seed": 0}  # quick maps; the Map page's UMAP is tested there


@pytest.fixture
def app(workspace, monkeypatch):
    return start_dashboard(monkeypatch, "pages/compare.py", ll_map=PCA, **{compare_view.PICK_B: "digits-topk-sae"})


def maps(at) -> list[dict]:
    """The data each WebGL map on the page got in the last run, Arrow tables decoded (not the router's preload)."""
    out = []
    for element in at.get("bidi_component"):
        mixed = element.proto.mixed
        data = json.loads(mixed.json)
        if element.proto.component_name != "latentlab.map" or "preload" in data:
            continue
        for key, value in list(data.items()):
            if isinstance(value, dict) and "__streamlit_arrow_ref__" in value:
                data[key] = pa.ipc.open_stream(mixed.arrow_blobs[value["__streamlit_arrow_ref__"]].data).read_all()
        out.append(data)
    return out


def test_the_sidebars_checkpoint_is_compared_with_another_on_its_dataset(app):
    assert app.title[0].value == "Compare"
    picks = {s.label: s.value for s in app.selectbox}
    assert picks["Latent space A"] == "digits-vae" and picks["Latent space B"] == "digits-topk-sae"
    assert 0.2 < float(metric(app, "linear CKA")) < 0.9
    assert 0.2 < float(metric(app, "relative representations")) < 0.9
    assert 0.0 < float(metric(app, "kNN agreement (k=10)")) < 0.9
    a, b = maps(app)
    assert a["points"].num_rows == b["points"].num_rows == 1797
    assert a["selected"]["n"] == b["selected"]["n"] == 0
    assert a["colourKey"] == b["colourKey"]  # one colouring for both maps
    assert a["pointsKey"] != b["pointsKey"]
    assert any("Procrustes; residual" in c.value for c in app.caption)
    best = app.dataframe[0].value
    assert len(best) == 8 and list(best.columns) == ["latent of digits-vae", "best match in digits-topk-sae", "|r|"]
    assert any("|Pearson r| of the latents" in c.proto.spec for c in app.get("plotly_chart"))
    captions = image_captions(app)
    first = best.index[0]  # the table and the traversal start with the most active latent of A
    match = best["best match in digits-topk-sae"][first]
    assert f"digits-vae: z{first}, -3 … +3 prior units" in captions
    assert f"digits-topk-sae: {match}, -3 … +3 prior units" in captions
    table = app.dataframe[1].value
    assert list(table.columns) == ["score", "digits-vae", "digits-topk-sae", "B − A"]
    row = table.set_index("score").loc["recon_error_mean"]
    assert row["B − A"] == pytest.approx(row["digits-topk-sae"] - row["digits-vae"])


def test_b_defaults_to_another_checkpoint_trained_on_the_dataset(workspace, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/compare.py", ll_map=PCA)
    picks = {s.label: s.value for s in at.selectbox}
    assert picks["Latent space A"] == "digits-vae"
    assert picks["Latent space B"] != "digits-vae" and picks["Latent space B"].startswith("digits-")


def test_a_traversal_follows_the_picked_latent_and_its_best_match(app):
    best = app.dataframe[0].value
    app.selectbox(key="cmp-latent").set_value(3).run()
    assert not app.exception
    match = best["best match in digits-topk-sae"][3]
    captions = image_captions(app)
    assert "digits-vae: z3, -3 … +3 prior units" in captions and f"digits-topk-sae: {match}, -3 … +3 prior units" in captions


def test_a_selection_shows_on_both_maps_with_both_reconstructions(app):
    rows = np.array([2, 40, 41, 300, 1700])
    app.session_state[compare_view.SELECTION] = {
        "pair": compare_view.pair_key("digits", "digits-vae", "digits-topk-sae", "pca", 0), "rows": rows}
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    a, b = maps(app)
    assert a["selected"] == b["selected"] and a["selected"]["n"] == 5
    assert any(s.value == "Selection: 5 points" for s in app.subheader)
    assert {"inputs (all 5)", "digits-vae", "digits-topk-sae"} <= set(image_captions(app))
    app.session_state[compare_view.PICK_B] = "digits-vae"  # another pair starts with no selection
    app.session_state[compare_view.PICK_A] = "digits-topk-sae"
    app.session_state["ll_checkpoint"] = "digits-topk-sae"
    app.run()
    assert not app.exception
    assert maps(app)[0]["selected"]["n"] == 0


def test_a_pair_set_by_another_page_is_preselected(app):
    for key, value in {"ll_dataset": "digits", "ll_checkpoint": "digits-topk-sae", compare_view.PICK_A: "digits-topk-sae",
                       compare_view.PICK_B: "digits-vae"}.items():
        app.session_state[key] = value
    app.run()
    assert not app.exception
    picks = {s.label: s.value for s in app.selectbox}
    assert picks["Latent space A"] == "digits-topk-sae" and picks["Latent space B"] == "digits-vae"
    assert picks["Checkpoint"] == "digits-topk-sae"


def test_a_finished_sweep_run_opens_the_compare_page_with_another_run(app):
    from latentlab.jobs import store

    for name in ("digits-vae", "digits-topk-sae"):  # two finished runs of one sweep (the demo checkpoints)
        job = store.create("train", {"dataset": "digits", "model": "vae", "name": name}, name=f"sweep-x/{name}",
                           sweep="sweep-x")
        store.update(job, state="succeeded")
    app.switch_page("pages/train.py")
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    app.session_state["tr-watch"] = job  # the digits-topk-sae run
    app.run()
    assert app.selectbox(key=f"tr-compare-{job}-a").value == "digits-topk-sae"
    assert app.selectbox(key=f"tr-compare-{job}-b").value == "digits-vae"
    app.button(key=f"tr-compare-{job}-go").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "Compare"
    picks = {s.label: s.value for s in app.selectbox}
    assert picks["Latent space A"] == "digits-topk-sae" and picks["Latent space B"] == "digits-vae"


def vectors_app(monkeypatch, **state):
    """The Compare page after saving the demo VAE's and sparse autoencoder's codes of digits, an imported set of
    vectors of other items (fewer rows) beside them."""
    from latentlab.analysis.codes_datasets import save_codes_dataset
    from latentlab.data import Dataset
    from latentlab.data.registry import save_dataset

    save_codes_dataset("digits-vae")
    save_codes_dataset("digits-topk-sae")
    save_dataset(Dataset("other-vectors", np.random.default_rng(0).normal(size=(100, 8)).astype(np.float32),
                         "embedding"))
    return start_dashboard(monkeypatch, "pages/compare.py", ll_map=PCA, **state)


def test_a_checkpoint_is_compared_with_its_own_codes(workspace, monkeypatch):
    at = vectors_app(monkeypatch, **{compare_view.PICK_B: compare_view.vectors_choice("digits-vae-codes")})
    picks = {s.label: s for s in at.selectbox}
    assert picks["Latent space A"].value == "digits-vae"
    assert picks["Latent space B"].value == "digits-vae-codes · vectors"
    offered = set(picks["Latent space B"].options)
    assert "digits-topk-sae-codes · vectors" in offered and "other-vectors · vectors" not in offered
    for label in ("linear CKA", "relative representations", "kNN agreement (k=10)"):
        assert float(metric(at, label)) == pytest.approx(1.0, abs=1e-3)
    a, b = maps(at)
    assert a["points"].num_rows == b["points"].num_rows == 1797
    captions = [c.value for c in at.caption]
    assert "digits-vae-codes is a dataset of vectors with no model: a traversal of z5 is not shown for it." in captions
    assert "digits-vae-codes is a dataset of vectors with no model: diagnostics and metrics are not shown for it." \
        in captions
    assert [c for c in image_captions(at) if ": z" in c] == ["digits-vae: z5, -3 … +3 prior units"]  # the most active
    assert list(at.dataframe[1].value.columns) == ["score", "digits-vae"]  # the model's metrics alone
    at.session_state[compare_view.SELECTION] = {
        "pair": compare_view.pair_key("digits", "digits-vae", "digits-vae-codes · vectors", "pca", 0),
        "rows": np.array([1, 2, 3])}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert {"inputs (all 3)", "digits-vae"} <= set(image_captions(at))
    assert "digits-vae-codes is a dataset of vectors with no model: reconstructions are not shown for it." in \
        [c.value for c in at.caption]


def test_two_datasets_of_vectors_of_the_same_items(workspace, monkeypatch):
    import latentlab as ll
    from latentlab.ui import loaders

    loaded = []
    real = loaders.dataset
    monkeypatch.setattr(loaders, "dataset", lambda name: loaded.append(name) or real(name))
    at = vectors_app(monkeypatch, ll_dataset="digits-vae-codes", ll_checkpoint="(none: the vectors as they are)",
                     **{compare_view.PICK_B: compare_view.vectors_choice("digits-topk-sae-codes")})
    picks = {s.label: s.value for s in at.selectbox}
    assert picks["Latent space A"] == "digits-vae-codes · vectors"  # the sidebar's dataset
    assert picks["Latent space B"] == "digits-topk-sae-codes · vectors"
    # The picker offers the other datasets of vectors from their manifests: only the two compared ones are read.
    assert set(loaded) <= {"digits", "digits-vae-codes", "digits-topk-sae-codes"}
    expected = ll.compare("digits-vae", "digits-topk-sae")  # the two models' codes: the two models' scores
    assert float(metric(at, "linear CKA")) == pytest.approx(expected.cka, abs=1e-3)
    a, b = maps(at)
    assert a["points"].num_rows == b["points"].num_rows == 1797
    assert list(at.dataframe[0].value.columns) == ["latent of digits-vae-codes", "best match in digits-topk-sae-codes",
                                                   "|r|"]
    assert any("|Pearson r| of the latents" in c.proto.spec for c in at.get("plotly_chart"))
    captions = [c.value for c in at.caption]
    assert "Neither side has a model to decode a traversal with." in captions
    assert not [c for c in image_captions(at) if ": z" in c]
    at.session_state[compare_view.SELECTION] = {
        "pair": compare_view.pair_key("digits-vae-codes", "digits-vae-codes · vectors", "digits-topk-sae-codes · vectors",
                                      "pca", 0), "rows": np.array([5, 6])}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [m["selected"]["n"] for m in maps(at)] == [2, 2]
    assert "inputs (all 2)" in image_captions(at)  # the codes' own items, the digits
