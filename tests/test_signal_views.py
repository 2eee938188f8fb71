"""Signals on the pages: the hover's curve picture, exports of curves, the selection panel's inputs over their
reconstructions and the Traverse page's small multiples and live curve."""

import io
import json

import numpy as np
import pytest
from PIL import Image

from latentlab.analysis.decoding.curves import curves_frame, traversal_curves
from latentlab.core.curve_render import BACKGROUND, curve_grid, curve_picture
from latentlab.data import load_dataset
from latentlab.data.registry import import_signal_dataset
from tests.apptest import open_page, start_dashboard
from tests.signal_models import trained_signals


def _lit(picture: Image.Image) -> np.ndarray:
    """(H, W) where a curve is drawn (neither background nor the zero line)."""
    a = np.asarray(picture).astype(int)
    return np.abs(a - np.array(BACKGROUND)).sum(-1) > 150


def test_the_curve_picture_puts_a_bump_where_it_is():
    t = np.arange(128)
    for centre in (20, 64, 110):
        item = np.exp(-0.5 * ((t - centre) / 4.0) ** 2)[None]  # (1, 128)
        lit = _lit(curve_picture(item))
        assert lit.shape == (96, 96)
        top_row = np.flatnonzero(lit.any(1))[0]
        peak_col = np.flatnonzero(lit[top_row]).mean()
        assert abs(peak_col / 95 - centre / 127) < 0.04
    grid = curve_grid(np.zeros((2, 3, 2, 50)), cell=(40, 30), pad=2)
    assert grid.size == (3 * 42 + 2, 2 * 32 + 2)


def test_exported_curves_import_back_exactly(workspace, tmp_path):
    ds = load_dataset("signals").subset(np.arange(0, 32_768, 4096), name="eight")
    frame = curves_frame(ds.x, ds, {"item": np.arange(8)})
    assert len(frame) == 8 * 3 * 128 and list(frame.columns) == ["item", "channel", "time", "value"]
    wide = frame.pivot_table(index=["item", "time"], columns="channel", values="value").reset_index()
    wide.to_csv(tmp_path / "curves.csv", index=False)
    back = import_signal_dataset(tmp_path / "curves.csv", "back", id="item", time="time", channels=["Cz", "Pz", "Oz"])
    np.testing.assert_array_equal(back.x, ds.x)
    np.testing.assert_allclose(back.times, ds.times)
    grid = ds.x[:6].reshape(2, 3, 3, 128)
    table = traversal_curves(grid, ds, [4, 7], np.array([[-1, 0, 1], [-2, 0, 2]]))
    assert table.groupby(["dim", "step"]).size().tolist() == [3 * 128] * 6
    assert table.query("dim == 7 and step == 2")["latent_value"].unique().tolist() == [2.0]


@pytest.fixture
def trained(workspace):
    return trained_signals(300, steps=20, batch_size=64, seed=0)


def test_the_item_route_serves_a_signal_as_a_curve(trained):
    from starlette.requests import Request

    from latentlab.ui import item_route

    assert item_route.has_picture(trained)
    version = item_route.base_url("sig", trained).rsplit("/", 1)[1]
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": [],
                       "path_params": {"name": "sig", "version": version, "row": 5}})
    png = item_route.item_png(request)
    assert png.status_code == 200 and png.media_type == "image/png"
    picture = Image.open(io.BytesIO(png.body))
    assert picture.size == (96, 96) and _lit(picture).sum() > 100
    info = json.loads(item_route.item_json(request).body)
    assert info["label"] == str(trained.labels[5]) and info["features"][0][0] == "latency"


def _values(y) -> np.ndarray:
    """A trace's values, whether plotly sent a list or a typed array ({"dtype", "bdata"})."""
    if isinstance(y, dict):
        import base64

        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"])
    return np.asarray(y, dtype=float)


def _specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.spec]


