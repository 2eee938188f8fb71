"""Drive the Map page's WebGL map in a real browser (shared by the browser tests and benchmarks):
wait for its points, read where each is drawn, draw a lasso with the mouse, count websocket bytes."""

from __future__ import annotations

import numpy as np

# The component renders into a shadow root under Streamlit's element.
# The map's root inside its component host (the page router also mounts an empty map that only preloads code).
# Every map's root, in page order.
ROOTS_JS = ("[...document.querySelectorAll('[data-testid=stBidiComponentIsolated]')]"
            ".map((h) => h.shadowRoot && h.shadowRoot.querySelector('[data-testid=ll-map]')).filter(Boolean)")
ROOT_JS = f"({ROOTS_JS}[0] || null)"


def wait_drawn(page, points: int | None = None, timeout_ms: int = 180_000) -> None:
    """Until the map has drawn its points (``points`` of them, when given)."""
    page.wait_for_function(
        f"(n) => {{ const r = {ROOT_JS}; return r && r.dataset.drawn && (n === null || Number(r.dataset.drawn) === n); }}",
        arg=points, timeout=timeout_ms, polling=50,
    )


def state(page) -> dict:
    """The map's data attributes: drawn, selected, pointsKey, colourKey, mode."""
    return page.evaluate(f"() => ({{ ...{ROOT_JS}.dataset }})")


def rings(page) -> dict:
    """The map's rings: the rows ringed red (``red``) and black (``focus``), how many circles lie outside the rings'
    layer or the layer outside the map's box (``outside``), and the points drawn undimmed (``bright``)."""
    return page.evaluate(
        f"() => {{ const r = {ROOT_JS}; const stage = r.querySelector('.ll-stage').getBoundingClientRect();"
        " const layer = r.querySelector('.ll-rings').getBoundingClientRect();"
        " const covers = Math.abs(layer.width - stage.width) <= 3 && Math.abs(layer.height - stage.height) <= 3;"
        " const cs = [...r.querySelectorAll('.ll-rings circle')]; const out = cs.filter((c) => {"
        " const b = c.getBoundingClientRect(); return b.width === 0 || b.left < layer.left - 1 || b.right > layer.right + 1"
        " || b.top < layer.top - 1 || b.bottom > layer.bottom + 1; }).length + (covers ? 0 : 1000);"
        " const rows = (colour) => cs.filter((c) => c.getAttribute('stroke') === colour).map((c) => Number(c.dataset.index));"
        " return { red: rows('#ff2b2b'), focus: rows('#111'), outside: out, bright: r.brightPoints() }; }")


def canvas_box(page) -> dict:
    return page.locator("[data-testid=ll-map] canvas").bounding_box()


def screen_positions(page, n: int, which: int = 0, timeout_ms: int = 60_000) -> np.ndarray:
    """(n, 2) pixel positions of points 0..n-1 relative to the canvas of the ``which``-th map on the page, read in
    one step once that map has drawn at least n points (a redraw under way, or a map just remounted, is waited out)."""
    handle = page.wait_for_function(
        f"([k, n]) => {{ const r = {ROOTS_JS}[k]; if (!r || !(Number(r.dataset.drawn) >= n)) return null;"
        " const out = new Float64Array(2 * n);"
        " try { for (let i = 0; i < n; i++) { const p = r.screenPosition(i); out[2 * i] = p[0]; out[2 * i + 1] = p[1]; } }"
        " catch (e) { return null; }"
        " return Array.from(out); }", arg=[which, n], timeout=timeout_ms, polling=100)
    return np.asarray(handle.json_value()).reshape(n, 2)


def draw_order(page) -> dict:
    """The order the first map draws its points in: how many, whether it is a permutation of them, and
    whether it is their row order."""
    return page.evaluate(
        f"() => {{ const o = {ROOT_JS}.drawOrder() || []; const seen = new Uint8Array(o.length); let perm = true;"
        " let rows = true; for (let i = 0; i < o.length; i++) { const k = o[i];"
        " if (!(k >= 0 && k < o.length) || seen[k]) { perm = false; break; } seen[k] = 1; if (k !== i) rows = false; }"
        " return { n: o.length, permutation: perm, rows: rows }; }")


