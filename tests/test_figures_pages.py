"""Each page's "Download figure" control returns a file that parses (the PDF's text layer, the SVG's XML, the
PNG's header), and the Map page's interactive map is a whole HTML page with its data; the Map page names every
clustering on its live map, each name placed in the map's coordinates."""

import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from latentlab.ui import compare_view  # noqa: E402
from tests.apptest import map_json, open_page, start_dashboard  # noqa: E402

PCA = {"method": "pca", "dims": 2, "params": {}, "seed": 0}


def parses(name: str, data: bytes) -> str:
    """The kind of file ``data`` is, checked by reading it back."""
    if name.endswith(".pdf"):
        pypdf = pytest.importorskip("pypdf")
        return "pdf" if pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text() else "empty pdf"
    if name.endswith(".svg"):
        return "svg" if ET.fromstring(data).tag.endswith("svg") else "not svg"
    if name.endswith(".png"):
        return "png" if data.startswith(b"\x89PNG") else "not png"
    return "html" if data.startswith(b"<!doctype html>") and b'id="ll-meta"' in data else "not html"


@pytest.fixture
def sent(monkeypatch):
    """Each download button's file name -> its data (a callable: drawn when clicked)."""
    from streamlit.delta_generator import DeltaGenerator

    buttons = {}
    real = DeltaGenerator.download_button

    def spy(self, label, data, file_name=None, *a, **k):
        buttons[file_name] = data
        return real(self, label, data, file_name, *a, **k)

    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    return buttons


def click(sent: dict, name: str) -> bytes:
    data = sent[name]
    return data() if callable(data) else data


def test_every_pages_figure_downloads_and_parses(workspace, monkeypatch, sent):
    at = start_dashboard(monkeypatch, "pages/map.py", ll_map=PCA, **{"map-method": "pca", "map-colour": "cluster",
                                                                     "map-fig-fmt": "SVG"})
    assert parses("map.svg", click(sent, "map.svg")) == "svg"
    assert parses("map.html", click(sent, "map.html")) == "html"
    labels = map_json(at)["labels"]
    assert labels and all({"i", "text", "x", "y"} <= set(d) and -1 <= d["x"] <= 1 for d in labels)

    for page, state, name in [("pages/traverse.py", {"trav-fig-fmt": "PDF"}, "traversal.pdf"),
                              ("pages/clusters.py", {"cl-fig-fmt": "PNG", "ll_space": "latent means"}, "clusters.png"),
                              ("pages/compare.py", {compare_view.PICK_B: "digits-topk-sae", "cmp-method": "pca",
                                                    "cmp-fig-fmt": "PDF"}, "compare.pdf")]:
        for key, value in state.items():
            at.session_state[key] = value
        open_page(at, page)
        assert parses(name, click(sent, name)) == name.rsplit(".", 1)[1], page


def test_the_metrics_pages_figure_holds_its_matrix(workspace, monkeypatch, sent):
    import latentlab as ll
    from latentlab.data import import_dataset, load_dataset
    from latentlab.training.trainer import TrainConfig

    small = load_dataset("shapes-300")
    workspace.mkdir(parents=True, exist_ok=True)
    np.savez(workspace / "tiny.npz", x=small.x, factors=small.factors.to_numpy())
    import_dataset(workspace / "tiny.npz", "tiny-shapes")
    ll.train("tiny-shapes", "beta-vae", {"latent_dim": 3}, TrainConfig(steps=2, batch_size=16), name="tiny-b")
    ll.score("tiny-b", "tiny-shapes", ["mig"], n=300, seed=0)
    at = start_dashboard(monkeypatch, ll_dataset="tiny-shapes", ll_checkpoint="tiny-b", **{"m-fig-fmt": "PDF"})
    open_page(at, "pages/metrics.py")
    at.multiselect(key="m-names").set_value(["mig"]).run()
    pdf = click(sent, "metrics.pdf")
    assert parses("metrics.pdf", pdf) == "pdf"
    pypdf = pytest.importorskip("pypdf")
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    factors = ll.load_dataset("tiny-shapes").factors.columns
    assert all(f in text for f in factors) and "z2" in text and "mig" in text