def test_the_selection_panel_draws_inputs_under_their_reconstructions(trained, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/map.py", ll_dataset="sig", ll_checkpoint="sig-vae", **{"map-method": "pca"})
    cfg = at.session_state["ll_map"]
    this_map = json.dumps(["sig-vae", "sig", cfg["method"], cfg["params"], cfg["seed"]], default=str)
    at.session_state["ll_map_selection"] = {"map": this_map, "rows": np.array([3, 8, 21], np.int64)}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    figure = next(f for f in _specs(at) if any("reconstruction" in (t.get("name") or "") for t in f["data"]))
    names = [t["name"] for t in figure["data"]]
    assert names.count("Cz input") == 3 and names.count("Cz reconstruction") == 3  # one pair per item
    inputs = [t for t in figure["data"] if t["name"] == "Pz input"]
    assert np.allclose(_values(inputs[0]["y"]), trained.x[3, 1], atol=1e-6)
    labels = {b.label for b in at.get("download_button")}
    assert {"Download curves (PNG)", "Download values (CSV)"} <= labels


def test_traversals_are_small_multiples_and_the_slider_redraws_the_curve(trained, monkeypatch):
    at = start_dashboard(monkeypatch, ll_dataset="sig", ll_checkpoint="sig-vae")
    open_page(at, "pages/traverse.py")
    specs = _specs(at)
    live = next(f for f in specs if "decoded from the sliders" in json.dumps(f["layout"].get("title", "")))
    grid = next(f for f in specs if f["layout"].get("xaxis27") or len(f["data"]) >= 3 * 3 * 9)
    assert len([t for t in grid["data"] if t["name"].startswith("Cz")]) == len(at.multiselect[0].value) * 9
    before = [_values(t["y"]) for t in live["data"] if t["name"] == "Cz decoded"][0]
    slider = next(s for s in at.slider if s.label.startswith("z"))
    slider.set_value(slider.max).run()
    assert not at.exception
    after = next(f for f in _specs(at) if "decoded from the sliders" in json.dumps(f["layout"].get("title", "")))
    moved = [_values(t["y"]) for t in after["data"] if t["name"] == "Cz decoded"][0]
    assert not np.allclose(before, moved)
    assert {"Download curves (PNG)", "Download values (CSV)"} <= {b.label for b in at.get("download_button")}


def test_the_traverse_pages_curve_download_is_a_labelled_figure(monkeypatch):
    """The PNG a signal traversal downloads names its rows and carries the caption as its title: it is the bare
    grid of curves with a label band on its left and a title and value header above."""
    from latentlab.ui import signal_view

    ds = load_dataset("signals")
    rng = np.random.default_rng(0)
    grid = rng.normal(size=(2, 5, *ds.item_shape)).astype(np.float32)  # (R, K, C, T)
    values = np.tile(np.linspace(-3, 3, 5), (2, 1))
    drawn = {}
    monkeypatch.setattr(signal_view, "downloads", lambda picture, frame, stem, key: drawn.update(picture=picture))
    monkeypatch.setattr(signal_view.st, "plotly_chart", lambda *a, **k: None)
    monkeypatch.setattr(signal_view.st, "caption", lambda *a, **k: None)
    signal_view.show_traversal(ds, grid, [3, 7], values, ["z3", "z7"], [str(k) for k in range(5)], "rows: z3, z7",
                               "traversal", "k")
    figure = drawn["picture"]()  # drawn when the button is clicked
    bare = curve_grid(grid, (120, 72), 3)
    assert figure.width > bare.width + 20 and figure.height > bare.height + 20
    pixels = np.asarray(figure.convert("RGB")).astype(int)
    inset = np.asarray(bare.convert("RGB")).astype(int)
    # the grid sits inside the figure unchanged, below the title and to the right of the row labels
    found = any((pixels[y:y + inset.shape[0], x:x + inset.shape[1]] == inset).all()
                for y in range(0, figure.height - inset.shape[0] + 1) for x in range(0, figure.width - inset.shape[1] + 1)
                if (pixels[y, x] == inset[0, 0]).all() and (pixels[y + 5, x + 5] == inset[5, 5]).all())
    assert found
