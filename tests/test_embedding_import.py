"""Precomputed embeddings are kept as given (standardising is asked for), tables are still standardised,
and vectors of unit norm get cosine suggested as the map's metric in the CLI and on the Map page."""

import json

import numpy as np
import pandas as pd
import pytest

from latentlab.cli import main
from latentlab.data import import_dataset, load_dataset, rows_have_unit_norm
from latentlab.core.errors import LatentLabError


def raw_vectors(n=60, d=8, seed=0) -> np.ndarray:
    """Vectors far from standardised: each column has its own offset and scale."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, d)) * rng.uniform(0.5, 40, d) + rng.uniform(-20, 20, d)).astype(np.float32)


def unit_vectors(n=120, d=16, seed=0) -> np.ndarray:
    """Three groups of directions, each row scaled to norm 1 (as sentence encoders give them)."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([c + 0.3 * rng.normal(size=(n // 3, d)) for c in rng.normal(size=(3, d))])
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def manifest(workspace, name) -> dict:
    return json.loads((workspace / "datasets" / f"{name}.json").read_text())


def test_an_embedding_import_keeps_its_values_exactly(workspace, tmp_path):
    x = raw_vectors()
    np.save(tmp_path / "v.npy", x)
    ds = import_dataset(tmp_path / "v.npy", "v", kind="embedding")
    again = load_dataset("v")
    assert ds.kind == again.kind == "embedding" and again.x.dtype == np.float32
    assert np.array_equal(ds.x, x) and np.array_equal(again.x, x)
    assert again.feature_mean is None and "kept as given" in again.description
    assert manifest(workspace, "v")["standardised"] is False
    np.savez(tmp_path / "w.npz", embeddings=x, labels=np.arange(60) % 3)  # an NPZ, labels beside the vectors
    pd.DataFrame(x, columns=[f"c{i}" for i in range(8)]).to_parquet(tmp_path / "w.parquet")  # float32 columns
    assert np.array_equal(import_dataset(tmp_path / "w.npz", "w", kind="embedding").x, x)
    assert np.array_equal(import_dataset(tmp_path / "w.parquet", "wp", kind="embedding").x, x)


def test_standardise_is_asked_for_by_embeddings_and_tables_keep_it(workspace, tmp_path):
    x = raw_vectors()
    np.save(tmp_path / "v.npy", x)
    scaled = import_dataset(tmp_path / "v.npy", "scaled", kind="embedding", standardise=True)
    table = import_dataset(tmp_path / "v.npy", "table")  # the same array, as a table
    for ds in (scaled, table, load_dataset("scaled")):
        np.testing.assert_allclose(ds.x.mean(0), 0, atol=1e-5)
        np.testing.assert_allclose(ds.x.std(0), 1, atol=1e-4)
        assert "standardised per column" in ds.description
        np.testing.assert_allclose(ds.x * ds.feature_scale + ds.feature_mean, x, rtol=1e-5, atol=1e-4)
    assert manifest(workspace, "scaled")["standardised"] is True and manifest(workspace, "table")["standardised"] is True
    pd.DataFrame(x[:, :3], columns=list("abc")).to_csv(tmp_path / "t.csv", index=False)
    assert import_dataset(tmp_path / "t.csv", "csv").x.std(0) == pytest.approx(np.ones(3), abs=1e-4)


def test_an_uploaded_embedding_keeps_its_values_unless_the_page_asks_to_standardise(workspace, tmp_path):
    """The Data page's path: the uploaded bytes, its two boxes as ``embedding`` and ``standardise``."""
    import io

    from latentlab.ui.uploads import import_uploaded_dataset

    x = raw_vectors()
    buf = io.BytesIO()
    np.save(buf, x)
    kept = import_uploaded_dataset("vectors.npy", buf.getvalue(), "kept", embedding=True)
    scaled = import_uploaded_dataset("vectors.npy", buf.getvalue(), "scaled", embedding=True, standardise=True)
    assert np.array_equal(load_dataset("kept").x, x) and kept.kind == "embedding"
    np.testing.assert_allclose(scaled.x.std(0), 1, atol=1e-4)


def test_standardising_images_is_refused(workspace, tmp_path):
    np.save(tmp_path / "imgs.npy", np.random.default_rng(0).random((5, 8, 8)).astype(np.float32))
    with pytest.raises(LatentLabError, match="never standardised"):
        import_dataset(tmp_path / "imgs.npy", "imgs", standardise=True)


