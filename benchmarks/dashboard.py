"""Dashboard latency in a real browser: first map (cold and warm), slider to
image, and bytes sent per map point (see README.md). Needs Chromium."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.server import (browser_page, dashboard, timed_slider_move, wait_for_decoded,  # noqa: E402
                              wait_for_final_map, wait_for_map, wait_idle)


def first_map(home: Path, label: str) -> tuple[float, float, int]:
    """Seconds from `streamlit run` to the map drawn in an open browser; a tab reload's time; websocket
    bytes of the first load. The browser is started first: its own start-up is not the dashboard's."""
    with browser_page() as page:
        received = [0]
        page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.__setitem__(0, received[0] + len(payload))))
        t0 = time.perf_counter()
        with dashboard(home) as url:
            up = time.perf_counter() - t0
            page.goto(url)
            wait_for_map(page)
            cold = time.perf_counter() - t0
            wait_for_final_map(page)  # the UMAP that replaces a cold server's first view (principal components)
            final = time.perf_counter() - t0
            t1 = time.perf_counter()
            page.reload()
            wait_for_map(page)
            tab = time.perf_counter() - t1
    print(f"  {label:<34} {cold:6.2f} s to the first map (server answering after {up:.2f} s), {final:5.2f} s to the UMAP "
          f"map; a reload of the tab: {tab:5.2f} s")
    return cold, tab, received[0]


def slider_latency(home: Path, moves: int = 8) -> list[float]:
    with dashboard(home) as url, browser_page() as page:
        page.goto(url)
        wait_for_map(page)
        page.get_by_role("link", name="Traverse").first.click()
        wait_for_decoded(page)
        wait_idle(page)
        times = []
        for i in range(moves):
            times.append(timed_slider_move(page, right=i % 2 == 0))
            wait_idle(page)
    return times


def map_bytes() -> tuple[int, int, int]:
    """Bytes of the digits map's points and colours as the WebGL map sends them (binary Arrow), and as the
    plotly figure the Map page drew before (JSON with hover thumbnails), for the same points."""
    import pyarrow as pa
    from streamlit.dataframe_util import convert_anything_to_arrow_bytes

    import latentlab as ll
    from latentlab.analysis.projection import map_points
    from latentlab.ui import figures, scatter

    ds, ck = ll.load_dataset("digits"), ll.load_checkpoint("digits-vae")
    emb = ll.embed(ck, ds)
    xy = ll.project(ck, ds, method="pca")
    values, cat = map_points.colour_values(ds, emb, "label")
    pos, codes = scatter.normalise(xy), scatter.colouring(values, cat, "label").codes
    webgl = (len(convert_anything_to_arrow_bytes(pa.table({"x": pos[:, 0], "y": pos[:, 1]})))
             + len(convert_anything_to_arrow_bytes(pa.table({"c": codes}))))
    texts = figures.hover_texts(ds, emb, "label", values, figures.thumbnails_for(ds))
    plotly = len(figures.map_figure(xy, values, cat, texts, "label").to_json().encode())
    return len(ds), webgl, plotly


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        print("Dashboard on digits with the demo VAE (UMAP map)")
        cold, _, ws_bytes = first_map(home, "cold (new process, empty caches)")
        warm, _, _ = first_map(home, "warm (new process, disk caches)")
        print(f"  warm / cold: {warm / cold:.2f}")
        times = slider_latency(home)
        print(f"  slider move -> new decoded image: median {statistics.median(times) * 1000:.0f} ms "
              f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, {len(times)} moves)")
    n, webgl, plotly = map_bytes()
    print(f"  map data: {webgl / n:.1f} bytes per point (WebGL map, binary); the plotly figure with hover thumbnails it "
          f"replaced: {plotly / n:.0f} ({plotly / webgl:.0f}x); the whole first page load received {ws_bytes / n:.0f} bytes "
          "per point over the websocket")


if __name__ == "__main__":
    main()
