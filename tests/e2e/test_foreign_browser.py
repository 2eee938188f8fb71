"""A real browser on a model trained elsewhere: a plain-torch VAE (``tests/foreign_modules.py``, no LatentLab class)
added by its class path; picked in the sidebar, the Map page draws its own map of the digits, and on the Traverse
page a latent slider decodes a new image through the class's decode(z). The screenshot goes to
test-artifacts/foreign-traverse.png."""

import os

import pytest

from tests import foreign_modules as fm
from tests.e2e import map_driver
from tests.e2e.server import (ROOT, browser_available, browser_page, choose, dashboard, slide_and_wait_for_new_picture,
                              wait_idle)

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not browser_available(), reason="needs Chromium at /usr/bin/chromium and playwright")]

DIGITS = 1797


@pytest.fixture
def their_vae(tmp_path, monkeypatch):
    """A workspace holding 'their-vae', the user's PlainVAE added by class path, whose module the server imports
    from PYTHONPATH as the user's environment would."""
    import latentlab as ll

    src = fm.write_module(tmp_path / "src")
    monkeypatch.syspath_prepend(str(src))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")])))
    home = tmp_path / "home"
    monkeypatch.setenv("LATENTLAB_HOME", str(home))
    weights = fm.save_weights(fm.built("PlainVAE", seed=3, latent=3), tmp_path / "vae.safetensors")
    ll.add_checkpoint("their-vae", "digits", class_path=f"{fm.MODULE}:PlainVAE", weights=weights,
                      config=fm.write_config(tmp_path / "vae.json", latent=3))
    return home


def _redrawn(page, key: str) -> None:
    """Until the map has drawn every digit from points other than those of ``key``."""
    page.wait_for_function(f"(k) => {{ const r = {map_driver.ROOT_JS}; return r && r.dataset.pointsKey !== k"
                           f" && Number(r.dataset.drawn) === {DIGITS}; }}", arg=key, timeout=90_000)
    wait_idle(page)


def test_a_class_path_model_maps_and_its_slider_decodes(their_vae):
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    with dashboard(their_vae) as url, browser_page() as page:
        page.goto(url)
        map_driver.wait_drawn(page, points=DIGITS)
        for label, option, sidebar in (("Projection", "pca", False),  # a map that needs no background job
                                       ("Checkpoint", "their-vae", True)):  # then the added model's codes
            before = map_driver.state(page)["pointsKey"]
            choose(page, label, option, sidebar)
            _redrawn(page, before)
        chosen = page.locator("[data-testid='stSidebar'] input[aria-label='Checkpoint']").input_value()
        assert chosen == "their-vae · foreign · digits"  # name · model · the dataset it was trained on
        assert not page.locator("[data-testid='stException']").count()

        page.get_by_role("link", name="Traverse").first.click()
        page.get_by_role("heading", name="Traverse").first.wait_for(timeout=60_000)
        wait_idle(page)
        slide_and_wait_for_new_picture(page)
        assert not page.locator("[data-testid='stError'], [data-testid='stException']").count()
        page.screenshot(path=str(ROOT / "test-artifacts" / "foreign-traverse.png"), full_page=True)
