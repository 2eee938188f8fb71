"""The notebook widgets' state in the kernel: traits, the selection both ways, the selection's table, recolouring
that leaves the positions alone, the hover's answers, the traversal's sliders and the linked widgets."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("anywidget")
pytest.importorskip("ipywidgets")

from latentlab import lab  # noqa: E402
from latentlab.core.errors import LatentLabError  # noqa: E402
from latentlab.widgets import Compare, Map, Traverse, link  # noqa: E402
from latentlab.widgets.colours import colouring  # noqa: E402
from latentlab.widgets.map_widget import _rows_from_json, _rows_to_json  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def sent(widget) -> list[tuple[dict, list[int]]]:
    """Record what ``widget`` sends to the browser from now on: (message data, buffer sizes)."""
    log = []
    widget.comm.publish_msg = lambda msg_type, data=None, metadata=None, buffers=None, **k: log.append(
        (data, [len(b) for b in buffers or []]))
    return log


@pytest.fixture(scope="module")
def digits_map():
    return Map("digits-vae", method="pca")


@pytest.fixture(scope="module")
def texts():
    rng = np.random.default_rng(0)
    return lab.Dataset(name="notes", x=rng.normal(size=(40, 6)).astype(np.float32), kind="embedding",
                       labels=np.array(["a", "b"] * 20), texts=[f"note number {i} <b>bold</b>" for i in range(40)])


def test_the_map_sends_positions_as_two_uint16_and_one_code_a_point(digits_map):
    n = len(lab.load_dataset("digits"))
    assert digits_map._n == n and len(digits_map._points) == 4 * n and len(digits_map._colour) == n
    q = np.frombuffer(digits_map._points, "<u2").reshape(2, n)
    assert q.min() >= 0 and q.max() <= 65535 and len(np.unique(q[0])) > n // 2  # spread over the square
    assert digits_map.color_by == "label" and digits_map._legend["names"][:3] == ["0", "1", "2"]


def test_the_colours_are_the_dashboards(digits_map):
    scatter = pytest.importorskip("latentlab.ui.scatter")
    values = np.random.default_rng(1).normal(size=500)
    for vals, categorical in ((np.arange(500) % 12, True), (values, False)):
        mine, theirs = colouring(vals, categorical, "t"), scatter.colouring(vals, categorical, "t")
        assert np.array_equal(mine.codes, theirs.codes) and mine.palette == theirs.palette
        assert mine.legend == theirs.legend


def test_recolouring_sends_the_codes_and_never_the_positions(digits_map):
    log = sent(digits_map)
    digits_map.color_by = "z3"
    updates = [d for d, _ in log if d.get("method") == "update"]
    keys = {k for d in updates for k in d["state"]} | {p[0] for d in updates for p in d.get("buffer_paths", [])}
    assert {"_colour", "_palette", "_legend"} <= keys and "_points" not in keys
    assert sum(sizes for _, b in log for sizes in b) == digits_map._n  # one byte a point, nothing else binary
    assert digits_map._legend["kind"] == "continuous" and digits_map._legend["title"] == "z3"
    digits_map.color_by = "latent:3"
    assert digits_map._legend["title"] == "latent:3"
    digits_map.color_by = "label"


def test_a_bad_colouring_is_one_sentence_and_the_map_keeps_its_colours(digits_map):
    before = (digits_map.color_by, digits_map._colour)
    for bad in ("no such column", "cluster:nope:3", "cluster:kmeans:x", "z99"):
        with pytest.raises(LatentLabError, match="names no"):
            digits_map.color_by = bad
        assert (digits_map.color_by, digits_map._colour) == before


def test_a_selection_made_in_the_browser_reaches_python_and_its_observers(digits_map):
    seen = []
    digits_map.observe(lambda change: seen.append(change["new"]), "selection")
    rows = np.array([7, 3, 500], "<u4")  # the browser sends sorted uint32 rows; the kernel sorts again anyway
    digits_map.set_state({"selection": _rows_from_json(memoryview(rows.tobytes()), digits_map)})
    assert digits_map.selection == [3, 7, 500] and seen[-1] == [3, 7, 500]
    assert _rows_from_json(_rows_to_json(digits_map.selection, None), None) == [3, 7, 500]


def test_a_selection_from_python_goes_to_the_browser_as_uint32(digits_map):
    log = sent(digits_map)
    digits_map.selection = [10, 2, 2]
    assert digits_map.selection == [2, 10]
    (data, sizes), = [(d, b) for d, b in log if d.get("method") == "update"]
    assert data["buffer_paths"] == [["selection"]] and sizes == [8]  # rows 2 and 10 as two uint32


def test_rows_out_of_range_are_refused_and_the_selection_stays(digits_map):
    digits_map.selection = [1, 2]
    for bad in ([-1], [digits_map._n]):
        with pytest.raises(LatentLabError, match="outside the map's 1,797 rows"):
            digits_map.selection = bad
    assert digits_map.selection == [1, 2]


def test_the_selected_rows_as_a_table(digits_map):
    digits_map.cluster("kmeans", 4)
    digits_map.selection = [0, 5, 9]
    frame = digits_map.selected()
    emb = digits_map.source.embedding
    assert frame["index"].tolist() == [0, 5, 9]
    assert frame["digit"].tolist() == lab.load_dataset("digits").labels[[0, 5, 9]].tolist()
    assert frame["cluster"].tolist() == digits_map.clusters[[0, 5, 9]].tolist()
    assert np.allclose(frame[[f"z{d}" for d in range(emb.latent_dim)]].to_numpy(), emb.mean[[0, 5, 9]])
    assert digits_map._legend["title"] == "cluster:kmeans:4" and len(digits_map._legend["names"]) == 4
    digits_map.color_by = "label"
    assert digits_map.selected()["cluster"].tolist() == frame["cluster"].tolist()  # kept once recoloured


def test_a_text_map_hovers_and_tables_its_texts(texts):
    m = Map(texts, method="pca")
    m.selection = [4]
    assert m.selected()["text"].tolist() == ["note number 4 <b>bold</b>"]
    log = sent(m)
    m._on_message(m, {"type": "item", "i": 4}, [])
    (data, sizes), = log
    info = data["content"]["info"]
    assert info["label"] == "a" and info["features"][0] == ["text", "note number 4 <b>bold</b>"] and sizes == []


def test_an_image_hover_comes_with_its_picture(digits_map):
    log = sent(digits_map)
    digits_map._on_message(digits_map, {"type": "item", "i": 5}, [])
    digits_map._on_message(digits_map, {"type": "item", "i": 10**6}, [])  # no such row: no answer
    (data, sizes), = log
    assert data["content"]["info"]["label"] == "5" and sizes[0] > 60


def test_sources_arrays_and_tables():
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"x": rng.normal(size=50), "y": rng.normal(size=50), "kind": ["p", "q"] * 25})
    m = Map(table, color_by="kind")
    assert m._legend["names"] == ["p", "q"] and np.array_equal(m.xy, table[["x", "y"]].to_numpy())
    m.selection = [1]
    assert m.selected()["kind"].tolist() == ["q"]
    vectors = Map(rng.normal(size=(60, 4)), method="pca", color_by=None)
    assert vectors._legend is None and len(vectors._palette) == 1 and vectors.xy.shape == (60, 2)


@pytest.mark.parametrize("source, message", [
    ({"a": 1}, "not a dict"),
    (pd.DataFrame({"name": ["a", "b"]}), "no numeric columns"),
    (np.zeros((3, 2, 2)), "must be 2-D numbers"),
])
def test_a_bad_source_is_one_sentence(source, message):
    with pytest.raises(LatentLabError, match=message):
        Map(source)


@pytest.fixture(scope="module")
def traverse():
    return Traverse("digits-vae", base=3)


def test_a_slider_move_redraws_the_decoded_picture(traverse):
    first = traverse.output.value
    d = traverse.order[0]
    traverse.set_latent(d, traverse.sliders[d].max)
    assert traverse.output.value != first and traverse.output.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert np.isclose(traverse.z[d], traverse.sliders[d].max)
    assert list(traverse.sliders) == lab.activity_order(traverse.embedding)  # most active first
    passive = lab.passive_dims(traverse.embedding)
    assert all(("passive" in s.description) == (d in passive) for d, s in traverse.sliders.items())


def test_the_grid_and_gif_exports(traverse, tmp_path):
    png = traverse.to_png(tmp_path / "grid.png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and (tmp_path / "grid.png").read_bytes() == png
    assert traverse.to_gif()[:6] == b"GIF89a"
    items, values = traverse.grid_items()
    assert items.shape[:2] == values.shape == (8, 9)


def test_a_click_on_the_map_sets_the_traversal_base(digits_map, traverse):
    joined = link(digits_map, traverse)
    digits_map.selection = [42]
    assert np.allclose(traverse.base, digits_map.source.embedding.mean[42])
    digits_map.selection = [1, 2, 3]
    assert np.allclose(traverse.base, digits_map.source.embedding.mean[[1, 2, 3]].mean(0))
    joined.unlink()
    digits_map.selection = [50]
    assert not np.allclose(traverse.base, digits_map.source.embedding.mean[50])
    with pytest.raises(LatentLabError, match="base"):
        traverse.base = np.zeros(3)


def test_compare_aligns_two_maps_and_shares_their_selection(texts):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(80, 5))
    turned = a @ np.linalg.qr(rng.normal(size=(5, 5)))[0]  # the same space turned: B aligns onto A
    c = Compare(a, turned, method="pca", scores=False)
    assert np.abs(c.b.xy - c.a.xy).max() < 1e-6 * np.abs(c.a.xy).max() + 1e-9
    assert c.a._points == c.b._points  # one frame: the same items drawn at the same spots
    c.a.selection = [3, 4]
    assert c.b.selection == [3, 4]
    c.b.selection = [7]
    assert c.a.selection == [7]


def test_without_the_extra_the_widgets_name_the_install():
    code = ("import sys; sys.modules['anywidget'] = None\n"
            "try:\n    import latentlab as ll; ll.widgets\n"
            "except Exception as e:\n    print(type(e).__name__, e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ("LatentLabError LatentLab's notebook widgets need anywidget and ipywidgets; install them with "
                   "pip install 'latentlab[notebook]'.")


@pytest.mark.skipif(not (ROOT / "frontend" / "node_modules" / "esbuild").exists() or not shutil.which("node"),
                    reason="needs `npm ci` in frontend/ (Node.js) to rebuild the bundle")
def test_the_shipped_widget_bundle_is_built_from_the_sources(tmp_path):
    script = ("import { build } from 'esbuild'; import opts from './widget-options.mjs';"
              f"await build({{ ...opts, outfile: {json.dumps(str(tmp_path / 'widget.js'))}, logLevel: 'silent' }});")
    subprocess.run(["node", "--input-type=module", "-e", script], cwd=ROOT / "frontend", check=True)
    shipped = ROOT / "latentlab" / "widgets" / "assets" / "widget.js"
    assert (tmp_path / "widget.js").read_bytes() == shipped.read_bytes()
    assert shipped.read_text().startswith("// LatentLab notebook map widget.")
