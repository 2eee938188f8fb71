"""A real browser on a small signals dataset (2,000 items of the built-in ``signals`` set) with a quickly trained
VAE: hovering a point on the Map page shows that item's curve (the item route's PNG, the very picture the engine
draws for it), a selection shows its inputs under their reconstructions, and on the Traverse page moving a
latent slider redraws the decoded curve (the plotly chart's data becomes the decoder's output at the slider's new
value). Screenshots go to test-artifacts/signal-*.png."""

import re

import numpy as np
import pytest

from tests.e2e import map_driver
from tests.e2e.server import ROOT, browser_available, browser_page, dashboard, open_pca_map, wait_idle

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not browser_available(), reason="needs Chromium at /usr/bin/chromium and playwright")]

N = 2_000
SHOTS = ROOT / "test-artifacts"
# the Traverse page's plotly chart of the curve the sliders decode
DECODED_JS = ("[...document.querySelectorAll('.js-plotly-plot')].find(g => g.layout && g.layout.title &&"
              " String(g.layout.title.text || g.layout.title).includes('decoded from the sliders'))")
# its traces' y values by name, from the data plotly drew (its _fullData: the typed arrays decoded)
TRACES_JS = (f"() => {{ const gd = {DECODED_JS}; if (!gd) return null;"
             " return Object.fromEntries(gd._fullData.map(t => [t.name, Array.from(t.y)])); }")


def _goto(page, title: str) -> None:
    page.get_by_role("link", name=title).first.click()
    page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
    wait_idle(page)


@pytest.fixture(scope="module")
def signals_home(tmp_path_factory):
    """A workspace with 'sig-e2e' (a seeded random 2,000 of the signals) and 'sig-e2e-vae' trained on it briefly."""
    import latentlab as ll
    from latentlab.data import load_dataset, save_dataset
    from latentlab.training.trainer import TrainConfig

    home = tmp_path_factory.mktemp("e2e-signals") / "home"
    home.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LATENTLAB_HOME", str(home))
        index = np.sort(np.random.default_rng(0).choice(32_768, N, replace=False))
        save_dataset(load_dataset("signals").subset(index, name="sig-e2e"))
        ll.train("sig-e2e", "vae", {"latent_dim": 4}, TrainConfig(steps=150, batch_size=64, seed=0), name="sig-e2e-vae")
    return home


