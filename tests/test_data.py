import numpy as np
import pandas as pd
import pytest

from latentlab.data import import_dataset, list_datasets, load_dataset
from latentlab.data import shapes
from latentlab.core.errors import LatentLabError


def test_builtin_digits_and_tables():
    d = load_dataset("digits")
    assert d.x.shape == (1797, 1, 8, 8) and d.kind == "image"
    assert 0.0 <= d.x.min() and d.x.max() <= 1.0
    assert sorted(set(d.labels.tolist())) == list(range(10))
    for name, n, f in (("wine", 178, 13), ("breast-cancer", 569, 30)):
        t = load_dataset(name)
        assert t.x.shape == (n, f) and t.kind == "tabular" and len(t.feature_names) == f
        np.testing.assert_allclose(t.x.mean(0), 0, atol=1e-5)
        np.testing.assert_allclose(t.x.std(0), 1, atol=1e-3)


def test_shapes_factor_table_is_exact_and_deterministic():
    a, b = load_dataset("shapes-500"), shapes.load_shapes_subset(500)
    assert a.x.shape == (500, 1, 64, 64) and a.x.dtype == bool
    assert list(a.factors.columns) == ["shape", "scale", "orientation", "pos_x", "pos_y"]
    np.testing.assert_array_equal(a.x, b.x)
    # Each image is its factors: re-rendering from the factor table reproduces it.
    flat = np.ravel_multi_index(a.factors.to_numpy().T, shapes.FACTOR_SIZES)
    np.testing.assert_array_equal(shapes.render(flat), a.x)
    assert shapes.N_TOTAL == 737_280


def test_shapes_full_chunk_matches_direct_render():
    bank = shapes.sprite_bank().reshape(-1, 32, 32)
    for flat in (0, 123, 719):
        block = shapes.sprite_positions(bank[flat])
        direct = shapes.render(np.arange(flat * 1024, (flat + 1) * 1024))[:, 0]
        np.testing.assert_array_equal(block, direct)


def test_shapes_factors_move_the_image():
    idx = lambda *f: np.ravel_multi_index(f, shapes.FACTOR_SIZES)  # noqa: E731
    base = shapes.render([idx(0, 5, 0, 10, 10)])[0, 0]
    right = shapes.render([idx(0, 5, 0, 11, 10)])[0, 0]
    bigger = shapes.render([idx(0, 0, 0, 10, 10)])[0, 0]
    assert np.array_equal(np.roll(base, 1, axis=1), right)
    assert bigger.sum() < base.sum()  # scale index 0 is the smallest


def test_import_csv_with_labels(workspace, tmp_path):
    df = pd.DataFrame({"a": np.arange(10.0), "b": np.arange(10.0) ** 2, "kind": ["x", "y"] * 5})
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    ds = import_dataset(path, "mytable", labels="kind")
    assert ds.x.shape == (10, 2) and ds.feature_names == ["a", "b"]
    again = load_dataset("mytable")
    np.testing.assert_array_equal(again.x, ds.x)
    assert list(again.labels) == ["x", "y"] * 5
    assert "mytable" in [r["name"] for r in list_datasets()]
    with pytest.raises(LatentLabError, match="already exists"):
        import_dataset(path, "mytable", labels="kind")


def test_import_parquet_npy_npz_zip(workspace, tmp_path):
    from PIL import Image
    import zipfile

    pd.DataFrame({"u": np.arange(6.0), "v": np.ones(6), "y": [0, 1] * 3}).to_parquet(tmp_path / "t.parquet")
    assert import_dataset(tmp_path / "t.parquet", "pq", labels="y").x.shape == (6, 2)
    np.save(tmp_path / "a.npy", np.random.rand(7, 3))
    assert import_dataset(tmp_path / "a.npy", "arr").kind == "tabular"
    np.savez(tmp_path / "b.npz", x=np.random.randint(0, 255, (5, 12, 12), dtype=np.uint8), labels=np.arange(5))
    ds = import_dataset(tmp_path / "b.npz", "imgs")
    assert ds.kind == "image" and ds.x.shape == (5, 1, 12, 12) and list(ds.labels) == [0, 1, 2, 3, 4]
    with zipfile.ZipFile(tmp_path / "imgs.zip", "w") as zf:
        for cls in ("cat", "dog"):
            for i in range(3):
                buf = __import__("io").BytesIO()
                Image.fromarray(np.full((10, 10), 40 * i, np.uint8)).save(buf, format="PNG")
                zf.writestr(f"{cls}/{i}.png", buf.getvalue())
        zf.writestr("README.txt", "not an image")
    z = import_dataset(tmp_path / "imgs.zip", "zipped")
    assert z.x.shape == (6, 1, 10, 10) and sorted(set(z.labels)) == ["cat", "dog"]
    assert "skipped members: 1 not a PNG or JPEG" in z.description


@pytest.mark.parametrize("content,suffix,match", [
    (b"", ".csv", "empty"),
    (b"name,city\nann,paris\nbob,rome\n", ".csv", "no numeric columns"),
    (b"\x89PNG\r\n\x1a\n garbage", ".zip", "not a valid ZIP"),
    (b"\x93NUMPY garbage", ".npy", "not a valid NPY file"),
    (b"a,b\n1,2\n", ".xlsx", "unsupported file type"),
])
def test_broken_files_get_one_clear_sentence(workspace, tmp_path, content, suffix, match):
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content)
    with pytest.raises(LatentLabError, match=match) as info:
        import_dataset(path, "bad")
    assert "\n" not in str(info.value)
    assert "bad" not in [r["name"] for r in list_datasets()]
    assert not list((workspace / "datasets").glob("*"))


def test_object_arrays_are_refused(workspace, tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(LatentLabError, match="pickled"):
        import_dataset(tmp_path / "obj.npy", "obj")


def test_unknown_dataset_names_the_known_ones():
    with pytest.raises(LatentLabError, match="digits"):
        load_dataset("no-such-set")


def test_digits_read_from_the_shipped_csv_equal_scikit_learns():
    from sklearn.datasets import load_digits

    from latentlab.data.builtin import digits_arrays

    images, target = digits_arrays()
    ref = load_digits()
    np.testing.assert_array_equal(images, ref.images)
    np.testing.assert_array_equal(target, ref.target)


def test_a_subset_says_how_many_items_it_holds(tiny_table):
    sub = tiny_table.subset(np.arange(10))
    assert len(sub) == 10 and sub.description.startswith("10 items of tiny-table.")
