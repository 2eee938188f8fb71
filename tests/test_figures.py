"""Paper figures: the labels in a PDF's text layer, an SVG's text and one raster of points, names that never
overlap, sizes that stay small at 100,000 points, and the command line's bad inputs."""

import io
import re

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from latentlab.analysis.projection.labels import label_anchors  # noqa: E402
from latentlab.cli import main  # noqa: E402
from latentlab.core.errors import LatentLabError  # noqa: E402
from latentlab.figures.labels import boxes_overlap, cluster_texts, read_cluster_names  # noqa: E402
from latentlab.figures.map_figure import map_figure  # noqa: E402
from latentlab.figures.output import figure_bytes, save_figure  # noqa: E402


def blobs(n: int, k: int = 12, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, 2)) * 5
    labels = rng.integers(0, k, n)
    return centres[labels] + rng.normal(size=(n, 2)) * rng.uniform(0.3, 1.0, k)[labels, None], labels


@pytest.fixture(scope="module")
def named_map():
    xy, labels = blobs(100_000)
    names = {c: f"group {c} name" for c in range(12)}
    fig = map_figure(xy, labels, True, "label", "blobs", ("UMAP 1", "UMAP 2"), label_anchors(xy, labels),
                     cluster_texts(labels, names=names))
    return fig, names


@pytest.fixture(scope="module")
def files(named_map):
    fig, _ = named_map
    return {fmt: figure_bytes(fig, fmt) for fmt in ("pdf", "svg")}


def test_the_pdf_text_layer_holds_every_cluster_name_in_an_embedded_truetype_font(files, named_map):
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(files["pdf"]))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert all(name in text for name in named_map[1].values())
    fonts = [f.get_object() for f in reader.pages[0]["/Resources"]["/Font"].values()]
    outlines = {f["/DescendantFonts"][0].get_object()["/Subtype"] if f["/Subtype"] == "/Type0" else f["/Subtype"]
                for f in fonts}
    assert fonts and outlines <= {"/TrueType", "/CIDFontType2"}  # TrueType glyphs (Type 42), never Type 3


def test_the_svg_keeps_names_as_text_and_the_points_as_one_image(files, named_map):
    svg = files["svg"].decode()
    texts = re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)
    assert all(any(name in t for t in texts) for name in named_map[1].values())
    assert svg.count("<image") == 1
    assert "<path" in svg and svg.count("<use") < 100  # points are not vector markers


def test_no_two_names_overlap_once_drawn(named_map):
    fig, names = named_map
    renderer = fig.canvas.get_renderer()
    drawn = [t for t in fig.axes[0].texts if t.get_text() in names.values()]
    assert len(drawn) == len(names)
    boxes = [tuple(t.get_bbox_patch().get_window_extent(renderer).extents) if t.get_bbox_patch() else
             tuple(t.get_window_extent(renderer).extents) for t in drawn]
    assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if boxes_overlap(a, b)]
    assert len(fig.latentlab_labels) == len(names)


def test_a_hundred_thousand_points_stay_a_small_file(files):
    assert len(files["pdf"]) < 2_000_000 and len(files["svg"]) < 3_000_000


def test_a_label_csv_must_name_exactly_the_clusters(tmp_path):
    clusters = np.array([0, 0, 1, 2, -1])
    good = tmp_path / "names.csv"
    good.write_text("cluster,name\n0,alpha\n1,beta\n2,gamma\n")
    assert read_cluster_names(good, clusters) == {0: "alpha", 1: "beta", 2: "gamma"}
    (tmp_path / "short.csv").write_text("0,alpha\n1,beta\n9,extra\n")
    with pytest.raises(LatentLabError, match=r"missing clusters \[2\].*extra clusters \[9\]"):
        read_cluster_names(tmp_path / "short.csv", clusters)
    with pytest.raises(LatentLabError, match="No label file"):
        read_cluster_names(tmp_path / "absent.csv", clusters)


def test_saving_writes_the_whole_file_or_nothing(named_map, tmp_path):
    fig, _ = named_map
    with pytest.raises(LatentLabError, match="does not exist"):
        save_figure(fig, tmp_path / "absent" / "map.pdf")
    with pytest.raises(LatentLabError, match="must end in"):
        save_figure(fig, tmp_path / "map.jpg")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, says", [
    (["--out", "{tmp}/map.gif"], "must end in"),
    (["--out", "{tmp}/absent/map.pdf"], "does not exist"),
    (["--out", "{tmp}/map.pdf", "--color", "latent:99"], "Cannot colour by 'latent:99'"),
    (["--out", "{tmp}/map.pdf", "--labels", "{tmp}/none.csv"], "No label file"),
    (["--out", "{tmp}/map.pdf", "--style", "neon"], "Unknown"),
])
def test_the_command_line_says_one_sentence_and_exits_2(argv, says, tmp_path, capsys):
    args = [a.format(tmp=tmp_path) for a in argv]
    assert main(["figure", "map", "digits-vae", "--method", "pca", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and err.count("\n") == 0
    assert list(tmp_path.iterdir()) == []


def test_the_command_line_writes_a_map_from_a_checkpoint(tmp_path, capsys):
    out = tmp_path / "map.svg"
    (tmp_path / "names.csv").write_text("".join(f"{c},digit group {c}\n" for c in range(8)))
    assert main(["figure", "map", "digits-vae", "--method", "pca", "--labels", str(tmp_path / "names.csv"),
                 "--out", str(out)]) == 2  # k-means' default k is not 8: the CSV names clusters it lacks
    assert "names clusters" in capsys.readouterr().err
    assert main(["figure", "map", "digits-vae", "--method", "pca", "--width-mm", "88", "--out", str(out)]) == 0
    svg = out.read_text()
    assert "cluster 0" in svg and svg.count("<image") == 1
