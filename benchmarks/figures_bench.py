"""Paper figures and shared maps at 10,000, 100,000 and 1,000,000 points: seconds to write, and file size, of a
labelled map as PDF and SVG (``latentlab.figures``) and as a shared HTML file; the HTML opened from file:// in
headless Chromium (software WebGL, the network refused) to all points drawn.

    python benchmarks/figures_bench.py [--sizes 10000,100000,1000000] [--browser 100000] [--out DIR]

Reference, in the same run: the same map written by matplotlib with its points as vector markers (what a figure
built by hand without ``rasterized=True`` is), up to 100,000 points. datamapplot's ``create_plot`` is timed
beside it where it is installed; it is not a dependency (it brings dask, datashader, bokeh and scikit-image, and
pins pandas below 3), so the script says so and goes on without it. Pictures of both are written to ``--out``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from latentlab.analysis.projection.labels import label_anchors  # noqa: E402
from latentlab.figures.labels import cluster_texts  # noqa: E402
from latentlab.figures.map_figure import map_figure  # noqa: E402
from latentlab.figures.output import save_figure, write_bytes  # noqa: E402
from latentlab.figures.share import share_html  # noqa: E402


def blobs(n: int, k: int = 25, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, 2)) * 6
    labels = rng.integers(0, k, n)
    xy = centres[labels] + rng.normal(size=(n, 2)) * rng.uniform(0.3, 1.2, k)[labels, None]
    return xy, labels, (labels + (rng.random(n) < 0.1)) % k


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def ours(n: int, out: Path) -> dict:
    xy, labels, clusters = blobs(n)
    row = {}
    for fmt in ("pdf", "svg"):
        def write():
            fig = map_figure(xy, labels, True, "label", f"{n:,} points", ("UMAP 1", "UMAP 2"),
                             label_anchors(xy, clusters), cluster_texts(clusters))
            return save_figure(fig, out / f"ours-{n}.{fmt}")
        path, seconds = timed(write)
        row[fmt] = (seconds, path.stat().st_size)

    def html():
        page = share_html(xy, [("label", labels, True), ("cluster", clusters, True)], f"{n:,} points",
                          label_anchors(xy, clusters), cluster_texts(clusters))
        write_bytes(out / f"share-{n}.html", page)
        return len(page)
    size, seconds = timed(html)
    row["html"] = (seconds, size)
    return row


def vector_reference(n: int, out: Path) -> dict:
    """matplotlib with every point a vector marker, as a figure made by hand often is."""
    from matplotlib.figure import Figure

    xy, labels, _ = blobs(n)
    row = {}
    for fmt in ("pdf", "svg"):
        def write():
            fig = Figure(figsize=(7.1, 5.1))
            ax = fig.add_subplot()
            ax.scatter(xy[:, 0], xy[:, 1], c=labels, s=0.5, cmap="tab20", linewidths=0)
            path = out / f"vector-{n}.{fmt}"
            fig.savefig(path)
            return path
        path, seconds = timed(write)
        row[fmt] = (seconds, path.stat().st_size)
    return row


def datamapplot_reference(n: int, out: Path) -> dict | None:
    try:
        import datamapplot
    except ImportError:
        return None
    xy, _, clusters = blobs(n)
    names = np.array([f"cluster {c}" for c in clusters])
    fig, seconds = timed(lambda: datamapplot.create_plot(xy, names)[0])
    path = out / f"datamapplot-{n}.pdf"
    fig.savefig(path)
    return {"pdf": (seconds, path.stat().st_size)}


def open_in_browser(path: Path, n: int) -> float:
    from tests.e2e.server import browser_page

    with browser_page(1600, 1000) as page:
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
        t = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_function(f"() => document.querySelector('#ll-root').dataset.drawn === '{n}'", timeout=120_000)
        seconds = time.perf_counter() - t
        page.screenshot(path=str(path.with_suffix(".png")))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--browser", type=int, default=100_000, help="open the HTML of this size in Chromium (0: not)")
    parser.add_argument("--out", default=None, help="folder for the files and pictures (default: a temporary one)")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="figures-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"files in {out}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'points':>10}  {'what':<26} {'seconds':>8} {'size':>10} {'bytes/pt':>9}")
    for n in (int(s) for s in args.sizes.split(",")):
        rows = {"ours": ours(n, out)}
        if n <= 100_000:
            rows["vector markers (reference)"] = vector_reference(n, out)
        dmp = datamapplot_reference(n, out)
        if dmp:
            rows["datamapplot (reference)"] = dmp
        for who, row in rows.items():
            for fmt, (seconds, size) in row.items():
                print(f"{n:>10,}  {who + ' ' + fmt:<26} {seconds:>8.2f} {size / 1e6:>8.2f} MB {size / n:>9.1f}")
        if n == args.browser:
            seconds = open_in_browser(out / f"share-{n}.html", n)
            print(f"{n:>10,}  {'HTML opened to drawn':<26} {seconds:>8.2f}  (goal 5 s; file://, network refused)")
    try:
        import datamapplot  # noqa: F401
    except ImportError:
        print("datamapplot is not installed (pip install datamapplot brings dask, datashader, bokeh and "
              "scikit-image and replaces pandas 3 with 2.x); its column is left out.")


if __name__ == "__main__":
    main()
