"""The notebook widgets in a real JupyterLab in Chromium: a million-point map and the traversal sliders.

1. ``ll.widgets.Map`` over 1,000,000 x 16 vectors (a DataFrame with a label column, PCA positions): the bytes
   the page receives over the kernel's websocket per point, beside the goal (<= 9, the dashboard's), and the
   seconds from running the cell to the points drawn (cold: the positions projected and cached; warm: the
   same cell again, the projection read from the cache). ``--jscatter`` adds jupyter-scatter's ``Scatter`` on
   the same points for its bytes (it is not a dependency: ``pip install jupyter-scatter`` first).
2. ``ll.widgets.Traverse`` for digits-vae and shapes-beta-vae: seconds from a click on the first slider's track to
   the new decoded picture in the page, median and p95 over ``--moves`` moves, beside the kernel's own share
   (decode and PNG, timed in the kernel) and the goal (100 ms).

    python benchmarks/notebook_widgets.py [--points 1000000] [--moves 30] [--jscatter]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.server import browser_page  # noqa: E402
from tests.e2e.test_notebook import jupyter_lab, open_notebook, run_cell, wait_drawn, wait_output, write_notebook  # noqa: E402

DATA_CELL = """import numpy as np, pandas as pd, latentlab as ll
rng = np.random.default_rng(0)
labels = rng.integers(0, 10, {n})
x = (rng.normal(scale=5, size=(10, 16))[labels] + rng.normal(size=({n}, 16))).astype(np.float32)
frame = pd.DataFrame(x, columns=[f"f{{i}}" for i in range(16)]).assign(label=labels.astype(str))
print("READY")"""
MAP_CELL = "m = ll.widgets.Map(frame, method='pca', color_by='label', height=480)\nm"
JSCATTER_CELL = ("import jscatter\nxy = m.xy\nj = jscatter.Scatter(x=xy[:, 0], y=xy[:, 1], color_by=labels, height=480)\n"
                 "j.show()")


class Received:
    """Bytes the page receives over its websockets (the kernel's channel among them)."""

    def __init__(self, page):
        self.total = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload) -> None:
        self.total += len(payload or b"")


def map_run(page, received: Received, cell: int, n: int) -> tuple[float, int]:
    """Seconds from running ``cell`` to the map drawn, and the bytes received meanwhile."""
    page.evaluate("() => document.querySelectorAll('[data-testid=ll-map]').forEach((r) => r.remove())")
    before = received.total
    t = time.perf_counter()
    run_cell(page, cell)
    wait_drawn(page, n, timeout_ms=600_000)
    return time.perf_counter() - t, received.total - before


def bench_map(url: str, folder: Path, n: int, jscatter: bool) -> None:
    cells = [DATA_CELL.format(n=n), MAP_CELL, MAP_CELL] + ([JSCATTER_CELL] if jscatter else [])
    write_notebook(folder / "million.ipynb", cells)
    with browser_page(1600, 1000) as page:
        received = Received(page)
        open_notebook(page, url, "million.ipynb")
        run_cell(page, 0)
        wait_output(page, 0, "READY", timeout_ms=600_000)
        cold, cold_bytes = map_run(page, received, 1, n)
        warm, warm_bytes = map_run(page, received, 2, n)
        page.screenshot(path="/tmp/notebook-million.png")
        print(f"Map of {n:,} x 16 vectors (PCA, coloured by label) in JupyterLab, Chromium (software WebGL):")
        print(f"  cell run to drawn: {cold:6.2f} s cold (projection computed), {warm:6.2f} s warm (projection cached)")
        print(f"  received over the websocket: {cold_bytes / n:5.2f} B/point cold, {warm_bytes / n:5.2f} B/point warm"
              "   (goal <= 9, the dashboard's; the widget's buffers: 4 B positions + 1 B colour)")
        if jscatter:
            before = received.total
            t = time.perf_counter()
            run_cell(page, 3)
            page.wait_for_timeout(1000)
            while True:  # until a second passes with nothing more received
                seen = received.total
                page.wait_for_timeout(1000)
                if received.total == seen:
                    break
            print(f"  jupyter-scatter Scatter on the same points: {(received.total - before) / n:5.2f} B/point "
                  f"(all received {time.perf_counter() - t - 1:5.1f} s after the cell ran)")


SLIDER_CELLS = ["import latentlab as ll\nt = ll.widgets.Traverse({name!r}, base=0)\nt",
                "import time, statistics\nd = t.order[0]; s = t.sliders[d]; v0 = s.value; ms = []\n"
                "for k in range(20):\n    t0 = time.perf_counter(); t.set_latent(d, s.min + (k % 10) * (s.max - s.min) / 10)\n"
                "    ms.append(1000 * (time.perf_counter() - t0))\n"
                "t.set_latent(d, v0)\nprint('KERNEL', statistics.median(ms), sorted(ms)[int(0.95 * len(ms))])"]


def bench_sliders(url: str, folder: Path, name: str, moves: int) -> None:
    write_notebook(folder / f"{name}.ipynb", [c.format(name=name) for c in SLIDER_CELLS])
    with browser_page(1600, 1000) as page:
        open_notebook(page, url, f"{name}.ipynb?reset")  # ?reset: the last notebook is not restored beside it
        run_cell(page, 0)
        page.wait_for_function("() => { const i = document.querySelector('img.ll-decoded'); return i && i.src; }",
                               timeout=600_000)
        times, shown = [], []
        for k in range(moves):
            before = page.evaluate("() => document.querySelector('img.ll-decoded').src")
            # A click on the first slider's track moves its handle there (noUiSlider's tap), as a user's click
            # does. noUiSlider ignores a tap while the last one still animates the handle: that ends first.
            page.wait_for_function("() => !document.querySelector('.ll-slider .noUi-state-tap')", polling=20)
            track = page.locator(".ll-slider .noUi-base").first.bounding_box()
            where = 0.15 + 0.7 * ((k * 7) % 10) / 9  # ten spots along the track, each move to another
            t = time.perf_counter()
            page.mouse.click(track["x"] + where * track["width"], track["y"] + track["height"] / 2)
            page.wait_for_function("(b) => document.querySelector('img.ll-decoded').src !== b", arg=before,
                                   timeout=60_000, polling="raf")
            times.append(time.perf_counter() - t)
            shown.append(page.locator(".ll-slider .widget-readout").first.inner_text())
        if len(set(shown)) < min(moves, 10):  # each click moved the handle to another value
            raise AssertionError(f"the first slider's readout did not follow the clicks: {shown}")
        run_cell(page, 1)
        kernel = wait_output(page, 1, "KERNEL").split()
    ms = sorted(1000 * s for s in times)
    print(f"  {name:<16} slider move to redrawn picture: median {statistics.median(ms):5.1f} ms, "
          f"p95 {ms[int(0.95 * (len(ms) - 1))]:5.1f} ms over {moves} moves; the kernel's decode and PNG: median "
          f"{float(kernel[1]):4.1f} ms, p95 {float(kernel[2]):4.1f} ms   (goal <= 100 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--moves", type=int, default=30)
    parser.add_argument("--jscatter", action="store_true", help="add jupyter-scatter's bytes (pip install jupyter-scatter)")
    parser.add_argument("--skip-map", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, jupyter_lab(Path(tmp)) as url:
        if not args.skip_map:
            bench_map(url, Path(tmp), args.points, args.jscatter)
        print("Traversal sliders in JupyterLab, Chromium:")
        for name in ("digits-vae", "shapes-beta-vae"):
            bench_sliders(url, Path(tmp), name, args.moves)


if __name__ == "__main__":
    main()
