"""AppTest of the Features page: the demo sparse autoencoder's features, a dense model's, codes of another
checkpoint shown on their original items, and the hand-off to the Map's colouring."""

import pytest

from tests.apptest import image_captions, metric, open_page, start_dashboard

@pytest.fixture
def app(workspace, monkeypatch):
    return open_page(start_dashboard(monkeypatch), "pages/features.py")


def test_a_dense_model_is_explained_and_its_sparse_neighbour_offered(app):
    assert app.title[0].value == "Features"
    assert metric(app, "Features") == "8" and metric(app, "Items") == "1,797"
    assert any("These codes are dense" in i.value for i in app.info)
    assert not any(c.proto.spec and "Feature density" in c.proto.spec for c in app.get("plotly_chart"))
    assert any(c.startswith("top-activating items of z") for c in image_captions(app))  # still shown
    next(b for b in app.button if b.label == "Show the sparse autoencoder digits-topk-sae").click().run()
    assert not app.exception
    assert next(s for s in app.sidebar.selectbox if s.label == "Checkpoint").value == "digits-topk-sae"


def test_the_demo_sae_shows_densities_dead_features_and_top_activating_digits(app):
    app.session_state["ll_checkpoint"] = "digits-topk-sae"
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert metric(app, "Features") == "512" and metric(app, "Features per item") == "8"
    assert int(metric(app, "Dead on this data")) < 26  # under 5% of the dictionary
    specs = [c.proto.spec for c in app.get("plotly_chart")]
    assert any("Feature density" in s and "dead" in s for s in specs)
    assert any(": activations where it fires" in s for s in specs)
    grid = next(c for c in image_captions(app) if c.startswith("top-activating items of z"))
    assert "from digits · digit:" in grid
    assert app.selectbox(key="feat-rank").value == "mi"
    table = app.dataframe[0].value
    assert {"density", "best class", "precision", "MI (bits)"} <= set(table.columns)
    assert table["MI (bits)"].is_monotonic_decreasing
    top = grid.split("digit: ")[1].split()
    assert max(top.count(d) for d in set(top)) >= 12  # the most informative feature's top items share a digit
    app.selectbox(key="feat-rank").set_value("rare").run()
    assert not app.exception
    assert app.dataframe[0].value["density"].is_monotonic_increasing


def test_colour_the_map_by_the_chosen_feature(app):
    app.session_state["ll_checkpoint"] = "digits-topk-sae"
    app.run()
    feature = next(s for s in app.selectbox if s.label == "Feature").value
    next(b for b in app.button if b.key == "feat-to-map").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "Map"
    assert next(s for s in app.selectbox if s.label == "Colour by").value == f"z{feature}"


def test_codes_of_another_checkpoint_show_the_original_images(app):
    import latentlab as ll
    from latentlab.training.trainer import TrainConfig
    from latentlab.ui.loaders import clear_listings

    app.text_input(key="feat-codes-name").set_value("vae-codes")
    next(b for b in app.button if b.key == "feat-codes-save").click().run()
    assert not app.exception and any("Saved 'vae-codes'" in s.value for s in app.success)
    ll.train("vae-codes", "topk-sae", {"k": 2}, TrainConfig(steps=30, batch_size=64), name="codes-sae")
    clear_listings()
    app.session_state["ll_dataset"] = "vae-codes"
    app.session_state["ll_checkpoint"] = "codes-sae"
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("holds codes of digits (digits-vae)" in c.value for c in app.caption)
    assert any(c.startswith("top-activating items of z") and "from digits" in c for c in image_captions(app))
    app.session_state["ll_checkpoint"] = "(none: the vectors as they are)"
    app.run()
    assert not app.exception and metric(app, "Features") == "8"  # the codes themselves, no model