def test_hover_shows_the_curve_and_a_slider_redraws_it(signals_home, monkeypatch):
    from latentlab import lab
    from latentlab.core.curve_render import curve_picture
    from latentlab.core.render import png_bytes
    from latentlab.data import load_dataset
    from latentlab.lab import load_checkpoint

    monkeypatch.setenv("LATENTLAB_HOME", str(signals_home))
    ds = load_dataset("sig-e2e")
    ck = load_checkpoint("sig-e2e-vae")
    SHOTS.mkdir(exist_ok=True)
    with dashboard(signals_home) as url, browser_page() as page:
        open_pca_map(page, url, "sig-e2e", N)

        # hover: the tooltip shows the item route's PNG of that item, the curve the engine draws for it
        pos = map_driver.screen_positions(page, N)
        i = map_driver.isolated_point(pos)
        box = map_driver.canvas_box(page)
        tip = page.locator("[data-testid=ll-map] [data-testid=ll-tip]")
        page.mouse.move(box["x"] + pos[i, 0] + 2, box["y"] + pos[i, 1] + 2)
        page.mouse.move(box["x"] + pos[i, 0], box["y"] + pos[i, 1])
        page.wait_for_function(
            f"(i) => {{ const t = {map_driver.ROOT_JS}.querySelector('[data-testid=ll-tip]'); const img = t && t.querySelector('img');"
            " return t.dataset.index === String(i) && img && img.complete && img.naturalWidth >= 64; }", arg=i, timeout=30_000)
        src = tip.locator("img").first.get_attribute("src")
        assert f"/latentlab/items/sig-e2e/{ds.fingerprint[:16]}/{i}.png" in src
        served = page.request.get(page.evaluate("(s) => new URL(s, document.baseURI).href", src))
        assert served.ok and served.headers["content-type"] == "image/png"
        assert served.body() == png_bytes(curve_picture(np.asarray(ds.x[i])))
        assert page.evaluate(f"() => {map_driver.ROOT_JS}.querySelector('[data-testid=ll-tip] img').naturalWidth") == 96
        page.screenshot(path=str(SHOTS / "signal-hover.png"))

        # a click selects the point: the panel draws its input under its reconstruction
        page.mouse.move(5, 5)
        map_driver.click_point(page, pos, i)
        page.get_by_text(f"Point #{i}").first.wait_for(timeout=60_000)
        page.get_by_text("inputs (solid) and reconstructions (dashed)").first.wait_for(timeout=60_000)
        wait_idle(page)
        page.wait_for_function(  # plotly draws once its chart scrolls near the view
            "() => [...document.querySelectorAll('.js-plotly-plot')].some(g => g.data &&"
            " ['Cz input', 'Cz reconstruction', 'Oz reconstruction'].every(n => g.data.some(t => t.name === n)))",
            timeout=60_000)
        assert not page.locator("[data-testid='stException']").count()
        page.mouse.move(5, 5)
        page.get_by_text("inputs (solid) and reconstructions (dashed)").first.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        page.screenshot(path=str(SHOTS / "signal-selection.png"))

        # Traverse, from item 0: moving the first latent slider redraws the decoded curve, the input stays
        _goto(page, "Traverse")
        page.wait_for_function(f"() => !!({DECODED_JS})", timeout=60_000)
        before = page.evaluate(TRACES_JS)
        assert set(before) == {"Cz input", "Pz input", "Oz input", "Cz decoded", "Pz decoded", "Oz decoded"}
        emb = lab.embed(ck, ds)
        z = lab.base_latent(ck, emb, 0).astype(np.float32)
        start = lab.decode_latents(ck.model, z)[0]
        np.testing.assert_allclose(before["Cz decoded"], start[0], atol=1e-4)
        np.testing.assert_allclose(before["Oz input"], ds.as_float([0])[0][2], atol=1e-6)

        # the first latent slider (labelled z<d>), found by its label: while the page settles, the grid's "Steps"
        # slider can stand second in the page
        latent = page.locator("[data-testid='stSlider']").filter(has_text=re.compile(r"^\s*z\d"))
        latent.first.wait_for(timeout=60_000)
        slider = latent.first.get_by_role("slider")
        label = latent.first.inner_text()
        d = int(label.split()[0].lstrip("z"))
        assert d == lab.activity_order(emb)[0]
        slider.focus()
        for _ in range(15):
            page.keyboard.press("ArrowRight")
        page.wait_for_function(
            f"(b) => {{ const gd = {DECODED_JS}; const t = gd && gd._fullData.find(t => t.name === 'Cz decoded');"
            " return t && Array.from(t.y).some((v, k) => Math.abs(v - b[k]) > 1e-3); }",
            arg=before["Cz decoded"], timeout=60_000)
        wait_idle(page)
        after = page.evaluate(TRACES_JS)
        # the slider shows its value to two decimals: the chart is the decoder's output at a value that rounds to it
        shown = float(latent.first.locator("[data-testid='stSliderThumbValue']").inner_text())
        assert shown > z[d]
        candidates = np.repeat(z[None], 201, axis=0)
        candidates[:, d] = np.linspace(shown - 0.005, shown + 0.005, 201)
        decoded = lab.decode_latents(ck.model, candidates)  # (201, C, T)
        drawn = np.stack([after[f"{name} decoded"] for name in ("Cz", "Pz", "Oz")])
        error = np.abs(decoded - drawn[None]).max(axis=(1, 2))
        assert error.min() < 2e-4, error.min()
        moved = decoded[error.argmin()]
        for name in ("Cz", "Pz", "Oz"):
            assert after[f"{name} input"] == before[f"{name} input"]
        assert np.abs(moved - start).max() > 0.05  # the slider moved the curve visibly
        assert not page.locator("[data-testid='stException']").count()
        page.screenshot(path=str(SHOTS / "signal-traverse.png"))
