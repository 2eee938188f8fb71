"""A real browser against a real `streamlit run` server: every page opens, the
map draws and answers a lasso selection, a traversal slider changes the
decoded image, and a CSV upload becomes a dataset. Screenshots go to
test-artifacts/ for a person to look at."""

import os
from pathlib import Path

import pytest

from tests.e2e import map_driver
from tests.e2e.server import (ROOT, SLIDERS_JS, browser_available, browser_page, dashboard, slide_and_wait_for_new_picture,
                              wait_for_decoded, wait_for_final_map, wait_for_map, wait_idle)

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not browser_available(), reason="needs Chromium at /usr/bin/chromium and playwright")]

SHOTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    home = tmp_path_factory.mktemp("e2e") / "home"
    home.mkdir()
    SHOTS.mkdir(exist_ok=True)
    with dashboard(home) as url, browser_page() as page:
        page.goto(url)
        wait_for_final_map(page)
        wait_idle(page)
        yield url, page


def shot(page, name: str) -> Path:
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("LATENTLAB_UPDATE_DOCS") and name in ("map", "traverse"):
        (ROOT / "docs").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "docs" / f"{name}.png"))
    return path


def upload_and_import(page, path: Path) -> None:
    """Upload a file on the Data page and press Import once its own form is shown."""
    page.locator("input[type='file']").first.set_input_files(str(path))
    page.wait_for_function(
        "(stem) => [...document.querySelectorAll('input[type=text]')].some(i => i.value === stem)",
        arg=path.stem, timeout=30_000,
    )
    wait_idle(page)
    page.get_by_role("button", name="Import").click()


def goto(page, url: str, title: str) -> None:
    page.get_by_role("link", name=title).first.click()
    page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
    wait_idle(page)


def test_a_lasso_returns_exactly_the_points_inside_it(app, tmp_path):
    import numpy as np
    import pandas as pd

    url, page = app
    assert page.get_by_role("heading", name="Map").first.is_visible()
    shot(page, "map")
    assert map_driver.draw_order(page) == {"n": 1797, "permutation": True, "rows": False}
    pos = map_driver.screen_positions(page, 1797)
    # A pentagon around the left-most group, its edges clear of every point by a few pixels.
    left = pos[np.argmin(pos[:, 0])]
    # centre, radius and turn tried until no point lies within 3 px of an edge: which is clear depends on the layout
    candidates = [left + shift + radius * np.stack([np.cos(a), np.sin(a)], 1)
                  for shift in np.array([[25.0, 0], [30, 0], [20, 0], [25, 10], [25, -10], [35, 5], [15, -5]])
                  for radius in (45, 50, 55, 60, 65, 70, 40, 35) for turn in np.linspace(0.3, 0.3 + 2 * np.pi / 5, 9)[:-1]
                  for a in [np.linspace(0, 2 * np.pi, 6)[:-1] + turn]]
    polygon = next(p for p in candidates if map_driver.edge_distance(pos, p).min() > 3)
    expected = np.flatnonzero(map_driver.inside(pos, polygon))
    assert len(expected) > 10
    map_driver.draw_lasso(page, polygon)
    map_driver.wait_selected(page, len(expected))
    page.get_by_text(f"Selection: {len(expected):,} points").first.wait_for(timeout=60_000)
    wait_idle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export selection as CSV").first.click()
    exported = pd.read_csv(download.value.path())
    assert sorted(exported["index"]) == expected.tolist()
    shot(page, "map-selection")
    page.locator("[data-testid=ll-map]").locator("button", has_text="Select none").click()
    map_driver.wait_selected(page, 0)
    page.get_by_text("Lasso or box-select points").first.wait_for(timeout=60_000)


