"""A real browser opens the Features page, turns to the demo sparse autoencoder and sees its feature's
top-activating digits as a picture grid. The screenshot goes to test-artifacts/features.png."""

import pytest

from tests.e2e.server import ROOT, browser_available, browser_page, dashboard, wait_idle

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not browser_available(), reason="needs Chromium at /usr/bin/chromium and playwright")]

GRID_JS = ("() => { const el = [...document.querySelectorAll('[data-testid=stImage]')]"
           ".find(e => e.innerText.includes('top-activating items of z'));"
           " const img = el && el.querySelector('img');"
           " return img && img.complete ? [img.naturalWidth, img.naturalHeight, el.innerText] : null; }")


def test_the_features_page_shows_a_features_top_activating_images(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    with dashboard(home) as url, browser_page() as page:
        page.goto(url)
        page.get_by_role("link", name="Features").first.click()
        page.get_by_role("heading", name="Features").first.wait_for(timeout=120_000)
        page.get_by_role("button", name="Show the sparse autoencoder digits-topk-sae").click()
        page.get_by_text("Feature density").first.wait_for(timeout=120_000)
        wait_idle(page)
        page.wait_for_function(f"() => {{ const r = ({GRID_JS})(); return r && r[0] > 0; }}", timeout=60_000)
        width, height, caption = page.evaluate(GRID_JS)
        assert (width, height) == (8 * 66 + 2, 3 * 66 + 2)  # 24 digits, 8 a row, 64-pixel cells
        assert "from digits" in caption and "digit:" in caption
        assert not page.locator("[data-testid='stException']").count()
        page.screenshot(path=str(ROOT / "test-artifacts" / "features.png"), full_page=True)
