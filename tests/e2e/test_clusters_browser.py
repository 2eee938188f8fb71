"""A real browser on the Clusters page at 1600x1000: a click on a rule in the Rules tab selects its items on the
map beside the table, and both the table and the map are in view while it does. The screenshots go to
test-artifacts/clusters-*.png."""

import re

import pytest

from tests.e2e import map_driver
from tests.e2e.server import ROOT, browser_available, browser_page, dashboard, wait_for_final_map, wait_idle

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not browser_available(), reason="needs Chromium at /usr/bin/chromium and playwright")]

WIDTH, HEIGHT = 1600, 1000
ROW_PX = 35  # the height of a header or data row of Streamlit's data grid


def inside_viewport(box: dict) -> bool:
    return box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= WIDTH and box["y"] + box["height"] <= HEIGHT


def test_a_click_on_a_rule_selects_its_items_on_the_map_in_view(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    shots = ROOT / "test-artifacts"
    shots.mkdir(exist_ok=True)
    with dashboard(home) as url, browser_page(WIDTH, HEIGHT) as page:
        page.goto(url)
        wait_for_final_map(page)
        page.get_by_role("link", name="Clusters").first.click()
        page.get_by_role("heading", name="Clusters").first.wait_for(timeout=120_000)
        page.get_by_text("Export cluster labels").first.wait_for(timeout=180_000)
        map_driver.wait_drawn(page, points=1797)
        wait_idle(page)
        assert map_driver.state(page).get("selected", "0") == "0"
        page.screenshot(path=str(shots / "clusters.png"))

        page.get_by_role("tab", name="Rules").click()
        table = page.locator("[data-testid='stDataFrame']").filter(visible=True).first
        table.wait_for(timeout=60_000)
        wait_idle(page)
        table.scroll_into_view_if_needed()
        box = table.bounding_box()
        row = 2
        click = (box["x"] + 14, box["y"] + ROW_PX * (row + 1) + ROW_PX / 2)  # the row's selection box, at the left
        assert 0 < click[1] < HEIGHT, f"the rules table's row {row} is out of view at y = {click[1]:.0f}"
        page.mouse.click(*click)

        page.get_by_text(re.compile(r"[\d,]+ items selected")).first.wait_for(timeout=60_000)
        wait_idle(page)
        said = page.get_by_text(re.compile(r"[\d,]+ items selected")).first.inner_text()
        count = int(re.search(r"([\d,]+) items selected", said).group(1).replace(",", ""))
        assert count > 0
        map_driver.wait_selected(page, count)  # the map draws that many selected
        canvas = page.locator("[data-testid=ll-map] canvas").first.bounding_box()
        assert inside_viewport(canvas), f"the map at {canvas} is not wholly in the {WIDTH}x{HEIGHT} view"
        still = table.bounding_box()["y"] + ROW_PX * (row + 2)  # the clicked row's bottom, after the rerun
        assert 0 < still <= HEIGHT, "the clicked rule scrolled out of view"
        assert not page.locator("[data-testid='stException']").count()
        page.screenshot(path=str(shots / "clusters-rule-clicked.png"))

        page.get_by_role("tab", name="Rule tree").click()
        page.locator(".js-plotly-plot").filter(visible=True).first.wait_for(timeout=60_000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(shots / "clusters-tree.png"))
        page.get_by_role("tab", name="Inspect a cluster").click()
        page.get_by_text("members (random sample)").first.wait_for(timeout=60_000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(shots / "clusters-inspect.png"))
