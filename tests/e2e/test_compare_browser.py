"""A real browser on the Compare page: a lasso on one map selects the same items on the other, both ways.
The screenshot goes to test-artifacts/compare.png."""

import numpy as np
import pytest

from tests.e2e import map_driver
from tests.e2e.server import ROOT, browser_available, browser_page, dashboard, wait_idle

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not browser_available(), reason="needs Chromium at /usr/bin/chromium and playwright")]

ROOTS_JS = map_driver.ROOTS_JS
N = 1797


def selected(page) -> list[int]:
    return page.evaluate(f"() => {ROOTS_JS}.map((r) => Number(r.dataset.selected || 0))")


def positions(page, which: int) -> np.ndarray:
    return map_driver.screen_positions(page, N, which)


def pentagon(pos: np.ndarray, side: int = -1) -> np.ndarray:
    """A pentagon around the left-most (``side=-1``) or right-most (1) group whose edges pass no point closer
    than 3 pixels."""
    end = np.argmin(pos[:, 0]) if side < 0 else np.argmax(pos[:, 0])
    centre = pos[end] + np.array([-25.0 * side, 0.0])
    angles = np.linspace(0, 2 * np.pi, 6)[:-1] + 0.3
    for radius in (45, 50, 55, 60, 65, 70, 40, 35, 75, 80):
        polygon = centre + radius * np.stack([np.cos(angles), np.sin(angles)], 1)
        if map_driver.edge_distance(pos, polygon).min() > 3 and map_driver.inside(pos, polygon).sum() > 10:
            return polygon
    raise AssertionError("no pentagon on the map has edges clear of every point")


def lasso(page, which: int, polygon: np.ndarray) -> None:
    box = page.locator("[data-testid=ll-map] canvas").nth(which).bounding_box()
    page.mouse.move(box["x"] + polygon[0, 0], box["y"] + polygon[0, 1])
    page.mouse.down()
    for px, py in [*polygon[1:], polygon[0]]:
        page.mouse.move(box["x"] + px, box["y"] + py, steps=12)
    page.mouse.up()


def lasso_until_both_show_it(page, which: int, side: int, not_count: int | None = None) -> int:
    """Lasso the outermost group of map ``which`` (left, ``side=-1``, or right) and wait until both maps show that
    many points selected; returns the count. A gesture made while a rerun redraws the map can be lost, so it is
    made once more (positions read again) before the test fails."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(2):
        wait_idle(page)
        pos = positions(page, which)
        polygon = pentagon(pos, side)
        want = int(map_driver.inside(pos, polygon).sum())
        assert want != not_count
        lasso(page, which, polygon)
        try:
            page.wait_for_function(f"(n) => {ROOTS_JS}.every((r) => Number(r.dataset.selected) === n)", arg=want,
                                   timeout=40_000)
            return want
        except PlaywrightTimeout:
            pass
    raise AssertionError(f"after two lassos of {want} points on map {which} the maps show {selected(page)} selected")


def test_a_lasso_on_either_map_selects_the_same_items_on_the_other(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    with dashboard(home) as url, browser_page(width=1600, height=1100) as page:
        page.goto(url)
        map_driver.wait_drawn(page)  # the Map page's map first: A shows the same points on a smaller stage
        page.get_by_role("link", name="Compare").first.click()
        page.get_by_role("heading", name="Compare").first.wait_for(timeout=120_000)
        wait_idle(page)
        # A's map may first be the preview drawn while the server's warm-up makes its UMAP; the page reruns
        # with the UMAP when it is ready, and both maps are drawn again.
        page.wait_for_function("() => !document.body.innerText.includes('map is computed')", timeout=240_000)
        wait_idle(page)
        page.wait_for_function(f"(n) => {{ const r = {ROOTS_JS}; return r.length === 2 && r.every((m) => "
                               "Number(m.dataset.drawn) === n); }", arg=N, timeout=240_000, polling=100)
        wait_idle(page)
        assert selected(page) == [0, 0]
        for which in (0, 1):  # each map's points are fitted left of its legend: none lies under it
            legend = map_driver.legend_box(page, which)
            assert legend is not None and legend["width"] > 20
            assert not map_driver.under_box(positions(page, which), legend).any()

        expected = lasso_until_both_show_it(page, 0, side=-1)
        page.get_by_text(f"Selection: {expected:,} points").first.wait_for(timeout=60_000)
        wait_idle(page)
        assert selected(page) == [expected, expected]
        page.screenshot(path=str(ROOT / "test-artifacts" / "compare.png"), full_page=True)

        # and back: a lasso on B selects the same items on A; another group, so the wait sees the new selection
        again = lasso_until_both_show_it(page, 1, side=1, not_count=expected)
        page.get_by_text(f"Selection: {again:,} points").first.wait_for(timeout=60_000)
        assert not page.locator("[data-testid='stException']").count()
