"""The Map's WebGL scatter against the plotly map it replaced, in headless Chromium (software WebGL):
websocket bytes per point, page load to points drawn, a lasso's round trip to Python, and (WebGL) a recolouring
from the click to the map drawn in the new colours and taking input again.

    python benchmarks/map_bench.py [--sizes 200000,737280,1000000] [--plotly 200000]

Each size runs benchmarks/map_app.py as a real `streamlit run` server; the plotly reference runs in
the same invocation, so the ratios compare like with like. Needs Chromium and playwright.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e import map_driver  # noqa: E402
from tests.e2e.server import browser_page, free_port  # noqa: E402

PLOTLY_DRAWN = ("(n) => { const g = document.querySelector('.stPlotlyChart .js-plotly-plot');"
                " return g && g._fullData && g._fullData.reduce((s, t) => s + (t.x ? t.x.length : 0), 0) === n"
                " && g.querySelector('.gl-container canvas'); }")


def serve(n: int, kind: str):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "benchmarks" / "map_app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.maxMessageSize", "1000", "--", str(n), kind],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=dict(os.environ))
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the benchmark page did not start")


def picked(page) -> int:
    text = page.get_by_text("picked:").first.inner_text()
    return int(text.split(":")[1])


def recolour_s(page, n: int) -> float:
    """Seconds from choosing another colouring to the map drawn in it and taking input again."""
    before = map_driver.state(page).get("colourKey")
    t0 = time.perf_counter()
    page.get_by_text("x", exact=True).first.click()
    page.wait_for_function(f"([k, n]) => {{ const r = {map_driver.ROOT_JS}; return r.dataset.colourKey !== k"
                           " && Number(r.dataset.drawn) === n && r.screenPosition(0) !== undefined; }",
                           arg=[before, n], timeout=600_000, polling=20)
    return time.perf_counter() - t0


def measure(n: int, kind: str) -> dict:
    proc, url = serve(n, kind)
    try:
        with browser_page() as page:
            # Warm the server's caches (the points are generated once) so the load times the map alone.
            page.goto(url)
            page.get_by_text("picked:").first.wait_for(timeout=600_000)
            page.goto("about:blank")
            received = map_driver.WebsocketBytes(page)
            t0 = time.perf_counter()
            page.goto(url)
            if kind == "webgl":
                map_driver.wait_drawn(page, points=n, timeout_ms=600_000)
            else:
                page.wait_for_function(PLOTLY_DRAWN, arg=n, timeout=600_000, polling=100)
            drawn = time.perf_counter() - t0
            page.wait_for_timeout(1500)
            loaded = received.since(0)
            # A square lasso in the middle of the map; time mouse-up to Python holding the selection.
            if kind == "webgl":
                box = map_driver.canvas_box(page)
                plot_x, plot_y = box["x"], box["y"]
            else:
                box = page.locator(".stPlotlyChart .js-plotly-plot .nsewdrag").first.bounding_box()
                plot_x, plot_y = box["x"], box["y"]
            cx, cy = box["width"] / 2, box["height"] / 2
            page.mouse.move(plot_x + cx - 40, plot_y + cy - 40)
            page.mouse.down()
            for dx, dy in ((40, -40), (40, 40), (-40, 40), (-40, -40)):
                page.mouse.move(plot_x + cx + dx, plot_y + cy + dy, steps=5)
            t1 = time.perf_counter()
            page.mouse.up()
            page.wait_for_function("() => { const e = [...document.querySelectorAll('p')].find(p => p.innerText.startsWith('picked:'));"
                                   " return e && Number(e.innerText.split(':')[1]) > 0; }", timeout=600_000, polling=50)
            lasso = time.perf_counter() - t1
            recolour = recolour_s(page, n) if kind == "webgl" else float("nan")
            return {"n": n, "kind": kind, "bytes": loaded, "per_point": loaded / n, "drawn_s": drawn, "lasso_s": lasso,
                    "picked": picked(page), "recolour_s": recolour}
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="200000,737280,1000000")
    ap.add_argument("--plotly", default="200000", help="sizes to draw with the plotly map too ('' for none)")
    args = ap.parse_args()
    runs = [(int(s), "webgl") for s in args.sizes.split(",") if s]
    runs += [(int(s), "plotly") for s in args.plotly.split(",") if s]
    results = []
    print(f"{'map':<8} {'points':>10} {'MB received':>12} {'bytes/point':>12} {'load->drawn s':>14} {'lasso s':>8} {'selected':>9}"
          f" {'recolour s':>11}")
    for n, kind in runs:
        r = measure(n, kind)
        results.append(r)
        print(f"{kind:<8} {n:>10,} {r['bytes'] / 1e6:>12.2f} {r['per_point']:>12.1f} {r['drawn_s']:>14.2f} {r['lasso_s']:>8.2f} {r['picked']:>9,}"
              f" {r['recolour_s']:>11.2f}")
    for r in results:
        ref = next((p for p in results if p["kind"] == "plotly" and p["n"] == r["n"]), None)
        if r["kind"] == "webgl" and ref:
            print(f"at {r['n']:,} points the WebGL map receives {ref['bytes'] / r['bytes']:.1f}x fewer bytes, draws "
                  f"{ref['drawn_s'] / r['drawn_s']:.1f}x sooner and answers a lasso {ref['lasso_s'] / r['lasso_s']:.1f}x sooner "
                  "than the plotly map")


if __name__ == "__main__":
    main()