def test_hover_shows_the_items_picture_and_label(app):
    url, page = app
    pos = map_driver.screen_positions(page, 1797)
    i = map_driver.isolated_point(pos)
    box = map_driver.canvas_box(page)
    page.mouse.move(box["x"] + pos[i, 0] + 1, box["y"] + pos[i, 1] + 1)
    page.mouse.move(box["x"] + pos[i, 0], box["y"] + pos[i, 1])
    tip = page.locator("[data-testid=ll-map] [data-testid=ll-tip]")
    tip.locator("img").wait_for(timeout=30_000)
    page.wait_for_function(
        f"() => {{ const img = {map_driver.ROOT_JS}.querySelector('[data-testid=ll-tip] img');"
        " return img && img.complete && img.naturalWidth >= 64; }", timeout=30_000)
    from latentlab.data import load_dataset

    assert tip.get_attribute("data-index") == str(i)
    page.wait_for_function(f"() => {map_driver.ROOT_JS}.querySelector('[data-testid=ll-tip]').innerText.includes('digit:')",
                           timeout=30_000)
    assert f"digit: {load_dataset('digits').labels[i]}" in tip.inner_text()
    shot(page, "map-hover")
    page.mouse.move(5, 5)


def test_click_box_and_zoom(app):
    """A click rings the point's nearest neighbours; a box selects what it covers; zoom survives a rerun."""
    import numpy as np

    url, page = app
    pos = map_driver.screen_positions(page, 1797)
    i = map_driver.isolated_point(pos)
    box = map_driver.canvas_box(page)
    map_driver.click_point(page, pos, i)
    page.get_by_text(f"Point #{i}").first.wait_for(timeout=60_000)
    # the clicked point ringed in black, its 8 neighbours in red, all inside the map's box and drawn bright
    page.wait_for_function(f"() => {map_driver.ROOT_JS}.querySelectorAll('.ll-rings circle').length === 9", timeout=30_000)
    rings = map_driver.rings(page)
    assert rings["focus"] == [i] and len(rings["red"]) == 8 and rings["outside"] == 0
    assert set(rings["bright"]) == {i, *rings["red"]}
    assert map_driver.state(page)["selected"] == "1"

    tools = page.locator("[data-testid=ll-map]")
    tools.locator("button", has_text="Box").click()
    rect = map_driver.clear_rect(pos)
    lo, hi = rect[0], rect[2]
    expected = int(map_driver.inside(pos, rect).sum())
    page.mouse.move(box["x"] + lo[0], box["y"] + lo[1])
    page.mouse.down()
    page.mouse.move(box["x"] + lo[0] + 1, box["y"] + lo[1] + 1)  # the box starts where the drag is first seen
    page.mouse.move(box["x"] + hi[0], box["y"] + hi[1], steps=10)
    page.mouse.up()
    map_driver.wait_selected(page, expected)
    page.get_by_text(f"Selection: {expected:,} points" if expected > 1 else "Point #").first.wait_for(timeout=60_000)
    tools.locator("button", has_text="Lasso").click()

    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    page.wait_for_timeout(800)
    zoomed = map_driver.screen_positions(page, 5)
    assert not np.allclose(zoomed, pos[:5], atol=1)
    before = map_driver.state(page)["colourKey"]
    colour = page.locator("[data-testid='stMain'] [data-testid='stSelectbox']", has_text="Colour by").first
    colour.click()
    page.keyboard.type("z0")
    page.keyboard.press("Enter")
    page.wait_for_function(f"(k) => {map_driver.ROOT_JS}.dataset.colourKey !== k", arg=before, timeout=60_000)
    wait_idle(page)
    assert np.allclose(map_driver.screen_positions(page, 5), zoomed, atol=0.5)  # the rerun kept the view
    colour.click()
    page.keyboard.type("label")
    page.keyboard.press("Enter")
    wait_idle(page)
    tools.locator("button", has_text="Reset view").click()
    tools.locator("button", has_text="Select none").click()
    page.wait_for_timeout(800)


def test_the_clusters_page_draws_the_same_points_as_a_map_to_look_at(app):
    url, page = app
    goto(page, url, "Clusters")
    page.get_by_text("Export cluster labels").first.wait_for(timeout=120_000)
    map_driver.wait_drawn(page, points=1797)  # the Map page's points, already in this browser, drawn again
    assert map_driver.state(page)["mode"] == "pan"  # no lasso: the page takes no selection
    goto(page, url, "Map")
    map_driver.wait_drawn(page, points=1797)


def test_traversal_slider_changes_the_decoded_image_and_reset_brings_it_back(app):
    url, page = app
    goto(page, url, "Traverse")
    wait_for_decoded(page)
    first = page.evaluate(f"() => {SLIDERS_JS}.querySelector('[data-testid=ll-decoded]').src")
    slide_and_wait_for_new_picture(page)
    readout = page.locator("[data-testid=ll-sliders] .value").first.inner_text()
    shot(page, "traverse")
    page.locator("[data-testid=ll-sliders] button", has_text="Reset sliders").click()
    page.wait_for_function(f"(b) => {SLIDERS_JS}.querySelector('[data-testid=ll-decoded]').src === b", arg=first)
    assert page.locator("[data-testid=ll-sliders] .value").first.inner_text() != readout  # the handle went back too


