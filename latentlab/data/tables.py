"""Tables (CSV, TSV, Parquet) -> tabular datasets.

Rules, stated once:
- Only numeric (and boolean) columns become features; others are ignored and named in the description.
- Rows with a missing or non-finite value (or one beyond +-1e30) in any feature are dropped and
  counted; if fewer than two rows remain the table is refused.
- Ragged rows (a row with more or fewer fields than the header) are refused with the row number.
- Features are standardised per column (mean 0, standard deviation 1); the means and scales are kept
  in the dataset so values can be shown in original units. Constant columns keep scale 1.
  Precomputed embeddings are kept as given instead (``standardise=False``): rescaling each column
  would change which items are near each other; the description says which was done.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from latentlab.data.dataset import Dataset, array_fingerprint
from latentlab.core.limits import limit
from latentlab.core.errors import LatentLabError

MAX_MAGNITUDE = 1e30  # beyond this a value cannot be standardised in float32; it counts as non-finite
TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
PARQUET_SUFFIXES = {".parquet", ".pq"}


def read_table(path: Path, name: str, label_col: str | None, standardise: bool = True) -> Dataset:
    if path.suffix.lower() in PARQUET_SUFFIXES:
        df = read_parquet(path)
    else:
        df = read_text_table(path)
    return table_to_dataset(df, name, label_col, source=path.name, standardise=standardise)


def read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow.parquet as pq

        meta = pq.read_metadata(path)
        if meta.num_rows > limit("max_rows") or meta.num_columns > limit("max_columns"):
            raise LatentLabError(f"{path.name}: {meta.num_rows:,} rows x {meta.num_columns:,} columns is over the limits "
                                 f"({limit('max_rows'):,} rows, {limit('max_columns'):,} columns).")
        return pq.read_table(path).to_pandas()
    except LatentLabError:
        raise
    except Exception as exc:  # pyarrow raises its own types for damaged files
        raise LatentLabError(f"{path.name}: not a readable Parquet file ({type(exc).__name__}); re-export it.") from None


def read_text_table(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    if b"\x00" in raw[:65536]:
        raise LatentLabError(f"{path.name}: looks like binary data, not a text table; upload a CSV or TSV file.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("latin-1")
        except UnicodeDecodeError:
            raise LatentLabError(f"{path.name}: the text encoding is not readable; save it as UTF-8.") from None
    if not text.strip():
        raise LatentLabError(f"{path.name}: the file is empty; choose a file with data in it.")
    sep = "\t" if path.suffix.lower() == ".tsv" else sniff_separator(text)
    try:
        check_table_shape(text, sep, path.name)
    except csv.Error as exc:
        raise LatentLabError(f"{path.name}: could not be read as a table ({exc}).") from None
    try:
        return pd.read_csv(io.StringIO(text, newline=""), sep=sep)
    except (ValueError, pd.errors.ParserError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LatentLabError(f"{path.name}: could not be read as a table ({reason}).") from None


def check_table_shape(text: str, sep: str, source: str) -> None:
    """Refuse ragged rows and tables over the row and column limits, with the line number."""
    width = None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    for rows, record in enumerate(reader, start=1):
        if not record:
            continue
        if width is None:
            width = len(record)
            if width > limit("max_columns"):
                raise LatentLabError(f"{source}: {width:,} columns is over the limit of {limit('max_columns'):,}.")
        elif len(record) != width:
            raise LatentLabError(f"{source}: line {reader.line_num} has {len(record)} fields but the header has {width}; fix the ragged rows.")
        if rows > limit("max_rows") + 1:
            raise LatentLabError(f"{source}: more than {limit('max_rows'):,} rows is over the limit.")


def sniff_separator(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def table_to_dataset(df: pd.DataFrame, name: str, label_col: str | None, source: str,
                     standardise: bool = True) -> Dataset:
    """The numeric columns of ``df`` as a tabular dataset of float32 features.

    Parameters
    ----------
    df : the table; ``label_col`` (if given) holds the labels.
    standardise : scale each column to mean 0 and standard deviation 1 (the
        means and scales are kept), or keep the values as given.
    """
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise LatentLabError(f"{source}: the table has no data rows; choose a file with at least two rows.")
    if df.shape[0] == 1:
        raise LatentLabError(f"{source}: the table has a single row; a dataset needs at least two.")
    labels = None
    if label_col is not None:
        if label_col not in df.columns:
            cols = ", ".join(map(str, list(df.columns)[:10]))
            raise LatentLabError(f"{source}: no column named '{label_col}' (columns: {cols}); pick one of those for the labels.")
        labels = df[label_col]
        df = df.drop(columns=[label_col])
    numeric = df.select_dtypes(include=[np.number, "bool"])
    if numeric.shape[1] == 0:
        raise LatentLabError(f"{source}: no numeric columns to use as features; a table needs at least one numeric column.")
    values = numeric.to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):
        finite = (np.isfinite(values) & (np.abs(values) < MAX_MAGNITUDE)).all(axis=1)
    dropped = int((~finite).sum())
    if finite.sum() < 2:
        raise LatentLabError(f"{source}: fewer than two rows have finite values in every numeric column "
                             f"({dropped:,} of {len(values):,} rows have missing, NaN or infinite values); fix them.")
    values = values[finite]
    if labels is not None:
        labels = labels[finite]
        labels = labels.to_numpy() if labels.dtype.kind in "iub" else labels.astype(str).to_numpy()
    mean = scale = None
    if standardise:
        mean, std = values.mean(0), values.std(0)
        std = np.where(std > 0, std, 1.0)
        x = ((values - mean) / std).astype(np.float32)
        mean, scale = mean.astype(np.float32), std.astype(np.float32)
    else:
        x = values.astype(np.float32)
    done = "standardised per column" if standardise else "values kept as given (float32), not standardised"
    desc = f"Imported from {source}: {x.shape[0]:,} rows x {x.shape[1]} numeric columns, {done}"
    ignored = [c for c in df.columns if c not in numeric.columns]
    if ignored:
        desc += f"; non-numeric columns ignored: {', '.join(map(str, ignored[:5]))}"
    if dropped:
        desc += f"; {dropped:,} rows with missing or non-finite values dropped"
    return Dataset(name=name, x=x, kind="tabular", labels=labels, feature_names=[str(c) for c in numeric.columns],
                   fingerprint=array_fingerprint(x, labels), description=desc + ".", label_name=label_col or "label",
                   feature_mean=mean, feature_scale=scale)
