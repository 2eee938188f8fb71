"""The engine at real size, exercised small: chunked and partial encoding, bounded reads from a
memory map, metrics that encode only the scored items, stage progress in the job table, and
clusterers that report their fits and refuse sizes they cannot bound."""

import sqlite3

import numpy as np
import pytest

from latentlab import lab
from latentlab.analysis.decoding import checkpoint as decoding
from latentlab.data import Dataset
from latentlab.analysis.embedding import encode_dataset
from latentlab.core.errors import LatentLabError


@pytest.fixture
def shapes_ck():
    return lab.load_checkpoint("shapes-beta-vae")


@pytest.fixture
def shapes_300():
    from latentlab.data import load_dataset

    return load_dataset("shapes-300")


def test_chunked_encoding_equals_one_shot(shapes_ck, shapes_300):
    one = encode_dataset(shapes_ck.model, shapes_300, batch_size=len(shapes_300))
    chunked = encode_dataset(shapes_ck.model, shapes_300, batch_size=37)
    for key in ("mean", "logvar", "kl", "recon_error"):
        np.testing.assert_allclose(chunked[key], one[key], rtol=1e-4, atol=1e-5)
    rows = np.array([3, 10, 11, 250, 299])
    part = encode_dataset(shapes_ck.model, shapes_300, batch_size=2, index=rows)
    np.testing.assert_allclose(part["mean"], one["mean"][rows], rtol=1e-4, atol=1e-5)


def test_memory_mapped_dataset_larger_than_its_chunk_is_streamed(shapes_ck, shapes_300, tmp_path):
    np.save(tmp_path / "x.npy", shapes_300.x)
    mapped = Dataset("mapped", np.load(tmp_path / "x.npy", mmap_mode="r"), "image", fingerprint="mapped-test")
    assert isinstance(mapped.x, np.memmap)
    released, calls = [], []
    real_release = mapped.release_pages
    mapped.release_pages = lambda: (released.append(1), real_release())[1]
    out = encode_dataset(shapes_ck.model, mapped, batch_size=64, progress=lambda *a: calls.append(a))
    ref = encode_dataset(shapes_ck.model, shapes_300, batch_size=300)
    np.testing.assert_allclose(out["mean"], ref["mean"], rtol=1e-4, atol=1e-5)
    assert len(released) == 5  # one per chunk of 64 out of 300
    done = [c[1] for c in calls]
    assert calls[0] == ("encoding", 0, 300, "items") and done == sorted(done) and done[-1] == 300


def test_metrics_encode_only_the_scored_items(workspace, shapes_ck):
    from latentlab.core.array_cache import cache_file
    from latentlab.lab import score
    from latentlab.core.workspace import subdir

    results = score(shapes_ck, "shapes-2000", ["mig"], n=300)
    assert 0 <= results["mig"].scores["mig"] <= 1
    assert not list((subdir("cache") / "embed").glob("*.npz"))  # the whole set was never encoded
    [part] = (subdir("cache") / "embed-rows").glob("*.npz")
    with np.load(part) as z:
        assert z["mean"].shape == (300, shapes_ck.latent_dim)
    # Once the whole set is encoded, scores read their items from it and agree.
    full = lab.embed(shapes_ck, "shapes-2000")
    assert cache_file("embed", full.key).exists()
    again = lab.embed_sample(shapes_ck, "shapes-2000", np.array([5, 7]))
    np.testing.assert_allclose(again.mean, full.mean[[5, 7]])
    assert again.index.tolist() == [5, 7] and again.positions([7]).tolist() == [1]


def test_traversals_on_a_large_set_encode_a_sample(workspace, shapes_ck, monkeypatch):
    from latentlab.core.workspace import subdir

    monkeypatch.setattr(decoding, "FRAME_SAMPLE", 50)
    tr = lab.traverse(shapes_ck, "shapes-400", index=399, dims=[0, 1], steps=3)
    assert tr.items.shape == (2, 3, 1, 64, 64)
    assert not list((subdir("cache") / "embed").glob("*.npz"))
    with pytest.raises(LatentLabError, match="out of range"):
        lab.traverse(shapes_ck, "shapes-400", index=400)


def test_kmeans_reports_each_fit_and_big_inputs_are_refused_with_a_way_out():
    from latentlab.analysis.clustering import make_clusterer

    X = np.random.default_rng(0).normal(size=(300, 4))
    calls = []
    make_clusterer("kmeans", k=3).fit_predict(X, progress=lambda *a: calls.append(a))
    assert calls[-1] == ("k-means fits", 10, 10, "fits") and len(calls) == 11
    gmm_calls = []
    make_clusterer("gmm", k=3).fit_predict(X, progress=lambda *a: gmm_calls.append(a))
    assert gmm_calls[-1][1] == gmm_calls[-1][2]
    agg = make_clusterer("agglomerative", k=3)
    agg.MAX_POINTS = 100
    with pytest.raises(LatentLabError, match="limited to 100 points.*use kmeans or gmm"):
        agg.fit_predict(X)