def test_every_page_opens(app):
    url, page = app
    for title in ("Clusters", "Metrics", "Train", "Data"):
        goto(page, url, title)
        assert not page.locator("[data-testid='stException']").count()
        shot(page, title.lower())


def test_csv_upload_becomes_a_dataset(app, tmp_path):
    url, page = app
    goto(page, url, "Data")
    csv = tmp_path / "iris_like.csv"
    rows = ["a,b,c,species"] + [f"{i % 7},{(i * 3) % 5},{i / 10},{'xy'[i % 2]}" for i in range(40)]
    csv.write_text("\n".join(rows))
    upload_and_import(page, csv)
    page.get_by_text("Imported 'iris_like'").first.wait_for(timeout=60_000)
    shot(page, "data-upload")


@pytest.mark.parametrize("file_name,content,phrase", [
    ("ragged.csv", b"a,b,c\n1,2,3\n4,5\n", "line 3 has 2 fields"),
    ("fake.zip", b"PK\x03\x04 not a zip" * 20, "not a valid ZIP"),
])
def test_hostile_upload_shows_one_clear_error(app, tmp_path, file_name, content, phrase):
    url, page = app
    goto(page, url, "Data")
    path = tmp_path / file_name
    path.write_bytes(content)
    upload_and_import(page, path)
    alert = page.locator("[data-testid='stAlertContentError']", has_text=phrase).first
    try:
        alert.wait_for(timeout=60_000)
    finally:
        shot(page, f"upload-refused-{path.stem}")
    assert "\n" not in alert.inner_text().strip()
    assert not page.locator("[data-testid='stException']").count()
    shot(page, f"upload-refused-{path.stem}")


def test_clicking_a_metrics_heatmap_cell_opens_that_latents_traversal(app, tmp_path_factory):
    import numpy as np

    from latentlab.data import import_dataset, load_dataset
    from latentlab.lab import score

    home = tmp_path_factory.mktemp("e2e-metrics") / "home"
    home.mkdir()
    os.environ["LATENTLAB_HOME"] = str(home)
    try:
        small = load_dataset("shapes-600")
        np.savez(home.parent / "tiny.npz", x=small.x, labels=small.labels, factors=small.factors.to_numpy())
        import_dataset(home.parent / "tiny.npz", "tiny-shapes")
        score("shapes-beta-tcvae", "tiny-shapes", None, n=600, seed=0)  # the page's defaults, so it renders at once
    finally:
        del os.environ["LATENTLAB_HOME"]
    main_url, page = app  # one browser for the module; this test's own server and workspace
    with dashboard(home) as url:
        page.goto(url)
        wait_for_map(page)
        goto(page, url, "Metrics")
        picker = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first
        picker.click()
        page.keyboard.type("tiny-shapes")
        page.keyboard.press("Enter")
        page.get_by_text("I(z; factor) / H(factor)").first.wait_for(timeout=120_000)
        wait_idle(page)
        # The centre of the cell (z1, factor 3) of the first heatmap, from plotly's own axes.
        find = ("[...document.querySelectorAll('.js-plotly-plot')].find(g => g.layout && g.layout.title &&"
                " String(g.layout.title.text || g.layout.title).includes('I(z; factor)'))")
        page.evaluate(f"() => {find}.scrollIntoView({{block: 'center'}})")
        page.wait_for_timeout(500)
        x, y = page.evaluate(
            f"() => {{ const gd = {find}; const r = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis,"
            " ya = gd._fullLayout.yaxis; return [r.left + xa._offset + xa.l2p(3), r.top + ya._offset + ya.l2p(1)]; }"
        )
        page.mouse.click(x, y)
        try:
            page.get_by_text("Traversal of z1").first.wait_for(timeout=60_000)
            assert not page.locator("[data-testid='stException']").count()
        finally:
            shot(page, "metrics-cell-traversal")
    page.goto(main_url)
    wait_for_map(page)
