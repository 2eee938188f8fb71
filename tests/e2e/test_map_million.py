"""A million precomputed vectors on the Map page in a real browser: they map, a recolouring sends
the colour codes and not the points again, and a lasso's selection comes back to Python."""

import os

import numpy as np
import pytest

from tests.e2e import map_driver
from tests.e2e.server import ROOT, browser_available, browser_page, dashboard, wait_idle

pytestmark = [pytest.mark.e2e, pytest.mark.slow,
              pytest.mark.skipif(not browser_available(), reason="needs Chromium at /usr/bin/chromium and playwright")]

N = 1_000_000
SHOTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def million(tmp_path_factory):
    from latentlab.data import import_dataset

    home = tmp_path_factory.mktemp("e2e-million") / "home"
    home.mkdir()
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=5, size=(10, 8))
    labels = rng.integers(0, 10, N)
    x = (centres[labels] + rng.normal(size=(N, 8))).astype(np.float32)
    np.savez(home.parent / "million.npz", x=x, labels=labels)
    saved = os.environ.get("LATENTLAB_HOME")
    os.environ["LATENTLAB_HOME"] = str(home)
    try:
        import_dataset(home.parent / "million.npz", "million", labels="labels", kind="embedding")
    finally:
        if saved is None:
            del os.environ["LATENTLAB_HOME"]
        else:
            os.environ["LATENTLAB_HOME"] = saved
    with dashboard(home) as url, browser_page() as page:
        received = map_driver.WebsocketBytes(page)
        page.goto(url)
        map_driver.wait_drawn(page)
        wait_idle(page)
        choose(page, "Projection", "pca", sidebar=False)  # UMAP of a million points would run as a job
        map_driver.wait_drawn(page)
        wait_idle(page)
        mark = received.mark()
        choose(page, "Dataset", "million", sidebar=True)
        map_driver.wait_drawn(page, points=N, timeout_ms=300_000)
        wait_idle(page)
        yield page, received, received.since(mark)


def choose(page, label: str, option: str, sidebar: bool) -> None:
    scope = page.locator("[data-testid='stSidebar']") if sidebar else page.locator("[data-testid='stMain']")
    box = scope.locator("[data-testid='stSelectbox']", has_text=label).first
    box.click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")


def test_a_million_vectors_map_at_a_few_bytes_per_point(million):
    page, received, loaded = million
    assert map_driver.state(page)["drawn"] == str(N)
    # Drawn in a shuffled order, not row order, so no class covers the others by coming last.
    assert map_driver.draw_order(page) == {"n": N, "permutation": True, "rows": False}
    page.get_by_text("1,000,000").first.wait_for(timeout=30_000)
    assert 5 * N <= loaded < 7 * N  # x, y as uint16 steps and a one-byte colour code, plus the page
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "map-million.png"))


def test_recolouring_sends_the_colour_codes_not_the_points(million):
    page, received, _ = million
    before = map_driver.state(page)
    mark = received.mark()
    choose(page, "Colour by", "z0", sidebar=False)
    page.wait_for_function(f"(k) => {map_driver.ROOT_JS}.dataset.colourKey !== k", arg=before["colourKey"],
                           timeout=120_000)
    wait_idle(page)
    page.wait_for_timeout(1000)
    wait_idle(page)
    after = map_driver.state(page)
    assert after["pointsKey"] == before["pointsKey"]
    assert N <= received.since(mark) < 2 * N  # the codes (one byte a point), never the 4 MB of positions


def test_a_lasso_on_a_million_points_comes_back_to_python(million):
    page, _, _ = million
    box = map_driver.canvas_box(page)
    cx, cy = box["width"] / 2, box["height"] / 2
    square = np.array([[cx - 60, cy - 60], [cx + 60, cy - 60], [cx + 60, cy + 60], [cx - 60, cy + 60]])
    map_driver.draw_lasso(page, square, steps=6)
    page.wait_for_function(f"() => Number({map_driver.ROOT_JS}.dataset.selected) > 0", timeout=120_000)
    selected = int(map_driver.state(page)["selected"])
    assert selected > 1000  # the lasso's points, not the one under the pointer where it closed
    page.get_by_text(f"Selection: {selected:,} points").first.wait_for(timeout=120_000)
