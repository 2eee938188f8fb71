"""NPY and NPZ files -> datasets, never unpickling anything.

An NPZ holds the items under ``x`` (or ``X``, ``data``, ``images``,
``embeddings``, else its first array), optional ``labels`` (or ``y``) and an
optional integer ``factors`` table. 2-D arrays are tables (standardised per
column like CSV, unless kept as given: ``standardise=False``, the default for
precomputed embeddings); 3-D and 4-D arrays are images, scaled to [0, 1] by a stated
rule: uint8 and bool as they are, floats in [0, 1] as they are, floats in
[0, 255] divided by 255, anything else min-max scaled (and said so).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from latentlab.data.dataset import Dataset
from latentlab.core.limits import limit
from latentlab.data.tables import table_to_dataset
from latentlab.core.errors import LatentLabError

ITEM_KEYS = ("x", "X", "data", "images", "embeddings")
LABEL_KEYS = ("labels", "y", "targets")


def pickle_error(src: str) -> LatentLabError:
    return LatentLabError(f"{src}: holds Python objects (pickled data), which LatentLab never loads; save numeric arrays instead.")


def _pickled(exc: ValueError) -> bool:
    return "pickle" in str(exc).lower() or "object" in str(exc).lower()


def load_numpy(path: Path, hint: str = "numpy.save"):
    """An NPY file's array (memory-mapped) or an NPZ file's archive, never unpickling; one sentence for a file NumPy
    cannot read (``hint``: how to re-save it)."""
    kind = "NPZ archive" if path.suffix.lower() == ".npz" else "NPY file"
    try:
        return np.load(path, allow_pickle=False, mmap_mode="r")
    except ValueError as exc:
        if _pickled(exc):
            raise pickle_error(path.name) from None
        raise LatentLabError(f"{path.name}: not a valid {kind} ({exc}); re-save it with {hint}.") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise LatentLabError(f"{path.name}: not a valid {kind} ({type(exc).__name__}); re-save it with "
                             f"{hint}.") from None


def archive_arrays(archive, path: Path, keys: dict[str, str]) -> dict[str, np.ndarray]:
    """``{role: archive[key]}`` from an open NPZ archive, never unpickling; one sentence for a damaged one."""
    try:
        return {role: archive[key] for role, key in keys.items()}
    except ValueError as exc:
        if _pickled(exc):
            raise pickle_error(path.name) from None
        raise LatentLabError(f"{path.name}: the NPZ archive is damaged ({exc}); re-save it with numpy.savez.") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError, zipfile.LargeZipFile) as exc:
        raise LatentLabError(f"{path.name}: the NPZ archive is damaged ({type(exc).__name__}); re-save it with "
                             "numpy.savez.") from None


def read_npy(path: Path, name: str, standardise: bool = True) -> Dataset:
    return arrays_to_dataset(path.name, name, load_numpy(path), None, None, standardise)


def read_npz(path: Path, name: str, label_key: str | None, standardise: bool = True) -> Dataset:
    archive = load_numpy(path, "numpy.savez")
    if not isinstance(archive, np.lib.npyio.NpzFile):
        return arrays_to_dataset(path.name, name, archive, None, None, standardise)  # a plain .npy renamed to .npz
    with archive:
        keys = list(archive.files)
        if not keys:
            raise LatentLabError(f"{path.name}: the NPZ archive holds no arrays; save the items under the key 'x'.")
        if label_key and label_key not in keys:
            raise LatentLabError(f"{path.name}: no array named '{label_key}' (arrays: {', '.join(keys)}); pick one of those.")
        x_key = next((k for k in ITEM_KEYS if k in keys), keys[0])
        lab_key = label_key or next((k for k in LABEL_KEYS if k in keys), None)
        arrays = archive_arrays(archive, path, {k: k for k in (x_key, lab_key, "factors") if k and k in keys})
    return arrays_to_dataset(path.name, name, arrays[x_key], arrays.get(lab_key) if lab_key else None, arrays.get("factors"),
                             standardise)


def arrays_to_dataset(src: str, name: str, x: np.ndarray, labels, factors, standardise: bool = True) -> Dataset:
    """Items ``x`` (2-D: a table; 3-D or 4-D: images) with optional labels and factors as a dataset;
    ``standardise`` applies to tables only."""
    if x.dtype == object or x.dtype.kind not in "biuf":
        raise LatentLabError(f"{src}: the item array has dtype {x.dtype}, which is not numeric; save numbers only.")
    if x.ndim < 2 or x.shape[0] < 2:
        raise LatentLabError(f"{src}: expected an array of shape (items, features...) with at least two items, got {x.shape}.")
    n = x.shape[0]
    if n > limit("max_items"):
        raise LatentLabError(f"{src}: {n:,} items is over the limit of {limit('max_items'):,}.")
    for what, arr in (("labels", labels), ("factors", factors)):
        if arr is None:
            continue
        if arr.dtype == object or arr.ndim == 0 or arr.shape[0] != n:
            raise LatentLabError(f"{src}: '{what}' must be a numeric or string array with one row per item ({n}), got shape {arr.shape}.")
    if x.ndim == 2:
        if x.shape[1] > limit("max_columns"):
            raise LatentLabError(f"{src}: {x.shape[1]:,} columns is over the limit of {limit('max_columns'):,}.")
        frame = pd.DataFrame(np.asarray(x, dtype=np.float64), columns=[f"f{i}" for i in range(x.shape[1])])
        if labels is not None:
            frame["__labels__"] = np.asarray(labels).tolist()
        ds = table_to_dataset(frame, name, "__labels__" if labels is not None else None, src, standardise)
        ds.label_name = "label"
        if factors is not None:
            _warn_factors_dropped(ds)
        return ds
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise LatentLabError(f"{src}: the image array holds NaN or infinite values; replace them before importing.")
    images, rule = as_image_array(x, src)
    fac = None
    if factors is not None:
        factors = np.asarray(factors)
        if factors.dtype.kind not in "biu":
            raise LatentLabError(f"{src}: 'factors' must hold integer codes, got dtype {factors.dtype}.")
        factors = factors[:, None] if factors.ndim == 1 else factors.reshape(n, -1)
        fac = pd.DataFrame(factors.astype(np.int64), columns=[f"factor_{i}" for i in range(factors.shape[1])])
    return Dataset(name=name, x=images, kind="image", labels=None if labels is None else np.asarray(labels),
                   factors=fac, description=f"Imported from {src}: {n:,} images of {images.shape[2]}x{images.shape[3]}; {rule}.")


def _warn_factors_dropped(ds: Dataset) -> None:
    ds.description += " Rows were filtered, so the factors table was not kept."


def as_image_array(x: np.ndarray, src: str) -> tuple[np.ndarray, str]:
    """(N,H,W) / (N,H,W,C) / (N,C,H,W) -> channel-first array in [0, 1], and the scaling rule used."""
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4 and x.shape[-1] in (1, 3) and x.shape[1] not in (1, 3):
        x = np.moveaxis(x, -1, 1)
    elif x.ndim != 4 or x.shape[1] not in (1, 3):
        raise LatentLabError(f"{src}: image arrays must be (N,H,W), (N,H,W,C) or (N,C,H,W) with 1 or 3 channels, got {x.shape}.")
    if x.shape[2] * x.shape[3] > limit("max_image_pixels"):
        raise LatentLabError(f"{src}: images of {x.shape[2]}x{x.shape[3]} are over the limit of {limit('max_image_pixels'):,} pixels.")
    if x.dtype == np.uint8 or x.dtype == bool:
        return np.ascontiguousarray(x), "pixel values used as stored"
    lo, hi = float(x.min()), float(x.max())
    if lo >= 0 and hi <= 1:
        return x.astype(np.float32), "values already in [0, 1]"
    if lo >= 0 and hi <= 255:
        return (np.asarray(x, np.float32) / 255.0), "values in [0, 255] divided by 255"
    return ((x - lo) / (hi - lo or 1.0)).astype(np.float32), f"values in [{lo:.3g}, {hi:.3g}] rescaled to [0, 1]"
