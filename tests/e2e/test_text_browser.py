"""A real browser on a text dataset whose documents attack the page: a <script>, an <img onerror>, Markdown with a
javascript: link and a very long text. Hovering shows each as inert text (no payload runs: the flag each would
set stays unset, and the tooltip's text holds the markup literally); a selection lists the texts, exported
verbatim. The screenshot goes to test-artifacts/text-hover.png."""

import numpy as np
import pandas as pd
import pytest

from tests.e2e import map_driver
from tests.e2e.server import ROOT, browser_available, browser_page, dashboard, open_pca_map, wait_idle
from tests.real_text import docstring_corpus

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not browser_available(), reason="needs Chromium at /usr/bin/chromium and playwright")]

PAYLOADS = [  # each sets a window flag if it ever runs
    "<script>window.__llPwned = 'script'</script> the release notes",
    "<img src=x onerror=\"window.__llPwned = 'img'\"> an image caption",
    "**bold claim** and [a link](javascript:window.__llPwned='markdown') in Markdown",
]
FLAG_JS = "() => window.__llPwned === undefined ? null : window.__llPwned"


def _isolate(page, positions: np.ndarray, i: int, gap: float = 6.0) -> np.ndarray:
    """Zoom in at point ``i`` (the wheel, as a person would) until no other point is drawn within ``gap`` pixels
    of it; returns the points' new positions."""
    box = map_driver.canvas_box(page)
    for _ in range(12):
        others = np.delete(positions, i, axis=0)
        if np.linalg.norm(others - positions[i], axis=1).min() > gap:
            return positions
        page.mouse.move(box["x"] + positions[i, 0], box["y"] + positions[i, 1])
        page.mouse.wheel(0, -400)
        page.wait_for_timeout(300)
        positions = map_driver.screen_positions(page, len(positions))
    raise AssertionError(f"point {i} lies on another point")


