"""A shared map opened from file:// in Chromium with every network request refused: it draws all its points,
its search finds a cluster's name and a text, and a lasso shows how many points it holds and their labels."""

import numpy as np
import pytest

from tests.e2e.server import browser_available, browser_page

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not browser_available(), reason="needs Chromium and playwright")]

N = 20_000


@pytest.fixture(scope="module")
def shared_file(tmp_path_factory):
    from latentlab.analysis.projection.labels import label_anchors
    from latentlab.figures.labels import cluster_texts
    from latentlab.figures.output import write_bytes
    from latentlab.figures.share import share_html

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 6, N)
    xy = rng.normal(size=(6, 2))[labels] * 6 + rng.normal(size=(N, 2))
    names = {c: f"family {'abcdef'[c]}" for c in range(6)}
    texts = [f"item {i} about {'abcdef'[c]}-things" + (" platypus" if i == 777 else "") for i, c in enumerate(labels)]
    page = share_html(xy, [("label", labels, True), ("cluster", labels, True)], "six families",
                      label_anchors(xy, labels), cluster_texts(labels, names=names), texts)
    path = tmp_path_factory.mktemp("share") / "map.html"
    write_bytes(path, page)
    return path, labels


def test_the_file_opens_offline_and_draws_searches_and_lassoes(shared_file):
    path, labels = shared_file
    refused = []
    with browser_page(1600, 1000) as page:
        def route(r):
            if r.request.url.startswith("file:"):
                return r.continue_()
            refused.append(r.request.url)
            return r.abort()

        page.route("**/*", route)
        page.goto(path.as_uri())
        page.wait_for_function("() => document.querySelector('#ll-root').dataset.drawn || document.body.dataset.error",
                               timeout=60_000)
        assert page.evaluate("document.body.dataset.error") is None
        assert page.evaluate("document.querySelector('#ll-root').dataset.drawn") == str(N)
        assert int(page.evaluate("document.querySelector('#ll-labels').dataset.labels")) == 6
        assert refused == []

        page.fill("#ll-search", "family c")
        page.wait_for_function("(n) => document.querySelector('#ll-root').dataset.selected === String(n)",
                               arg=int((labels == 2).sum()), timeout=20_000)
        page.fill("#ll-search", "platypus")
        page.wait_for_function("() => document.querySelector('#ll-root').dataset.selected === '1'", timeout=20_000)
        assert "#777" in page.inner_text("#ll-selection")
        page.fill("#ll-search", "")

        box = page.locator("#ll-canvas").bounding_box()
        cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, box["height"] * 0.45
        page.mouse.move(cx + r, cy)
        page.mouse.down()
        for t in np.linspace(0, 2 * np.pi, 40)[1:]:
            page.mouse.move(cx + r * np.cos(t), cy + r * np.sin(t), steps=3)
        page.mouse.up()
        page.wait_for_function("() => Number(document.querySelector('#ll-root').dataset.selected) > 0", timeout=20_000)
        assert "selected, by label" in page.inner_text("#ll-selection")
        page.screenshot(path=str(path.with_suffix(".png")))
