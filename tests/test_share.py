"""The shared HTML map: compressed binary data within 16 bytes a point at a million points, nothing fetched from
outside, the item's picture for an image set, and the command line's bad inputs."""

import base64
import json
import re
import zlib

import numpy as np

from latentlab.cli import main
from latentlab.figures.share import share_html


def segments(page: str) -> dict[str, bytes]:
    return {k: zlib.decompress(base64.b64decode(v)) for k, v in
            re.findall(r'<script type="text/plain" data-seg="(\w+)">([^<]*)</script>', page)}


def meta_of(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="ll-meta">(.*?)</script>', page, re.S).group(1))


def test_a_million_points_take_at_most_16_bytes_each():
    rng = np.random.default_rng(0)
    n = 1_000_000
    labels = rng.integers(0, 10, n)
    xy = rng.normal(size=(10, 2))[labels] * 5 + rng.normal(size=(n, 2))
    page = share_html(xy, [("label", labels, True), ("cluster", (labels + 1) % 10, True)])
    assert len(page) / n <= 16


def test_the_page_carries_positions_codes_and_names_and_fetches_nothing():
    rng = np.random.default_rng(1)
    labels = np.repeat(np.array(["cat", "dog", "<b>eel</b>"]), 100)
    xy = rng.normal(size=(300, 2)) + np.repeat(np.eye(3, 2) * 8, 100, axis=0)
    page = share_html(xy, [("label", labels, True), ("size", rng.random(300), False)], "animals",
                      anchors={0: 5, 1: 150}, names={0: "felines", 1: "canines"}).decode()
    meta, data = meta_of(page), segments(page)
    assert meta["n"] == 300 and [c["kind"] for c in meta["colourings"]] == ["categorical", "continuous"]
    assert sorted(meta["colourings"][0]["names"]) == ["<b>eel</b>", "cat", "dog"]
    assert {label["text"] for label in meta["labels"]} == {"felines", "canines"}
    xy16 = np.frombuffer(data["xy"], "<u2").reshape(2, 300).T
    assert xy16.min() == 0 and xy16.max() == 65535  # the map's extent spans the codes
    assert len(data["c0"]) == 300 and len(data["c1"]) == 300
    assert "<b>eel</b>" not in page.replace("\\u003cb>", "")  # names reach the page as data, never as markup
    assert not re.search(r'(src|href)="(https?:)?//', page) and "import(" not in page.split("@@SCRIPT@@")[0]


def test_share_from_the_command_line_carries_thumbnails_and_refuses_other_extensions(tmp_path, capsys):
    out = tmp_path / "digits.html"
    assert main(["share", "digits-vae", "--method", "pca", "--out", str(out)]) == 0
    page = out.read_text()
    meta, data = meta_of(page), segments(page)
    assert meta["n"] == 1797 and meta["thumbs"]["n"] == 1797 and len(data["thumbs"]) == 1797 * 8 * 8
    assert [c["name"] for c in meta["colourings"]] == ["label", "cluster"] and meta["labels"]
    assert main(["share", "digits-vae", "--out", str(tmp_path / "map.pdf")]) == 2
    assert "must end in .html" in capsys.readouterr().err
