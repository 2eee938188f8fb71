"""The Map page's colourings and panels: clusters are a colouring before the Clusters page has run, a clicked
point is the map's focus with its neighbours, a selection's bar chart wears the legend's colours, and a dataset's
own vectors get no model's words or latent chart."""

import json

import numpy as np
import pytest

from latentlab.ui import figures
from latentlab.ui.panels import gallery_image, grid_shape, mean_latent_dims
from tests.apptest import map_json, select_on_map, start_dashboard


@pytest.fixture
def digits_map(workspace, monkeypatch):
    return start_dashboard(monkeypatch, "pages/map.py", **{"map-method": "pca"})


def test_cluster_is_a_colouring_before_the_clusters_page_has_run(digits_map):
    at = digits_map
    colour = next(s for s in at.selectbox if s.label == "Colour by")
    assert "cluster" in colour.options
    colour.set_value("cluster").run()
    assert not at.exception
    legend = map_json(at)["legend"]
    assert legend["title"] == "cluster" and len(legend["names"]) == 10  # k-means with one cluster per digit
    assert any("k-means with k = 10" in c.value for c in at.caption)


def test_the_clusters_pages_clustering_colours_the_map_when_there_is_one(digits_map):
    at = digits_map
    at.session_state["ll_clusters"] = {("digits-vae", "digits"): np.arange(1797) % 3}
    next(s for s in at.selectbox if s.label == "Colour by").set_value("cluster").run()
    assert not at.exception
    assert map_json(at)["legend"]["names"] == ["0", "1", "2"]
    assert any("Clusters page" in c.value for c in at.caption)


def test_a_clicked_point_is_the_focus_and_its_neighbours_are_ringed(digits_map):
    at = digits_map
    select_on_map(at, dataset="digits", checkpoint="digits-vae", rows=[7])
    data = map_json(at)
    assert data["focus"] == 7 and len(data["highlight"]) == 8 and 7 not in data["highlight"]
    select_on_map(at, dataset="digits", checkpoint="digits-vae", rows=[7, 9])
    assert map_json(at)["focus"] is None


def test_a_selections_label_bars_wear_the_legends_colours(digits_map):
    at = digits_map
    rows = np.flatnonzero(np.isin(np.arange(1797) % 10, [2, 5]))
    select_on_map(at, dataset="digits", checkpoint="digits-vae", rows=rows)
    legend = map_json(at)
    palette = dict(zip(legend["legend"]["names"], legend["palette"]))
    chart = next(c for c in at.get("plotly_chart") if "mix" in c.proto.spec)
    bar = json.loads(chart.proto.spec)["data"][0]
    assert [palette[x] for x in bar["x"]] == bar["marker"]["color"]


def test_a_datasets_own_vectors_get_no_latent_chart_and_no_model_words(workspace, monkeypatch):
    from latentlab.data import import_dataset
    from latentlab.ui.loaders import clear_listings

    workspace.mkdir(parents=True, exist_ok=True)
    np.save(workspace / "v.npy", np.random.default_rng(0).normal(size=(300, 384)).astype(np.float32))
    import_dataset(workspace / "v.npy", "vectors", kind="embedding")
    clear_listings()
    at = start_dashboard(monkeypatch, "pages/map.py", ll_dataset="vectors", **{"map-method": "pca"})
    assert not any("reconstruction" in c.value for c in at.caption)
    select_on_map(at, dataset="vectors", checkpoint=None, rows=[1, 2, 3])
    assert not any("mean latent" in c.proto.spec for c in at.get("plotly_chart"))


def test_a_wide_latent_chart_draws_the_largest_latents():
    mean = np.zeros(384)
    mean[[5, 100, 300]] = [3.0, -4.0, 2.0]
    dims = mean_latent_dims(mean, most=32)
    assert len(dims) == 32 and {5, 100, 300} <= set(dims) and dims == sorted(dims)
    assert mean_latent_dims(np.ones(10)) == list(range(10))
    fig = figures.latent_bar(mean[dims], "t", dims)
    assert list(fig.data[0].x)[:1] == [f"z{dims[0]}"]


def test_a_gallery_leaves_no_empty_frames():
    assert grid_shape(9, 8) == (2, 5) and grid_shape(24, 8) == (3, 8) and grid_shape(3, 8) == (1, 3)
    items = np.ones((9, 1, 8, 8), np.float32)  # white pictures
    picture = np.asarray(gallery_image(items, 8))
    h, w = picture.shape[:2]
    blank = picture[h // 2 + 2:, w - w // 5 + 2:]  # the cell after the ninth picture
    assert (blank == 255).all()
    # every cell that holds a picture is drawn (white inside dark frames), none is a black hole
    assert (picture < 60).mean() < 0.35
