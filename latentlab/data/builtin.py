"""Built-in datasets that ship with scikit-learn (no network)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from latentlab.data.dataset import Dataset


def digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits as (images (1797, 8, 8) in 0..16, labels (1797,)).

    Read straight from the CSV that scikit-learn ships: importing
    ``sklearn.datasets`` costs more than half a second, which the dashboard's
    first map would otherwise wait for.
    """
    import importlib.util

    spec = importlib.util.find_spec("sklearn")  # finds the package without importing it
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz" if spec else None
    if path is None or not path.exists():
        from sklearn.datasets import load_digits as sk_digits

        d = sk_digits()
        return d.images, d.target
    data = np.loadtxt(path, delimiter=",")
    return data[:, :-1].reshape(-1, 8, 8), data[:, -1].astype(np.int64)


def load_digits() -> Dataset:
    images, target = digits_arrays()
    x = (images / 16.0).astype(np.float32)[:, None]  # (1797, 1, 8, 8) in [0, 1]
    return Dataset(
        name="digits",
        x=x,
        kind="image",
        labels=target.astype(np.int64),
        fingerprint="sklearn-digits-v1",
        description="scikit-learn's 1,797 handwritten digits, 8x8 grey levels, labels 0-9.",
        label_name="digit",
    )


def _standardised_table(name: str, loader, description: str) -> Dataset:
    d = loader()
    x = np.asarray(d.data, dtype=np.float64)
    x = (x - x.mean(0)) / np.where(x.std(0) > 0, x.std(0), 1.0)
    labels = np.asarray(d.target_names)[d.target] if hasattr(d, "target_names") else d.target
    return Dataset(
        name=name,
        x=x.astype(np.float32),
        kind="tabular",
        labels=np.asarray(labels).astype(str),
        feature_names=[str(f) for f in d.feature_names],
        fingerprint=f"sklearn-{name}-v1",
        description=description,
        label_name="class",
    )


def load_wine() -> Dataset:
    from sklearn.datasets import load_wine as sk_wine

    return _standardised_table("wine", sk_wine, "scikit-learn's wine table: 178 wines, 13 standardised features, 3 cultivars.")


def load_breast_cancer() -> Dataset:
    from sklearn.datasets import load_breast_cancer as sk_bc

    return _standardised_table(
        "breast-cancer", sk_bc, "scikit-learn's breast-cancer table: 569 tumours, 30 standardised features, 2 classes."
    )
