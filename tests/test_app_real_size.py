"""AppTest at real size, made small: encoding a large dataset runs as a job that a refreshed page
finds again, and a dataset of precomputed vectors opens on Map and Clusters with no checkpoint."""

import numpy as np
import pytest

from tests.apptest import start_dashboard
from tests.test_app import map_data, sidebar


@pytest.fixture
def fresh(workspace, monkeypatch):
    return lambda **state: start_dashboard(monkeypatch, **state)


def _import(workspace, name, **arrays):
    from latentlab.data import import_dataset
    from latentlab.ui.loaders import clear_listings

    np.savez(workspace / f"{name}.npz", **arrays)
    import_dataset(workspace / f"{name}.npz", name, labels="labels" if "labels" in arrays else None,
                   kind="embedding" if arrays["x"].ndim == 2 else None)
    clear_listings()


def test_encoding_a_large_dataset_runs_as_a_job_that_survives_a_refresh(fresh, workspace, monkeypatch):
    from latentlab import jobs
    from latentlab.data import load_dataset
    from latentlab.ui import jobs as ui_jobs

    monkeypatch.setattr(ui_jobs, "INLINE_EMBED_VALUES", 1000)  # anything bigger is "large"
    workspace.mkdir(parents=True, exist_ok=True)
    small = load_dataset("shapes-300")
    _import(workspace, "big-shapes", x=small.x, labels=small.labels)
    state = {"ll_dataset": "big-shapes", "ll_checkpoint": "shapes-beta-vae", "map-method": "pca"}
    at = fresh(**state)
    maps = [e for e in at.get("bidi_component") if e.key != "ll-map-preload"]  # the router's preload draws nothing
    assert not maps and not jobs.list_jobs()  # nothing starts until asked
    next(b for b in at.button if b.key == "embed-start").click().run()
    assert any("background job" in i.value for i in at.info)
    job = jobs.list_jobs()[0]
    assert job.kind == "embed" and job.params == {"checkpoint": "shapes-beta-vae", "dataset": "big-shapes"}
    # A refresh (a new session) finds the same job instead of starting another.
    again = fresh(**state)
    assert len([j for j in jobs.list_jobs() if j.kind == "embed"]) == 1
    assert any(f"job {job.id}" in i.value for i in again.info)
    bar = again.get("progress")[0].proto
    assert f"job {job.id}" in bar.text  # the bar names the job and, once it runs, its stage, rate and ETA
    done = jobs.wait(job.id, timeout=180)
    assert done.state == "succeeded", done.error
    assert done.stage == "encoding" and done.unit == "items" and done.step == done.total == 300
    at = fresh(**state)
    assert map_data(at)["points"].num_rows == 300


def test_precomputed_vectors_open_on_map_and_clusters_without_a_checkpoint(fresh, workspace):
    from latentlab.ui.sidebar import VECTORS

    workspace.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    x = np.concatenate([c + rng.normal(size=(100, 12)) for c in rng.normal(scale=6, size=(3, 12))]).astype(np.float32)
    _import(workspace, "vecs", x=x, labels=np.repeat(["a", "b", "c"], 100))
    at = fresh(ll_dataset="vecs", **{"map-method": "pca"})
    assert sidebar(at, "Checkpoint").value == VECTORS
    data = map_data(at)
    assert data["points"].num_rows == 300 and data["items"]["image"] is False
    colour = next(s for s in at.selectbox if s.label == "Colour by")
    assert "label" in colour.options and "reconstruction error" not in colour.options
    at.switch_page("pages/clusters.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.label == "ARI" for m in at.metric)
    at.switch_page("pages/traverse.py")
    at.run()
    assert any("needs a model" in i.value for i in at.info)


def test_the_compare_page_encodes_both_sides_with_one_button(fresh, workspace, monkeypatch):
    from latentlab import jobs
    from latentlab.data import load_dataset
    from latentlab.ui import compare_view
    from latentlab.ui import jobs as ui_jobs

    monkeypatch.setattr(ui_jobs, "INLINE_EMBED_VALUES", 1000)
    workspace.mkdir(parents=True, exist_ok=True)
    small = load_dataset("shapes-300")
    _import(workspace, "big-shapes", x=small.x, labels=small.labels)
    state = {"ll_dataset": "big-shapes", "ll_checkpoint": "shapes-beta-vae", compare_view.PICK_B: "shapes-beta-tcvae",
             "ll_map": {"method": "pca", "dims": 2, "params": {}, "seed": 0}}
    at = start_dashboard(monkeypatch, "pages/compare.py", **state)
    assert any("shapes-beta-vae and shapes-beta-tcvae have not encoded the 300 items" in i.value for i in at.info)
    assert not jobs.list_jobs()  # nothing starts until asked
    button = next(b for b in at.button if b.key == "embed-start")
    assert button.label == "Encode 300 items with both (shapes-beta-vae and shapes-beta-tcvae)"
    button.click().run()
    started = sorted((j.params["checkpoint"], j.params["dataset"]) for j in jobs.list_jobs() if j.kind == "embed")
    assert started == [("shapes-beta-tcvae", "big-shapes"), ("shapes-beta-vae", "big-shapes")]
    assert sum("runs as background job" in i.value for i in at.info) == 2  # each job's progress on the page
    for job in jobs.list_jobs():
        assert jobs.wait(job.id, timeout=180).state == "succeeded"
    at = start_dashboard(monkeypatch, "pages/compare.py", **state)
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.label == "linear CKA" for m in at.metric)
