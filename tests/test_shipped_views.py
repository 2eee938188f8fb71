"""The demo's first view shipped made (``latentlab.analysis.shipped_views``): it is what encoding and projecting
give, a fresh workspace gets it without encoding or projecting, and a view that no longer belongs to its
checkpoint, dataset or projector is left unused."""

import json

import numpy as np

from latentlab import lab
from latentlab.analysis import shipped_views
from latentlab.core.array_cache import is_cached

DEMO = "digits-vae"


def test_the_shipped_view_is_what_encoding_and_projecting_give(workspace):
    meta, arrays = shipped_views.read_view(shipped_views.view_path(DEMO))
    emb = lab.embed(DEMO)  # a fresh workspace: encoded here
    for k in ("mean", "logvar", "kl", "recon_error"):
        np.testing.assert_allclose(arrays[k], getattr(emb, k), rtol=1e-4, atol=1e-5, err_msg=k)
    xy = lab.project(emb, method=meta["method"], dims=meta["dims"], seed=meta["seed"])
    np.testing.assert_allclose(arrays["xy"], xy, atol=1e-3)


def test_seed_fills_a_fresh_workspace_so_the_first_map_is_read_not_made(workspace, monkeypatch):
    written = shipped_views.seed()
    assert sorted(w.split("/")[0] for w in written) == ["embed", "project"]
    assert shipped_views.seed() == []  # once: entries already there are left as they are
    assert lab.embedding_ready(DEMO)
    emb = lab.embed(DEMO)
    assert lab.projection_cached(emb, "umap", 2, 0)
    from latentlab.analysis.projection import base

    def no_projecting(*args, **kwargs):
        raise AssertionError("the map was computed, not read")

    monkeypatch.setattr(base.Projector, "fit_transform", no_projecting)
    _, arrays = shipped_views.read_view(shipped_views.view_path(DEMO))
    np.testing.assert_array_equal(lab.project(emb, method="umap", dims=2, seed=0), arrays["xy"])




def test_a_view_of_other_weights_is_left_unused(workspace, shipped_copy):
    weights = shipped_copy / f"{DEMO}.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b" ")
    assert shipped_views.seed() == []
    assert not list(workspace.glob("**/*.npz"))


def test_a_map_made_with_other_projector_parameters_is_left_unused(workspace, shipped_copy):
    path = shipped_copy / f"{DEMO}{shipped_views.SUFFIX}"
    meta, arrays = shipped_views.read_view(path)
    meta["projector"]["n_neighbors"] = 30
    with open(path, "wb") as fh:
        np.savez(fh, meta=np.array(json.dumps(meta)), **arrays)
    written = shipped_views.seed()
    assert [w.split("/")[0] for w in written] == ["embed"]
    emb = lab.embed(DEMO)
    assert not is_cached("project", lab.projection_key(emb, "umap", 2, 0))


def test_a_damaged_view_is_skipped(workspace, shipped_copy):
    (shipped_copy / f"{DEMO}{shipped_views.SUFFIX}").write_bytes(b"not a zip")
    assert shipped_views.seed() == []
