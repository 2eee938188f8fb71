"""Read a file a user brings into a ``Dataset``; the suffix picks the reader.

Every reader returns a ``Dataset`` or raises ``LatentLabError`` with one
sentence naming the file and the problem; nothing here unpickles or extracts.
The rules for each format are in ``tables``, ``arrays`` and ``images_zip``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from latentlab.data.arrays import read_npy, read_npz
from latentlab.data.dataset import Dataset
from latentlab.data.images_zip import read_image_zip
from latentlab.core.limits import checked_file
from latentlab.data.tables import PARQUET_SUFFIXES, TEXT_SUFFIXES, read_table
from latentlab.core.errors import LatentLabError

SUFFIXES = TEXT_SUFFIXES | PARQUET_SUFFIXES | {".npy", ".npz", ".zip"}


def read_file(path: str | Path, name: str, labels: str | None = None, kind: str | None = None,
              standardise: bool | None = None) -> Dataset:
    """Read a user file.

    Parameters
    ----------
    path : the file; its suffix picks the reader.
    name : the dataset's name.
    labels : the column (tables) or array (NPZ) holding labels.
    kind : ``"embedding"`` marks tables and arrays as precomputed embeddings.
    standardise : scale each column to mean 0 and standard deviation 1. None (the
        default): tables are standardised, embeddings are kept as given, since
        rescaling their columns would change which items are near each other.
        Images are never standardised; True for an image file is refused.
    """
    path, suffix = checked_file(path, SUFFIXES, "; use CSV, TSV, Parquet, NPY, NPZ or a ZIP of PNG/JPEG images")
    scale = kind != "embedding" if standardise is None else bool(standardise)
    if suffix in TEXT_SUFFIXES | PARQUET_SUFFIXES:
        ds = read_table(path, name, labels, scale)
    elif suffix == ".npy":
        ds = read_npy(path, name, scale)
    elif suffix == ".npz":
        ds = read_npz(path, name, labels, scale)
    else:
        ds = read_image_zip(path, name)
    if standardise and ds.is_image:
        raise LatentLabError(f"{path.name}: holds images, which are scaled to [0, 1] and never standardised; "
                             "import it without standardising.")
    if kind == "embedding" and ds.kind != "image":
        ds.kind = "embedding"
    return ds


def peek_columns(path: str | Path) -> list[str]:
    """Column names of a table (or array names of an NPZ), to offer as label choices."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in PARQUET_SUFFIXES:
            import pyarrow.parquet as pq

            return [str(c) for c in pq.read_schema(path).names]
        if suffix in TEXT_SUFFIXES:
            return [str(c) for c in pd.read_csv(path, sep=None, engine="python", nrows=5).columns]
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                return list(z.files)
    except Exception:
        return []  # the import itself says what is wrong with the file
    return []
