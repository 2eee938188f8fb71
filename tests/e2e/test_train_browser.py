"""A real browser on the Train page: a run started from the page's form is the one the job view follows (its id and
name in the Job box, its loss curves drawing as it trains), not the job that was in view before; once it is done,
its button opens it on the Map with the sidebar on it. The screenshot goes to test-artifacts/train-follow.png."""

import re

import pytest

from tests.e2e.server import ROOT, browser_available, browser_page, choose, dashboard, wait_idle

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not browser_available(), reason="needs Chromium at /usr/bin/chromium and playwright")]

SHOTS = ROOT / "test-artifacts"
# the points of the plotly chart whose title names job N: {title, x of each trace}
CHART_JS = ("(n) => { const gd = [...document.querySelectorAll('.js-plotly-plot')].find(g => g.layout && g.layout.title"
            " && String(g.layout.title.text || g.layout.title).includes(`job ${n} `));"
            " return gd ? gd.data.map(t => [t.name, t.x ? t.x.length : 0]) : null; }")


def job_box_value(page) -> str:
    return page.locator("input[aria-label='Job']").first.input_value()


def test_the_job_view_follows_the_run_started_from_the_page(tmp_path, monkeypatch):
    from latentlab import jobs
    from latentlab.training.trainer import TrainConfig

    home = tmp_path / "home"
    monkeypatch.setenv("LATENTLAB_HOME", str(home))
    monkeypatch.setenv("LATENTLAB_RUNNER_IDLE_S", "3")
    earlier = jobs.submit_train("digits", "ae", {"latent_dim": 2}, TrainConfig(steps=2, batch_size=32), name="earlier")
    assert jobs.wait(earlier, timeout=180).state == "succeeded"
    SHOTS.mkdir(exist_ok=True)
    with dashboard(home) as url, browser_page(1600, 1000) as page:
        page.goto(url + "/train")
        page.get_by_role("heading", name="Train").first.wait_for(timeout=120_000)
        page.locator("input[aria-label='Job']").first.wait_for(timeout=60_000)
        assert job_box_value(page).startswith(f"{earlier} · earlier")

        choose(page, "Model", "ae", sidebar=False)
        wait_idle(page)
        page.locator("[data-testid='stRadio']").get_by_text("steps", exact=True).click()
        wait_idle(page)
        steps = page.locator("input[type='number'][aria-label='steps']")
        steps.fill("400")
        page.locator("input[aria-label='batch size']").fill("32")
        page.locator("input[aria-label='Checkpoint name (optional)']").fill("e2e-new")
        page.get_by_role("button", name="Start training").click()

        queued = page.locator("[data-testid='stAlertContentSuccess']", has_text="queued").first
        queued.wait_for(timeout=60_000)
        new = int(re.search(r"Job (\d+) queued", queued.inner_text()).group(1))
        assert new != earlier
        page.wait_for_function("(v) => [...document.querySelectorAll(\"input[aria-label='Job']\")]"
                               ".some(i => i.value.startsWith(v))", arg=f"{new} · e2e-new", timeout=30_000)
        # its live loss: the total and the reconstruction term drawn, with points, while the run goes on
        page.wait_for_function(f"(n) => {{ const d = ({CHART_JS})(n); return d && d.length >= 2 && d[0][1] > 0; }}",
                               arg=new, timeout=120_000)
        traces = dict(page.evaluate(CHART_JS, new))
        assert traces["loss (total)"] > 0 and traces["recon"] > 0
        page.screenshot(path=str(SHOTS / "train-follow.png"), full_page=True)
        assert job_box_value(page).startswith(f"{new} · e2e-new")  # still followed over the view's refreshes

        assert jobs.wait(new, timeout=300).state == "succeeded"
        button = page.get_by_role("button", name="Open e2e-new on the Map")
        button.wait_for(timeout=60_000)
        button.click()
        page.get_by_role("heading", name="Map").first.wait_for(timeout=120_000)
        page.wait_for_function("() => [...document.querySelectorAll(\"input[aria-label='Checkpoint']\")]"
                               ".some(i => i.value.startsWith('e2e-new · ae · digits'))", timeout=60_000)
        assert not page.locator("[data-testid='stException']").count()
