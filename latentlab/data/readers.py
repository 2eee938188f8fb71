"""Readers for files users bring: CSV/TSV, Parquet, NPY, NPZ, ZIP of images.

Every reader returns a ``Dataset`` or raises ``LatentLabError`` with one
sentence naming the file and the problem. Nothing here unpickles: NumPy files
are read with ``allow_pickle=False``; ZIP members are read into memory by name
and never extracted to disk by their own paths.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from latentlab.data.dataset import Dataset, array_fingerprint
from latentlab.errors import LatentLabError

TABLE_SUFFIXES = {".csv", ".tsv", ".txt", ".parquet", ".pq"}
ARRAY_SUFFIXES = {".npy", ".npz"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}
SUFFIXES = TABLE_SUFFIXES | ARRAY_SUFFIXES | {".zip"}

LIMITS = {
    "max_items": 2_000_000,
    "max_columns": 10_000,
    "max_zip_members": 100_000,
    "max_zip_bytes": 2 * 1024**3,
    "max_zip_ratio": 200,
    "max_image_pixels": 4096 * 4096,
}


def read_file(path: str | Path, name: str, labels: str | None = None, kind: str | None = None) -> Dataset:
    """Read a user file into a ``Dataset``.

    Parameters
    ----------
    path : file to read; the suffix picks the reader.
    name : the dataset's name.
    labels : for tables, the column that holds labels (removed from the features).
    kind : force ``"embedding"`` for precomputed embeddings (tables or arrays).
    """
    path = Path(path)
    if not path.is_file():
        raise LatentLabError(f"{path}: no such file; check the path.")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise LatentLabError(
            f"{path.name}: unsupported file type '{suffix}'; use CSV, TSV, Parquet, NPY, NPZ or a ZIP of PNG/JPEG images."
        )
    if path.stat().st_size == 0:
        raise LatentLabError(f"{path.name}: the file is empty; choose a file with data in it.")
    if suffix in TABLE_SUFFIXES:
        ds = _read_table(path, name, labels)
    elif suffix == ".npy":
        ds = _from_arrays(path, name, _load_npy(path), None, None)
    elif suffix == ".npz":
        ds = _read_npz(path, name, labels)
    else:
        ds = _read_zip(path, name)
    if kind == "embedding" and ds.kind != "image":
        ds.kind = "embedding"
    return ds


# ---------------------------------------------------------------- tables


def _read_table(path: Path, name: str, label_col: str | None) -> Dataset:
    try:
        if path.suffix.lower() in {".parquet", ".pq"}:
            df = pd.read_parquet(path)
        else:
            sep = "\t" if path.suffix.lower() == ".tsv" else None
            df = pd.read_csv(path, sep=sep, engine="python")
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LatentLabError(f"{path.name}: could not be read as a table ({reason}); check that it is a valid {path.suffix[1:].upper()} file.") from None
    except Exception as exc:  # pyarrow raises its own types for corrupt files
        raise LatentLabError(f"{path.name}: could not be read as a table ({type(exc).__name__}); check that it is a valid file.") from None
    return table_to_dataset(df, name, label_col, source=path.name)


def table_to_dataset(df: pd.DataFrame, name: str, label_col: str | None, source: str) -> Dataset:
    """Turn a DataFrame into a tabular Dataset (numeric columns become features).

    Rows with missing or non-finite feature values are dropped and counted in
    the description; a table where that leaves fewer than two rows is refused.
    """
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise LatentLabError(f"{source}: the table has no rows or no columns; choose a file with data in it.")
    if df.shape[1] > LIMITS["max_columns"]:
        raise LatentLabError(f"{source}: {df.shape[1]} columns is over the limit of {LIMITS['max_columns']}.")
    labels = None
    if label_col is not None:
        if label_col not in df.columns:
            cols = ", ".join(map(str, list(df.columns)[:10]))
            raise LatentLabError(f"{source}: no column named '{label_col}' (columns: {cols}); pick one of those for --labels.")
        labels = df[label_col]
        df = df.drop(columns=[label_col])
    numeric = df.select_dtypes(include=[np.number, "bool"])
    if numeric.shape[1] == 0:
        raise LatentLabError(f"{source}: no numeric columns to use as features; a table needs at least one numeric column.")
    values = numeric.to_numpy(dtype=np.float64)
    finite = np.isfinite(values).all(axis=1)
    dropped = int((~finite).sum())
    if finite.sum() < 2:
        raise LatentLabError(
            f"{source}: fewer than two rows have finite values in every numeric column; fix the missing or infinite values."
        )
    values = values[finite]
    if labels is not None:
        labels = labels[finite]
        labels = labels.to_numpy() if labels.dtype.kind in "iub" else labels.astype(str).to_numpy()
    desc = f"Imported from {source}: {values.shape[0]:,} rows x {values.shape[1]} numeric columns"
    ignored = [c for c in df.columns if c not in numeric.columns]
    if ignored:
        desc += f"; non-numeric columns ignored: {', '.join(map(str, ignored[:5]))}"
    if dropped:
        desc += f"; {dropped} rows with missing or non-finite values dropped"
    x = values.astype(np.float32)
    return Dataset(
        name=name,
        x=x,
        kind="tabular",
        labels=labels,
        feature_names=[str(c) for c in numeric.columns],
        fingerprint=array_fingerprint(x, labels),
        description=desc + ".",
        label_name=label_col or "label",
    )


# ---------------------------------------------------------------- numpy


def _load_npy(path_or_file, source: str | None = None) -> np.ndarray:
    source = source or Path(str(path_or_file)).name
    try:
        return np.load(path_or_file, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            raise LatentLabError(f"{source}: holds Python objects (pickled data), which LatentLab never loads; save a numeric array instead.") from None
        raise LatentLabError(f"{source}: not a valid NumPy file ({exc}); re-save it with numpy.save.") from None
    except (OSError, EOFError) as exc:
        raise LatentLabError(f"{source}: not a valid NumPy file ({type(exc).__name__}); re-save it with numpy.save.") from None


def _read_npz(path: Path, name: str, label_key: str | None) -> Dataset:
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise LatentLabError(f"{path.name}: not a valid NPZ archive ({type(exc).__name__}); re-save it with numpy.savez.") from None
    with archive:
        keys = list(archive.files)
        if not keys:
            raise LatentLabError(f"{path.name}: the NPZ archive holds no arrays; save the items under the key 'x'.")
        x_key = next((k for k in ("x", "X", "data", "images", "embeddings") if k in keys), keys[0])
        try:
            arrays = {k: archive[k] for k in keys}
        except ValueError:
            raise LatentLabError(f"{path.name}: holds Python objects (pickled data), which LatentLab never loads; save numeric arrays instead.") from None
        except (OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
            raise LatentLabError(f"{path.name}: the NPZ archive is damaged ({type(exc).__name__}); re-save it with numpy.savez.") from None
    lab_key = label_key or next((k for k in ("labels", "y", "targets") if k in arrays), None)
    if label_key and label_key not in arrays:
        raise LatentLabError(f"{path.name}: no array named '{label_key}' (arrays: {', '.join(keys)}); pick one of those for --labels.")
    factors = arrays.get("factors")
    return _from_arrays(path, name, arrays[x_key], arrays.get(lab_key) if lab_key else None, factors)


def _from_arrays(path: Path, name: str, x: np.ndarray, labels, factors) -> Dataset:
    src = path.name
    if x.dtype == object or x.dtype.kind not in "biuf":
        raise LatentLabError(f"{src}: the item array has dtype {x.dtype}, which is not numeric; save numbers only.")
    if x.ndim < 2 or x.shape[0] < 2:
        raise LatentLabError(f"{src}: expected an array of shape (items, features...) with at least two items, got {x.shape}.")
    if x.shape[0] > LIMITS["max_items"]:
        raise LatentLabError(f"{src}: {x.shape[0]:,} items is over the limit of {LIMITS['max_items']:,}.")
    n = x.shape[0]
    for what, arr in (("labels", labels), ("factors", factors)):
        if arr is not None and arr.shape[0] != n:
            raise LatentLabError(f"{src}: {what} has {arr.shape[0]} rows but there are {n} items; they must match.")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise LatentLabError(f"{src}: the array holds NaN or infinite values; replace them before importing.")
    if x.ndim == 2:
        kind, xs = "tabular", x.astype(np.float32)
    else:
        kind, xs = "image", _as_image_array(x, src)
    fac = None
    if factors is not None:
        factors = np.asarray(factors)
        if factors.ndim == 1:
            factors = factors[:, None]
        fac = pd.DataFrame(factors.astype(np.int64), columns=[f"factor_{i}" for i in range(factors.shape[1])])
    return Dataset(
        name=name, x=xs, kind=kind,
        labels=None if labels is None else np.asarray(labels),
        factors=fac,
        feature_names=[f"f{i}" for i in range(x.shape[1])] if kind == "tabular" else [],
        description=f"Imported from {src}: {n:,} items of shape {tuple(x.shape[1:])}.",
    )


def _as_image_array(x: np.ndarray, src: str) -> np.ndarray:
    """(N,H,W) / (N,H,W,C) / (N,C,H,W) -> channel-first, uint8 or float in [0,1]."""
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4 and x.shape[-1] in (1, 3) and x.shape[1] not in (1, 3):
        x = np.moveaxis(x, -1, 1)
    elif x.ndim != 4:
        raise LatentLabError(f"{src}: image arrays must be (N,H,W), (N,H,W,C) or (N,C,H,W), got {x.shape}.")
    if x.dtype == np.uint8 or x.dtype == bool:
        return np.ascontiguousarray(x)
    lo, hi = float(x.min()), float(x.max())
    if lo >= 0 and hi <= 1:
        return x.astype(np.float32)
    if lo >= 0 and hi <= 255:  # unnormalised pixel values
        return (x / 255.0).astype(np.float32)
    return ((x - lo) / (hi - lo or 1.0)).astype(np.float32)


# ---------------------------------------------------------------- zip of images


def _read_zip(path: Path, name: str) -> Dataset:
    from PIL import Image

    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise LatentLabError(f"{path.name}: not a valid ZIP archive; upload a .zip of PNG or JPEG images.") from None
    images, labels, skipped = [], [], 0
    label_table = None
    with zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        if len(members) > LIMITS["max_zip_members"]:
            raise LatentLabError(f"{path.name}: {len(members):,} members is over the limit of {LIMITS['max_zip_members']:,}.")
        if any(PurePosixPath(m.filename).name == "labels.csv" for m in members):
            m = next(m for m in members if PurePosixPath(m.filename).name == "labels.csv")
            label_table = pd.read_csv(io.BytesIO(zf.read(m)))
        for m in sorted(members, key=lambda m: m.filename):
            p = PurePosixPath(m.filename)
            if p.suffix.lower() not in IMAGE_SUFFIXES or p.name.startswith("."):
                skipped += 1
                continue
            try:
                with Image.open(io.BytesIO(zf.read(m))) as im:
                    images.append(np.asarray(im.convert("L")))
            except Exception:
                raise LatentLabError(f"{path.name}: member '{m.filename}' is not a readable image; remove it or fix it.") from None
            labels.append(p.parent.name if len(p.parts) > 1 else None)
            if label_table is not None:
                labels[-1] = _label_from_table(label_table, p, path.name)
    if len(images) < 2:
        raise LatentLabError(f"{path.name}: found {len(images)} PNG/JPEG images; a dataset needs at least two.")
    sizes = {im.shape for im in images}
    if len(sizes) > 1:
        # Policy: mixed sizes are resized to the most common size.
        from PIL import Image as _Image

        target = max(sizes, key=lambda s: sum(im.shape == s for im in images))
        images = [im if im.shape == target else np.asarray(_Image.fromarray(im).resize(target[::-1])) for im in images]
    x = np.stack(images)[:, None].astype(np.uint8)
    lab = np.asarray(labels, dtype=object)
    lab = None if all(v is None for v in labels) else np.asarray([str(v) for v in labels])
    desc = f"Imported from {path.name}: {len(images):,} images of {x.shape[2]}x{x.shape[3]}"
    if len(sizes) > 1:
        desc += f" ({len(sizes)} sizes found, resized to the most common)"
    if skipped:
        desc += f"; {skipped} non-image members skipped"
    return Dataset(name=name, x=x, kind="image", labels=lab, description=desc + ".")


def _label_from_table(table: pd.DataFrame, p: PurePosixPath, src: str):
    if table.shape[1] < 2:
        raise LatentLabError(f"{src}: labels.csv needs two columns, file name and label.")
    names = table.iloc[:, 0].astype(str)
    hit = table[(names == p.name) | (names == str(p))]
    return None if hit.empty else str(hit.iloc[0, 1])


def peek_columns(path: str | Path) -> list[str]:
    """Column names of a table (or array names of an NPZ), to offer as label choices."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            import pyarrow.parquet as pq

            return [str(c) for c in pq.read_schema(path).names]
        if suffix in {".csv", ".tsv", ".txt"}:
            sep = "\t" if suffix == ".tsv" else None
            return [str(c) for c in pd.read_csv(path, sep=sep, engine="python", nrows=5).columns]
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                return list(z.files)
    except Exception:
        return []  # the import itself reports what is wrong with the file
    return []