def test_job_table_gains_stage_columns_and_reports_rate_and_eta(workspace):
    from latentlab.jobs import store

    workspace.mkdir(parents=True, exist_ok=True)
    # A table made by an earlier version, without the stage columns.
    con = sqlite3.connect(store.db_path())
    con.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, name TEXT, params TEXT NOT NULL,"
                " state TEXT NOT NULL, step INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT 0, terms TEXT NOT NULL"
                " DEFAULT '{}', heartbeat REAL, pid INTEGER, error TEXT, result TEXT, sweep TEXT, cancel_requested INTEGER NOT"
                " NULL DEFAULT 0, resumed_from INTEGER, attempts INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL,"
                " started REAL, finished REAL)")
    con.commit()
    con.close()
    store._READY.clear()
    job_id = store.create("embed", {"checkpoint": "c", "dataset": "d"})
    store.update(job_id, state="running", started=1.0)
    assert store.report_stage(job_id, "encoding", 0, 1000, "items", new_stage=True) is False
    store.update(job_id, stage_started=store.get(job_id).stage_started - 10)
    store.report_stage(job_id, "encoding", 250, 1000, "items", new_stage=False)
    job = store.get(job_id)
    assert job.stage == "encoding" and job.unit == "items" and job.progress == 0.25
    assert 20 < job.rate < 30 and 25 < job.eta_s < 40
    text = job.progress_text()
    assert text.startswith("encoding 250/1,000 items") and "items/s" in text and "ETA" in text
    store.update(job_id, cancel_requested=1)
    assert store.report_stage(job_id, "encoding", 300, 1000, "items", new_stage=False) is True


def test_vectors_without_a_model_map_and_cluster_in_python(workspace, tmp_path):
    from latentlab.data import import_dataset

    rng = np.random.default_rng(0)
    centres = rng.normal(scale=6, size=(3, 16))
    x = np.concatenate([c + rng.normal(size=(200, 16)) for c in centres]).astype(np.float32)
    np.savez(tmp_path / "vecs.npz", x=x, labels=np.repeat(["a", "b", "c"], 200))
    import_dataset(tmp_path / "vecs.npz", "vecs", labels="labels", kind="embedding")
    emb = lab.embed(None, "vecs")
    assert emb.mean.shape == (600, 16) and not emb.has_model
    xy = lab.project(None, "vecs", method="pca")
    assert xy.shape == (600, 2)
    res = lab.cluster(None, "vecs", method="kmeans", k=3)
    assert res.scores["ari"] > 0.95
    with pytest.raises(LatentLabError, match="only vector datasets"):
        lab.embed(None, "digits")


def fresh_warm_up(monkeypatch):
    """``latentlab.ui.warm`` as a fresh server process finds it."""
    import threading

    from latentlab.ui import warm

    for name in ("_started", "_embedded", "_go", "_done"):
        monkeypatch.setattr(warm, name, threading.Event())
    monkeypatch.setattr(warm, "_making", [])
    return warm


def test_the_server_warm_up_puts_the_shipped_demo_map_in_the_cache(workspace, monkeypatch):
    warm = fresh_warm_up(monkeypatch)
    warm.start()
    warm.wait(120, embedding_only=True)  # what a page waits for before it reads the demo's embedding or map
    emb = lab.embed(warm.DEMO_CHECKPOINT, warm.DEMO_DATASET)
    key = lab.projection_key(emb, "umap", 2, 0)
    assert lab.projection_cached(emb, "umap", 2, 0) and not warm.making(key)
    warm.wait(120)
    assert warm.done()


def test_the_server_warm_up_makes_the_demo_map_when_no_shipped_one_fits(workspace, monkeypatch, tmp_path):
    import shutil

    from latentlab.analysis import shipped_views
    from latentlab.core.workspace import shipped_checkpoints_dir

    shipped = tmp_path / "shipped"
    shutil.copytree(shipped_checkpoints_dir(), shipped, ignore=shutil.ignore_patterns(f"*{shipped_views.SUFFIX}"))
    monkeypatch.setenv("LATENTLAB_SHIPPED_CHECKPOINTS", str(shipped))
    warm = fresh_warm_up(monkeypatch)
    monkeypatch.setattr(warm, "PREVIEW_GRACE_S", 60.0)
    warm.wait()  # nothing started: returns at once
    assert warm.done()
    warm.start()
    warm.wait(120, embedding_only=True)
    emb = lab.embed(warm.DEMO_CHECKPOINT, warm.DEMO_DATASET)
    key = lab.projection_key(emb, "umap", 2, 0)
    assert warm.making(key) and not warm.done()  # waiting for a browser to draw the preview first
    warm.preview_shown()
    warm.wait(120)
    assert warm.done() and not warm.making(key)
    assert lab.projection_cached(emb, "umap", 2, 0)


def test_encoding_leaves_a_shared_model_as_it_was():
    """The dashboard shares one loaded model between sessions: encoding must not move it, change its memory
    layout or its mode while another session decodes with it."""
    import threading

    import torch

    from latentlab.checkpoints.format import read_checkpoint
    from latentlab.data import load_dataset
    from latentlab.analysis.embedding import encode_dataset

    ck = read_checkpoint("shapes-beta-vae")
    model = ck.model
    before = {k: (v.data_ptr(), v.stride(), v.device) for k, v in model.state_dict().items()}
    ds = load_dataset("shapes-2000")
    errors = []

    def decode_meanwhile():
        try:
            for _ in range(20):
                with torch.inference_mode():
                    model.decode(torch.zeros(4, model.config.latent_dim))
        except Exception as exc:  # noqa: BLE001 - any failure here is the bug
            errors.append(exc)

    other = threading.Thread(target=decode_meanwhile)
    other.start()
    encode_dataset(model, ds, batch_size=256)
    other.join()
    assert not errors
    assert {k: (v.data_ptr(), v.stride(), v.device) for k, v in model.state_dict().items()} == before
    assert not model.training