def inside(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Even-odd rule: which ``points`` lie inside the closed ``polygon`` (both in pixels)."""
    x, y = points[:, 0][:, None], points[:, 1][:, None]
    x0, y0 = polygon[:, 0][None], polygon[:, 1][None]
    x1, y1 = np.roll(polygon[:, 0], -1)[None], np.roll(polygon[:, 1], -1)[None]
    crosses = ((y0 > y) != (y1 > y)) & (x < (x1 - x0) * (y - y0) / np.where(y1 == y0, 1e-12, y1 - y0) + x0)
    return (crosses.sum(1) % 2).astype(bool)


def isolated_point(positions: np.ndarray, gap: float = 4.0) -> int:
    """A point with no other within ``gap`` pixels, so the pointer lands on it alone."""
    nearest = np.sort(np.linalg.norm(positions[:, None] - positions[None], axis=-1), 1)[:, 1]
    return int(np.argmax(nearest > gap))


def clear_rect(points: np.ndarray, margin: float = 3.0) -> np.ndarray:
    """A square (4, 2) around some points whose edges pass no point closer than ``margin`` pixels,
    so a box drawn on it selects the same points whatever rounding the browser does."""
    lo_all, hi_all = points.min(0), points.max(0)
    for half in (40, 50, 60, 30, 70, 25, 80, 20):
        for centre in points[:: max(1, len(points) // 200)]:
            lo, hi = centre - half, centre + half
            if (lo < lo_all).any() or (hi > hi_all).any():
                continue
            rect = np.array([lo, [hi[0], lo[1]], hi, [lo[0], hi[1]]])
            if inside(points, rect).sum() >= 2 and edge_distance(points, rect).min() > margin:
                return rect
    raise AssertionError("no square on the map has edges clear of every point")


def click_point(page, positions: np.ndarray, i: int, tries: int = 3) -> None:
    """Click point ``i`` until the map reports it selected (a click that lands while the page
    re-renders is sometimes not seen)."""
    box = canvas_box(page)
    for attempt in range(tries):
        page.mouse.move(box["x"] + positions[i, 0] + 2, box["y"] + positions[i, 1] + 2)
        page.mouse.click(box["x"] + positions[i, 0], box["y"] + positions[i, 1])
        try:
            wait_selected(page, 1, timeout_ms=10_000)
            return
        except Exception:
            if attempt == tries - 1:
                raise


def edge_distance(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Each point's distance in pixels to the nearest edge of ``polygon``."""
    a, b = polygon, np.roll(polygon, -1, axis=0)
    ab = b - a
    t = np.clip(((points[:, None] - a[None]) * ab[None]).sum(-1) / (ab * ab).sum(-1)[None], 0, 1)
    nearest = a[None] + t[..., None] * ab[None]
    return np.linalg.norm(points[:, None] - nearest, axis=-1).min(1)


def draw_lasso(page, polygon: np.ndarray, steps: int = 12) -> None:
    """Hold the mouse down and trace ``polygon`` (canvas pixels) in the map's Lasso mode."""
    box = canvas_box(page)
    ox, oy = box["x"], box["y"]
    page.mouse.move(ox + polygon[0, 0], oy + polygon[0, 1])
    page.mouse.down()
    for px, py in [*polygon[1:], polygon[0]]:
        page.mouse.move(ox + px, oy + py, steps=steps)
    page.mouse.up()


def wait_selected(page, count: int, timeout_ms: int = 60_000) -> None:
    page.wait_for_function(f"(n) => {{ const r = {ROOT_JS}; return r && Number(r.dataset.selected) === n; }}",
                           arg=count, timeout=timeout_ms)


class WebsocketBytes:
    """Counts the bytes the page receives over Streamlit's websocket."""

    def __init__(self, page):
        self.frames: list[int] = []  # bytes of each frame received
        page.on("websocket", self._attach)

    def _attach(self, ws) -> None:
        ws.on("framereceived", lambda payload: self.frames.append(len(payload or b"")))

    def mark(self) -> int:
        return len(self.frames)

    def since(self, mark: int) -> int:
        return sum(self.frames[mark:])


def legend_box(page, which: int = 0) -> dict | None:
    """The ``which``-th map's legend box relative to its canvas (x, y, width, height in pixels), or None when the
    map shows no legend."""
    return page.evaluate(
        f"(k) => {{ const r = {ROOTS_JS}[k]; const g = r.querySelector('.ll-legend');"
        " if (!g || g.style.display === 'none' || !g.offsetWidth) return null;"
        " const c = r.querySelector('canvas').getBoundingClientRect(); const b = g.getBoundingClientRect();"
        " return { x: b.left - c.left, y: b.top - c.top, width: b.width, height: b.height }; }", which)


def under_box(points: np.ndarray, box: dict) -> np.ndarray:
    """Whether each of ``points`` (canvas pixels) lies inside ``box``."""
    return ((points[:, 0] >= box["x"]) & (points[:, 0] <= box["x"] + box["width"])
            & (points[:, 1] >= box["y"]) & (points[:, 1] <= box["y"] + box["height"]))