def test_rows_of_unit_norm_are_recognised():
    x = unit_vectors()
    assert rows_have_unit_norm(x) and rows_have_unit_norm(x.astype(np.float64))
    assert not rows_have_unit_norm(x * 1.01)  # every row 1% too long
    one_off = x.copy()
    one_off[7] *= 2
    assert not rows_have_unit_norm(one_off)
    assert not rows_have_unit_norm(raw_vectors()) and not rows_have_unit_norm(np.zeros((4, 3)))
    assert not rows_have_unit_norm(x[:, None, :]) and not rows_have_unit_norm(np.full((3, 2), np.nan))
    many = np.tile(x, (300, 1))  # 36,000 rows: an evenly spaced sample is checked
    assert rows_have_unit_norm(many)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_import_keeps_embeddings_and_standardises_on_request(workspace, tmp_path, capsys):
    x = raw_vectors()
    np.save(tmp_path / "v.npy", x)
    code, out, _ = run(capsys, "import", str(tmp_path / "v.npy"), "--name", "v", "--embedding")
    assert code == 0 and "kept as given" in out
    assert np.array_equal(load_dataset("v").x, x)
    code, out, _ = run(capsys, "import", str(tmp_path / "v.npy"), "--name", "vs", "--embedding", "--standardise")
    assert code == 0 and "standardised per column" in out
    np.testing.assert_allclose(load_dataset("vs").x.std(0), 1, atol=1e-4)


def test_cli_project_suggests_cosine_for_rows_of_unit_norm(workspace, tmp_path, capsys):
    from latentlab import lab

    np.save(tmp_path / "u.npy", unit_vectors())
    np.save(tmp_path / "r.npy", raw_vectors(n=120))
    for name in ("u", "r"):
        assert run(capsys, "import", str(tmp_path / f"{name}.npy"), "--name", name, "--embedding")[0] == 0
    code, _, err = run(capsys, "project", "--dataset", "u", "--method", "umap", "--out", str(tmp_path / "u.csv"))
    notes = [line for line in err.splitlines() if line.startswith("latentlab: note:")]
    assert code == 0 and len(notes) == 1 and "--param metric=cosine" in notes[0] and "'u'" in notes[0]
    written = pd.read_csv(tmp_path / "u.csv")[["umap_1", "umap_2"]].to_numpy().astype(np.float32)
    np.testing.assert_array_equal(written, lab.project(None, "u", method="umap"))  # the default metric's map
    quiet = [("u", "umap", "--param", "metric=cosine"), ("u", "umap", "--param", "metric=euclidean"), ("u", "pca"),
             ("r", "umap")]
    for name, method, *extra in quiet:
        code, _, err = run(capsys, "project", "--dataset", name, "--method", method, *extra,
                           "--out", str(tmp_path / "q.csv"))
        assert code == 0 and "note:" not in err, (name, method, extra)


def test_training_on_large_embeddings_kept_as_given_says_to_import_them_standardised(workspace, tmp_path):
    import latentlab as ll
    from latentlab.training.trainer import TrainConfig

    x = raw_vectors() * 100  # values in the thousands
    np.save(tmp_path / "big.npy", x)
    import_dataset(tmp_path / "big.npy", "big", kind="embedding")
    with pytest.raises(LatentLabError, match="re-import the file with its columns standardised \\(the import's `standardise`") as info:
        ll.train("big", "vae", {"latent_dim": 2}, TrainConfig(steps=2))
    assert "\n" not in str(info.value)
    import_dataset(tmp_path / "big.npy", "big-scaled", kind="embedding", standardise=True)
    assert ll.train("big-scaled", "vae", {"latent_dim": 2}, TrainConfig(steps=2)).step == 2


def test_the_map_page_starts_umap_at_cosine_for_rows_of_unit_norm(workspace, monkeypatch):
    from latentlab.ui.loaders import clear_listings
    from tests.apptest import start_dashboard

    def metric_and_note(at):
        metric = next(s.value for s in at.selectbox if s.label == "metric")
        return metric, any("unit norm" in c.value and "cosine" in c.value for c in at.caption)

    workspace.mkdir(parents=True, exist_ok=True)
    np.save(workspace / "u.npy", unit_vectors())
    np.save(workspace / "r.npy", raw_vectors(n=120))
    import_dataset(workspace / "u.npy", "unit", kind="embedding")
    import_dataset(workspace / "r.npy", "raw", kind="embedding")
    clear_listings()
    at = start_dashboard(monkeypatch, "pages/map.py", ll_dataset="raw", **{"map-method": "umap"})
    assert metric_and_note(at) == ("euclidean", False)
    at.session_state["ll_dataset"] = "unit"  # picked in the sidebar while on the page
    at.run()
    assert metric_and_note(at) == ("cosine", True)
    assert at.session_state["ll_map"]["params"]["metric"] == "cosine"
    at.session_state["ll_dataset"] = "raw"
    at.run()
    assert metric_and_note(at) == ("euclidean", False)
