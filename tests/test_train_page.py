"""The Train page: the job view follows a run just started, the loss chart keeps each term in sight, and a finished
run opens on the Map with its dataset."""

import pytest

from latentlab import jobs
from latentlab.training.trainer import TrainConfig
from latentlab.ui.train_view import loss_figure
from tests.apptest import no_exception, start_dashboard


def start_from_the_form(at, name: str, steps: int = 3):
    at.selectbox(key="tr-dataset").set_value("digits").run()
    at.selectbox(key="tr-model").set_value("ae").run()
    at.radio(key="tr-unit").set_value("steps").run()
    at.number_input(key="tr-length-steps").set_value(steps)
    at.number_input(key="tr-batch").set_value(32)
    at.text_input(key="tr-name").set_value(name)
    next(b for b in at.button if b.label == "Start training").click().run()
    return no_exception(at)


@pytest.fixture
def earlier_job(workspace):
    """A finished run, started before the page opens."""
    job = jobs.submit_train("digits", "ae", {"latent_dim": 2}, TrainConfig(steps=2, batch_size=32), name="earlier")
    assert jobs.wait(job, timeout=180).state == "succeeded"
    return job


def test_the_job_view_follows_the_run_just_started(earlier_job, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/train.py")
    assert at.selectbox(key="tr-job").value == earlier_job
    at.run()  # the earlier job stays in view over reruns
    assert at.selectbox(key="tr-job").value == earlier_job
    at = start_from_the_form(at, "started-here")
    new = next(j for j in jobs.list_jobs() if j.name == "started-here")
    assert at.selectbox(key="tr-job").value == new.id
    assert at.session_state["tr-watch"] == new.id
    assert jobs.wait(new.id, timeout=180).state == "succeeded"
    at.run()
    assert at.selectbox(key="tr-job").value == new.id  # still the new run once it is done
    assert at.get("plotly_chart")  # its loss curves
    at.selectbox(key="tr-job").set_value(earlier_job).run()  # a job picked in the box is followed from then on
    at.run()
    assert at.selectbox(key="tr-job").value == earlier_job


def test_a_finished_run_opens_on_the_map_with_its_dataset(earlier_job, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/train.py", ll_dataset="wine", **{"map-method": "pca"})
    assert at.selectbox(key="tr-job").value == earlier_job
    assert any("Checkpoint 'earlier' is ready (trained on digits)" in s.value for s in at.success)
    next(b for b in at.button if b.label == "Open earlier on the Map").click().run()
    no_exception(at)
    assert (at.session_state["ll_dataset"], at.session_state["ll_checkpoint"]) == ("digits", "earlier")
    assert at.title[0].value == "Map"
    assert next(s for s in at.sidebar.selectbox if s.label == "Checkpoint").value == "earlier"


def test_the_reconstruction_term_is_drawn_apart_from_the_total():
    ae = [{"step": s, "recon": 40.0 / s, "loss": 40.0 / s} for s in range(1, 6)]  # an autoencoder: loss == recon
    fig = loss_figure(ae, "Loss")
    loss, recon = fig.data
    assert (loss.name, recon.name) == ("loss (total)", "recon")
    assert loss.yaxis != recon.yaxis and recon.visible is True  # its own panel, not under the total's line
    assert fig.layout.yaxis.type == fig.layout.yaxis2.type == "log"

    tc = [{"step": s, "recon": 40.0, "kl": 2.0, "tc": 3.0, "dwkl": -1.0, "loss": 45.0} for s in range(1, 4)]
    fig = loss_figure(tc)
    assert {t.name: t.visible for t in fig.data} == {"loss (total)": None, "recon": True, "kl": True,
                                                     "tc": "legendonly", "dwkl": "legendonly"}
    zero = [{"step": s, "recon": 1.0, "auxk": 0.0, "loss": 1.0} for s in range(1, 4)]
    assert loss_figure(zero).layout.yaxis2.type == "log"  # a hidden term of zeros does not flatten the scale
    assert [t.name for t in loss_figure([{"step": 1, "loss": 2.0}]).data] == ["loss (total)"]


def test_model_settings_read_as_words_where_a_field_names_its_label(workspace, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/train.py")
    at.selectbox(key="tr-model").set_value("beta-tcvae").run()
    no_exception(at)
    labels = {n.label for n in at.number_input}
    assert "KL warm-up (steps)" in labels and "kl warmup" not in labels
    assert "latent dim" in labels  # a field without a label: its name in words
