"""The WebGL map's Python side: compact colour codes, positions, packed selections, the item route
behind hover, and the bundled JavaScript that ships in the package."""

import base64
import json
import shutil
import subprocess
import tomllib
import urllib.request

import numpy as np
import pytest
from starlette.requests import Request

from latentlab.ui import ASSETS, item_route, scatter
from tests.apptest import decode_request
from tests.e2e.server import ROOT


def test_categorical_codes_are_one_byte_per_point_in_natural_order():
    values = np.array(["10", "2", "b", "2", "a", "10"])
    c = scatter.colouring(values, True, "label")
    assert c.codes.dtype == np.uint8 and len(c.codes) == len(values)
    assert c.legend["names"] == ["2", "a", "b", "10"]  # short names first: "2" before "10"
    assert [c.legend["names"][k] for k in c.codes] == values.tolist()
    assert len(c.palette) == 4


def test_many_categories_take_two_bytes():
    c = scatter.colouring(np.arange(1000), True, "index")
    assert c.codes.dtype == np.uint16
    assert [c.legend["names"][k] for k in c.codes[:5]] == ["0", "1", "2", "3", "4"]


def test_continuous_codes_span_the_ramp_and_mark_missing_values():
    c = scatter.colouring(np.array([0.0, 0.5, 1.0, np.nan]), False, "z0")
    assert c.codes.tolist() == [0, 127, 254, 255]
    assert c.legend["kind"] == "continuous" and (c.legend["lo"], c.legend["hi"]) == (0.0, 1.0)
    assert len(c.palette) == 256 and c.palette[-1] == scatter.MISSING


def test_positions_fill_minus_one_to_one_and_keep_their_shape():
    xy = np.array([[0.0, 0.0], [10.0, 2.0], [5.0, 1.0]])
    pos = scatter.normalise(xy)
    assert pos.dtype == np.float32 and np.abs(pos).max() <= 1.0
    assert np.isclose(pos[1, 0] - pos[0, 0], 5 * (pos[1, 1] - pos[0, 1]))  # one scale for both axes


def _packed(rows, total, enc):
    rows = np.asarray(rows)
    if enc == "idx":
        raw = rows.astype("<u4").tobytes()
    else:
        bits = np.zeros(total, np.uint8)
        bits[rows] = 1
        raw = np.packbits(bits, bitorder="little").tobytes()
    return {"n": len(rows), "total": total, "enc": enc, "b64": base64.b64encode(raw).decode()}


@pytest.mark.parametrize("enc", ["idx", "bits"])
def test_selections_decode_from_either_packing(enc):
    rows = [3, 17, 18, 999_999]
    assert scatter.decode_selection(_packed(rows, 1_000_000, enc)).tolist() == rows


def test_an_empty_selection_and_no_selection_differ():
    assert scatter.decode_selection({"n": 0, "total": 10, "enc": "idx", "b64": ""}).tolist() == []
    assert scatter.decode_selection(None) is None


def _request(name, version, row):
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [],
                    "path_params": {"name": name, "version": version, "row": row}})


def test_the_item_route_serves_a_picture_and_the_label(workspace):
    from latentlab.data import load_dataset

    ds = load_dataset("digits")
    version = item_route.base_url("digits", ds).rsplit("/", 1)[1]
    png = item_route.item_png(_request("digits", version, 5))
    assert png.status_code == 200 and png.body[:8] == b"\x89PNG\r\n\x1a\n"
    info = json.loads(item_route.item_json(_request("digits", version, 5)).body)
    assert info == {"index": 5, "label": str(ds.labels[5]), "label_name": "digit"}


def test_the_item_route_shows_a_tables_leading_features(workspace):
    from latentlab.data import load_dataset

    ds = load_dataset("wine")
    version = item_route.base_url("wine", ds).rsplit("/", 1)[1]
    assert item_route.item_png(_request("wine", version, 0)).status_code == 404  # no picture for a table row
    info = json.loads(item_route.item_json(_request("wine", version, 0)).body)
    assert [k for k, _ in info["features"]] == ds.feature_names[: item_route.FEATURES_SHOWN]


@pytest.mark.parametrize("name, version, row", [("no-such-set", None, 0), ("digits", "stale", 0), ("digits", None, 1797)])
def test_the_item_route_refuses_what_it_does_not_serve(workspace, name, version, row):
    from latentlab.data import load_dataset

    version = version or item_route.base_url("digits", load_dataset("digits")).rsplit("/", 1)[1]
    assert item_route.item_json(_request(name, version, row)).status_code == 404
    assert item_route.item_png(_request(name, version, row)).status_code == 404


@pytest.mark.parametrize("base_path, prefix", [("", ""), ("lab", "/lab"), ("/team/lab/", "/team/lab")])
def test_the_item_urls_sit_below_the_servers_base_path(base_path, prefix):
    from streamlit import config

    from latentlab.data import load_dataset

    ds = load_dataset("digits")
    before = config.get_option("server.baseUrlPath")
    config.set_option("server.baseUrlPath", base_path)
    try:
        assert item_route.base_url("digits", ds) == f"{prefix}/latentlab/items/digits/{ds.fingerprint[:16]}"
    finally:
        config.set_option("server.baseUrlPath", before)