def _hover(page, n: int, i: int) -> str:
    """Hover point ``i`` of ``n`` (the view reset, then zoomed in at it while another point covers it) until its
    tooltip has its details; returns the tooltip's text (textContent)."""
    page.mouse.move(5, 5)
    page.locator("[data-testid=ll-map]").locator("button", has_text="Reset view").click()
    page.wait_for_timeout(500)
    positions = _isolate(page, map_driver.screen_positions(page, n), i)
    box = map_driver.canvas_box(page)
    tip = page.locator("[data-testid=ll-map] [data-testid=ll-tip]")
    for _ in range(3):
        page.mouse.move(box["x"] + positions[i, 0] + 3, box["y"] + positions[i, 1] + 3)
        page.mouse.move(box["x"] + positions[i, 0], box["y"] + positions[i, 1])
        try:
            page.wait_for_function(
                f"(i) => {{ const t = {map_driver.ROOT_JS}.querySelector('[data-testid=ll-tip]');"
                " return t.dataset.index === String(i) && t.querySelector('.ll-info').textContent.includes('text'); }",
                arg=i, timeout=10_000)
            return tip.evaluate("(t) => t.textContent")
        except Exception:
            page.mouse.move(5, 5)
    raise AssertionError(f"point {i} never showed its tooltip")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The dataset 'hostile': the payloads, a 15,000-character text (cut to the 10,000-character limit) and real
    docstrings, at rows 0, 1, 2, 3 and after."""
    from latentlab.data.registry import import_text_dataset

    folder = tmp_path_factory.mktemp("e2e-text")
    home = folder / "home"
    home.mkdir()
    texts, labels = docstring_corpus(per_package=12, packages=("email", "json", "logging"))
    long_text = " ".join(texts)[:15_000]
    # each payload beside a real docstring of its own, so the three are not drawn on one spot
    rows = [f"{p} {texts[k]}" for p, k in zip(PAYLOADS, (0, 13, 26))] + [long_text] + list(texts)
    frame = pd.DataFrame({"doc": rows, "source": ["payload"] * 3 + ["long"] + np.asarray(labels).astype(str).tolist()})
    frame.to_csv(folder / "hostile.csv", index=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LATENTLAB_HOME", str(home))
        import_text_dataset(folder / "hostile.csv", "hostile", text="doc", labels="source", encoder="tfidf")
    return home, rows


def test_hover_and_selection_show_hostile_texts_inert(hostile):
    home, rows = hostile
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    with dashboard(home) as url, browser_page() as page:
        open_pca_map(page, url, "hostile", len(rows))

        for i, payload in enumerate(PAYLOADS):
            shown = _hover(page, len(rows), i)
            assert payload in shown  # the markup itself, as text
            assert page.evaluate(FLAG_JS) is None
        tip = page.locator("[data-testid=ll-map] [data-testid=ll-tip]")
        assert tip.locator("img, script, a, strong, b.md").count() == 0  # only the tooltip's own markup
        assert "<script>" in _hover(page, len(rows), 0)
        page.screenshot(path=str(ROOT / "test-artifacts" / "text-hover.png"))

        shown = _hover(page, len(rows), 3)  # the long text: its first 300 characters and an ellipsis
        assert rows[3][:200] in shown and rows[3][400:600] not in shown and "…" in shown
        page.mouse.move(5, 5)
        page.locator("[data-testid=ll-map]").locator("button", has_text="Reset view").click()
        page.wait_for_timeout(500)
        map_driver.screen_positions(page, len(rows))

        # select every point: the selection panel lists the texts; the export holds them whole and verbatim
        box = map_driver.canvas_box(page)
        w, h = box["width"], box["height"]
        map_driver.draw_lasso(page, np.array([[3, 3], [w - 3, 3], [w - 3, h - 3], [3, h - 3]], dtype=float), steps=6)
        map_driver.wait_selected(page, len(rows))
        page.get_by_text(f"Selection: {len(rows):,} points").first.wait_for(timeout=60_000)
        wait_idle(page)
        page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=60_000)  # the texts, listed in a table
        with page.expect_download() as download:
            page.get_by_role("button", name="Export selection as CSV").first.click()
        exported = pd.read_csv(download.value.path(), keep_default_na=False)
        assert exported.sort_values("index")["text"].tolist()[:3] == rows[:3]
        assert exported.sort_values("index")["text"].tolist()[3] == rows[3][:10_000]
        assert page.evaluate(FLAG_JS) is None
        injected = page.evaluate(
            "() => { const roots = [document, ...[...document.querySelectorAll('*')].map(e => e.shadowRoot).filter(Boolean)];"
            " return roots.reduce((n, r) => n + r.querySelectorAll('img[src=\"x\"], a[href^=\"javascript\"]').length, 0); }")
        assert injected == 0
        assert not page.locator("[data-testid='stException']").count()
        page.screenshot(path=str(ROOT / "test-artifacts" / "text-selection.png"), full_page=True)


def test_search_hits_are_ringed_inside_the_map_and_listed_below_it(hostile):
    """A search by meaning rings its hits on the map, wherever they lie in its box, and lists them under the map,
    so the map stays where it was."""
    home, rows = hostile
    with dashboard(home) as url, browser_page(1600, 1000) as page:
        open_pca_map(page, url, "hostile", len(rows))
        top_before = map_driver.canvas_box(page)["y"]
        search = page.get_by_label("Search by meaning")
        search.fill("logging handler records")
        search.press("Enter")
        page.wait_for_function(f"() => {map_driver.ROOT_JS}.querySelectorAll('.ll-rings circle').length === 20",
                               timeout=60_000)
        wait_idle(page)
        rings = map_driver.rings(page)
        assert len(rings["red"]) == 20 and rings["outside"] == 0 and rings["focus"] == []
        xs = [page.evaluate(f"(i) => {map_driver.ROOT_JS}.screenPosition(i)[0]", i) for i in rings["red"]]
        assert max(xs) > 300 or min(xs) < 0  # hits beyond the old 300 px corner are ringed too (when they lie there)
        assert abs(map_driver.canvas_box(page)["y"] - top_before) < 5  # the hits did not push the map down
        box = map_driver.canvas_box(page)
        hits = page.get_by_text("Search: the 20 nearest texts")
        hits.wait_for(timeout=30_000)
        assert hits.bounding_box()["y"] > box["y"] + box["height"]
        page.screenshot(path=str(ROOT / "test-artifacts" / "text-search.png"))
