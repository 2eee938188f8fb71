"""The formation view on the Train page, in an AppTest: a run chosen shows its map at the slider's step with its
KL and active-unit curves, the slider moves the frame, the colouring follows the labels, and two runs play side
by side."""

import json

import pytest

import latentlab as ll
from latentlab.training.trainer import TrainConfig
from tests.apptest import no_exception, start_dashboard


@pytest.fixture
def two_runs(workspace):
    for name, beta in (("beta-1", 1.0), ("beta-4", 4.0)):
        ll.train("digits", "vae", {"latent_dim": 2, "hidden": "16", "beta": beta},
                 TrainConfig(steps=6, batch_size=64, snapshot_every=3), name=name)
    return workspace


def figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def map_titles(at) -> list[str]:
    return [f["layout"]["title"]["text"] for f in figures(at) if "step" in f["layout"].get("title", {}).get("text", "")]


def test_the_formation_view_follows_the_slider_and_shows_two_runs(two_runs, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/train.py")
    runs = at.multiselect(key="dyn-runs")
    assert set(runs.options) == {"beta-1", "beta-4"} and runs.value == []
    runs.set_value(["beta-1"]).run()
    no_exception(at)
    slider = at.select_slider(key="dyn-step")
    assert [int(o) for o in slider.options] == [0, 3, 6]
    assert map_titles(at) == ["beta-1: step 0"]
    curves = next(f for f in figures(at) if "KL per latent" in json.dumps(f["layout"]))
    assert sum(1 for t in curves["data"] if t["name"].startswith("z")) == 2  # one curve per latent
    slider.set_value(6).run()
    assert map_titles(at) == ["beta-1: step 6"]
    at.selectbox(key="dyn-colour").set_value("label").run()
    shown = next(f for f in figures(at) if "step 6" in f["layout"]["title"]["text"])
    assert sorted(t["name"] for t in shown["data"]) == [str(d) for d in range(10)]  # a trace per digit
    at.multiselect(key="dyn-runs").set_value(["beta-1", "beta-4"]).run()
    no_exception(at)
    assert map_titles(at) == ["beta-1: step 6", "beta-4: step 6"]