def test_a_server_below_a_base_path_serves_items_there(tmp_path):
    from latentlab.data import load_dataset
    from tests.e2e.server import dashboard

    version = load_dataset("digits").fingerprint[:16]
    home = tmp_path / "home"
    home.mkdir()
    with dashboard(home, base_path="lab") as url:
        assert url.endswith("/lab")
        with urllib.request.urlopen(f"{url}/latentlab/items/digits/{version}/5.png", timeout=30) as r:
            assert r.status == 200 and r.read()[:8] == b"\x89PNG\r\n\x1a\n"
        with urllib.request.urlopen(f"{url}/latentlab/items/digits/{version}/5.json", timeout=30) as r:
            assert json.loads(r.read())["index"] == 5
        from latentlab import lab

        decoded = lab.load_checkpoint("digits-vae").fingerprint[:16]
        with urllib.request.urlopen(f"{url}/latentlab/decoded/digits-vae/{decoded}.png?z=0,0,0,0,0,0,1,1", timeout=60) as r:
            assert r.status == 200 and r.read()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_decode_route_answers_a_code_with_the_picture_the_model_decodes(workspace):
    from PIL import Image
    import io

    from latentlab import lab
    from latentlab.core.render import png_bytes, single_image

    ck = lab.load_checkpoint("digits-vae")
    name, version = item_route.decoded_url(ck).rsplit("/", 2)[1:]
    assert (name, version) == ("digits-vae", f"{ck.fingerprint[:16]}.png")
    version = version[:-4]
    z = np.linspace(-1.5, 1.5, 8).astype(np.float32)
    reply = item_route.decoded_png(decode_request(name, version, ",".join(f"{v:.7g}" for v in z)))
    assert reply.status_code == 200 and "immutable" in reply.headers["cache-control"]
    expected = png_bytes(single_image(lab.decode_latents(ck.model, z[None])[0], scale=24))
    assert reply.body == expected  # 8x8 digits drawn 24 times larger: the 192-pixel picture of the page
    assert Image.open(io.BytesIO(reply.body)).size == (192, 192)
    other = item_route.decoded_png(decode_request(name, version, ",".join(["0"] * 8)))
    assert other.body != reply.body


@pytest.mark.parametrize("name, version, z, status", [
    ("digits-vae", None, "1,2,3", 400),  # 3 values for 8 latents
    ("digits-vae", None, "a,b,c,d,e,f,g,h", 400),
    ("digits-vae", None, "nan,0,0,0,0,0,0,0", 400),
    ("digits-vae", "stale0000000000", "0,0,0,0,0,0,0,0", 404),  # weights of another version
    ("no-such-model", None, "0,0,0,0,0,0,0,0", 404),
])
def test_the_decode_route_refuses_what_it_does_not_serve(workspace, name, version, z, status):
    from latentlab import lab

    version = version or lab.load_checkpoint("digits-vae").fingerprint[:16]
    reply = item_route.decoded_png(decode_request(name, version, z))
    assert reply.status_code == status and b"Traceback" not in reply.body


def test_the_package_declares_the_component_and_ships_its_script():
    manifest = tomllib.loads((ROOT / "latentlab" / "pyproject.toml").read_text())
    entry = manifest["tool"]["streamlit"]["component"]["components"][0]
    assert f"{manifest['project']['name']}.{entry['name']}" == scatter.COMPONENT
    bundle = ROOT / "latentlab" / entry["asset_dir"] / "map.js"
    assert bundle == ASSETS / "map.js" and bundle.read_text().startswith("// LatentLab map component.")
    assert bundle.stat().st_size > 100_000  # regl-scatterplot and regl are inside: nothing is fetched at run time
    assert "https://" not in "".join(line for line in bundle.read_text().splitlines() if "import" in line)
    from latentlab.ui import traverse_sliders

    sliders = manifest["tool"]["streamlit"]["component"]["components"][1]
    assert f"{manifest['project']['name']}.{sliders['name']}" == traverse_sliders.COMPONENT
    script = (ROOT / "latentlab" / sliders["asset_dir"] / "sliders.js").read_text()
    assert script.startswith("// LatentLab traversal sliders component.") and "https://" not in script


@pytest.mark.skipif(not (ROOT / "frontend" / "node_modules" / "esbuild").exists() or not shutil.which("node"),
                    reason="needs `npm ci` in frontend/ (Node.js) to rebuild the bundle")
@pytest.mark.parametrize("options, bundle", [("build-options.mjs", "map.js"), ("sliders-options.mjs", "sliders.js")])
def test_the_shipped_bundle_is_built_from_the_sources(tmp_path, options, bundle):
    script = (f"import {{ build }} from 'esbuild'; import opts from './{options}';"
              f"await build({{ ...opts, outfile: {json.dumps(str(tmp_path / bundle))}, logLevel: 'silent' }});")
    subprocess.run(["node", "--input-type=module", "-e", script], cwd=ROOT / "frontend", check=True)
    assert (tmp_path / bundle).read_bytes() == (ASSETS / bundle).read_bytes()


def test_positions_travel_as_uint16_steps_within_half_a_step_of_the_map():
    from latentlab.core import positions

    xy = np.random.default_rng(0).normal(size=(5000, 2)) * [3.0, 1.0]
    q = positions.quantised(xy)
    assert q.dtype == np.dtype("<u2") and q.shape == (2, 5000)
    back = positions.dequantised(q)
    assert np.abs(back - positions.unit_square(xy)).max() <= 1 / positions.STEPS + 1e-6
    assert np.allclose(back, scatter.normalise(xy))  # what the dashboard's map draws
