"""A real browser on the Train page's formation view: a run chosen draws its probe's map at the first snapshot, and
moving the step slider draws the frame of the step it lands on. The screenshot goes to
test-artifacts/formation.png."""

import pytest

from tests.e2e.server import ROOT, browser_available, browser_page, dashboard, wait_idle

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not browser_available(), reason="needs Chromium at /usr/bin/chromium and playwright")]

SHOTS = ROOT / "test-artifacts"
# the title of every drawn plotly chart, as text (Streamlit's theme wraps titles in <b>)
TITLES_JS = ("() => [...document.querySelectorAll('.js-plotly-plot')].map(g => g.layout && g.layout.title"
             " ? String(g.layout.title.text || g.layout.title).replace(/<[^>]*>/g, '') : '')")


def test_the_step_slider_moves_the_frame(tmp_path, monkeypatch):
    import latentlab as ll
    from latentlab.training.trainer import TrainConfig

    home = tmp_path / "home"
    monkeypatch.setenv("LATENTLAB_HOME", str(home))
    ll.train("digits", "vae", {"latent_dim": 2, "hidden": "16"}, TrainConfig(steps=6, batch_size=64, snapshot_every=3),
             name="formed")
    ll.dynamics("formed")  # the aligned maps cached, as after a first look
    SHOTS.mkdir(exist_ok=True)
    with dashboard(home) as url, browser_page(1600, 1000) as page:
        page.goto(url + "/train")
        page.get_by_role("heading", name="Formation of the latent space").wait_for(timeout=120_000)
        wait_idle(page)
        # a fresh server's first visit to a deep link gets the dashboard's navigation, not the pages/ folder's
        nav = page.locator("[data-testid='stSidebarNav']").inner_text()
        assert "Traverse" in nav and "dashboard" not in nav, nav
        page.locator("[data-testid='stMultiSelect']", has_text="Runs").first.click()
        page.keyboard.type("formed")
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => ({TITLES_JS})().includes('formed: step 0')", timeout=60_000)
        page.keyboard.press("Escape")
        wait_idle(page)
        thumb = page.locator("[data-testid='stSlider']", has_text="Step").get_by_role("slider").last
        thumb.scroll_into_view_if_needed()
        thumb.focus()
        page.keyboard.press("End")
        page.wait_for_function(f"() => ({TITLES_JS})().includes('formed: step 6')", timeout=30_000)
        wait_idle(page)  # the step-0 frame, stale while the fragment reran, is gone once the page is idle
        page.wait_for_function(f"() => !({TITLES_JS})().includes('formed: step 0')", timeout=10_000)
        page.get_by_role("heading", name="Formation of the latent space").scroll_into_view_if_needed()
        page.mouse.wheel(0, 300)
        wait_idle(page)
        page.screenshot(path=str(SHOTS / "formation.png"), full_page=False)
